/**
 * Launch from an instance snapshot with the real `openstack` CLI (contract 6.9): the request is
 * the plain `server create --image SNAP`; Snapstack expands the image's block_device_mapping.
 */
import { startHarness, Harness, Session } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import { busyboxImage, COMPUTE, dockerExec, randomName } from '../support/compute-helpers';
import { fingerprint, mountsOf, snapshotServer, sourceServer, VOL } from '../support/launch-helpers';

jest.setTimeout(240_000);

const GiB = 1024 ** 3;
const CREATE = ['--os-compute-api-version', '2.37', 'server', 'create'];
let h: Harness;
let demo: Session;
let snapName: string;
let atSnapshot: Record<string, string>;

const os = (args: string[]) => openstack(h.url, CLI_USERS.demo, args);
const osJson = <T = any>(args: string[]) => openstackJson<T>(h.url, CLI_USERS.demo, args);

beforeAll(async () => {
  h = await startHarness();
  demo = await h.login('demo');
  // A volume-backed server on m1.small (min_disk of its snapshots: 20) with a data volume.
  const source = await sourceServer(demo, { imageId: (await busyboxImage(demo)).id, flavorRef: '2', deleteOnTermination: [true, true] });
  const c = await mountsOf(h, source.id);
  await dockerExec(c.id, 'echo root > /mnt/vda/root.txt; head -c 500000 /dev/urandom > /mnt/vdb/data.bin');
  atSnapshot = await fingerprint(c.id, ['/mnt/vda', '/mnt/vdb']);
  snapName = randomName('clisnap');
  await snapshotServer(demo, source.id, snapName);
  await dockerExec(c.id, 'echo changed > /mnt/vda/root.txt; rm /mnt/vdb/data.bin');
});
afterAll(async () => {
  await h?.stop();
});

test('server create --image SNAP --flavor m1.small --network none --wait: ACTIVE, every volume holds the snapshot-time data', async () => {
  const name = randomName('fromsnap');
  const server = await osJson([...CREATE, '--image', snapName, '--flavor', 'm1.small', '--network', 'none', '--wait', name]);
  expect(server).toMatchObject({ name, status: 'ACTIVE' });
  expect(server.image).toContain(snapName);
  const c = await mountsOf(h, server.id);
  expect(c.mounts.map((m) => m.target)).toEqual(['/mnt/vda', '/mnt/vdb']);
  expect(await fingerprint(c.id, ['/mnt/vda', '/mnt/vdb'])).toEqual(atSnapshot);
  const volumes = await osJson<any[]>(['volume', 'list']);
  expect(volumes.filter((v) => JSON.stringify(v['Attached to']).includes(server.id)).map((v) => v.Status)).toEqual(['in-use', 'in-use']);
  expect((await os(['server', 'delete', '--wait', name])).code).toBe(0);
});

test("a too-small flavor: non-zero exit, Nova's message on stderr, no server", async () => {
  const fits = (await osJson<any[]>(['flavor', 'list', '--min-disk', '20'])).map((f) => f.Name);
  expect(fits).not.toContain('m1.tiny');
  const name = randomName('toosmall');
  const volumesBefore = (await demo.request('GET', `${VOL}/volumes`)).body.volumes;
  const r = await os([...CREATE, '--image', snapName, '--flavor', 'm1.tiny', '--network', 'none', '--wait', name]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${GiB} bytes, minimum size is ${20 * GiB} bytes. (HTTP 400)`);
  expect((await demo.request('GET', `${COMPUTE}/servers?name=${name}`)).body.servers).toEqual([]);
  expect((await demo.request('GET', `${VOL}/volumes`)).body.volumes).toEqual(volumesBefore);
});
