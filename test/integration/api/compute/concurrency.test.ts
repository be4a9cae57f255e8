/**
 * Many operations at once (issue 15), end to end on real Docker: 10 servers booted at once
 * from one instance snapshot each read the snapshot's data on volumes of their own; 20
 * snapshots requested at once all become available with the right data; a snapshot deleted
 * while volumes are being made from it lets them finish (its delete waits for them) and
 * refuses new ones with Cinder's status error, and nothing reads corrupt data.
 */
import Docker from 'dockerode';
import { loadConfig } from '../../../../src/config';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { bootServer, busyboxImage, COMPUTE, dockerExec, randomName, waitForServerGone } from '../../../support/compute-helpers';
import { fingerprint, mountsOf, snapshotServer, sourceServer, VOL } from '../../../support/launch-helpers';
import { waitFor } from '../volume/volume-test-helpers';

jest.setTimeout(300_000);

const MOUNTS = ['/mnt/vda', '/mnt/vdb'];
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let h: Harness;
let demo: Session;
let image: any;
let atSnapshot: Record<string, string>;
/** The root disk's snapshot in the image's mapping. */
let rootSnapshot: string;

const times = <T>(n: number, op: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => op(i)));

/** A volume's files with their sha256, read by a throwaway container. */
async function volumeFiles(volumeId: string): Promise<string> {
  const { dockerVolume } = await h.app.volume.prepareMount(demo.projectId, volumeId);
  const c = await docker.createContainer({
    Image: h.app.config.helperImage, Cmd: ['sh', '-c', 'cd /data && find . -type f | sort | xargs -r sha256sum'], Tty: true,
    Labels: { 'snapstack.managed': 'true', 'snapstack.instance': h.app.instanceId },
    HostConfig: { Binds: [`${dockerVolume}:/data:ro`], NetworkMode: 'none' },
  });
  try {
    await c.start();
    await c.wait();
    return (await c.logs({ stdout: true, stderr: true })).toString().replace(/\r\n/g, '\n');
  } finally {
    await c.remove({ force: true });
  }
}

async function postVolume(body: Record<string, unknown>): Promise<string> {
  const res = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('conc'), ...body } });
  if (res.status !== 202) throw new Error(`create volume: ${res.status} ${res.text}`);
  return res.body.volume.id;
}

beforeAll(async () => {
  h = await startHarness({ volumeQuotas: { ...loadConfig({}).volumeQuotas, volumes: -1, snapshots: -1, gigabytes: -1 } });
  demo = await h.login('demo');
  const source = await sourceServer(demo, { imageId: (await busyboxImage(demo)).id, flavorRef: '1', dataSizes: [1] });
  const c = await mountsOf(h, source.id);
  await dockerExec(c.id, 'echo root-data > /mnt/vda/marker && head -c 65536 /dev/urandom > /mnt/vdb/blob && sync');
  atSnapshot = await fingerprint(c.id, MOUNTS);
  image = await snapshotServer(demo, source.id);
  rootSnapshot = JSON.parse(image.block_device_mapping).find((m: any) => m.boot_index === 0).snapshot_id;
  await demo.request('DELETE', `${COMPUTE}/servers/${source.id}`);
  await waitForServerGone(demo, source.id);
});
afterAll(async () => {
  await h?.stop();
});

test('10 servers booted at once from one instance snapshot all become ACTIVE, each reading the snapshot on volumes of its own', async () => {
  const servers = await times(10, () => bootServer(demo, { name: randomName('conc-boot'), imageRef: image.id }));
  expect(servers.map((s) => s.status)).toEqual(Array(10).fill('ACTIVE'));
  const volumes = servers.flatMap((s) => s['os-extended-volumes:volumes_attached'].map((v: any) => v.id));
  expect(new Set(volumes).size).toBe(20);
  const containers = await Promise.all(servers.map((s) => mountsOf(h, s.id)));
  for (const c of containers) expect(await fingerprint(c.id, MOUNTS)).toEqual(atSnapshot);
  // Their own: what one writes, no other sees.
  await dockerExec(containers[0].id, 'echo mine > /mnt/vda/marker && sync');
  expect(await dockerExec(containers[0].id, 'cat /mnt/vda/marker')).toBe('mine\n');
  expect(await fingerprint(containers[1].id, MOUNTS)).toEqual(atSnapshot);
  await times(10, (i) => demo.request('DELETE', `${COMPUTE}/servers/${servers[i].id}`));
  await times(10, (i) => waitForServerGone(demo, servers[i].id));
});

test('20 snapshots requested at once all become available and hold their volume at that instant', async () => {
  const volumes = await times(20, () => postVolume({ snapshot_id: rootSnapshot }));
  await times(20, (i) => waitFor(demo, 'volumes', volumes[i], ['available']));
  const posted = await times(20, (i) => demo.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: volumes[i], name: randomName('conc-snap') } }));
  expect(posted.map((r) => r.status)).toEqual(Array(20).fill(202));
  const snaps = await times(20, (i) => waitFor(demo, 'snapshots', posted[i].body.snapshot.id, ['available', 'error']));
  expect(snaps.map((s) => s.status)).toEqual(Array(20).fill('available'));
  // A few read back through volumes made from them.
  const restored = await times(3, (i) => postVolume({ snapshot_id: snaps[i * 7].id }));
  for (const id of restored) {
    await waitFor(demo, 'volumes', id, ['available']);
    expect(await volumeFiles(id)).toBe(atSnapshot['/mnt/vda']);
  }
});

test('a snapshot deleted while volumes are being made from it waits for them; new ones are refused; no data is lost', async () => {
  const src = await postVolume({ snapshot_id: rootSnapshot });
  await waitFor(demo, 'volumes', src, ['available']);
  const posted = await demo.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: src, name: randomName('busy') } });
  const snap = (await waitFor(demo, 'snapshots', posted.body.snapshot.id, ['available'])).id;

  const clones = await times(8, () => postVolume({ snapshot_id: snap }));
  expect((await demo.request('DELETE', `${VOL}/snapshots/${snap}`)).status).toBe(202);
  // Deleting now: a new volume from it is refused the way Cinder refuses it.
  const late = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, snapshot_id: snap } });
  if (late.status !== 404) {
    expect(late.status).toBe(400);
    expect(late.body).toEqual({ badRequest: { code: 400, message: "Invalid snapshot: Originating snapshot status must be one of 'available' values" } });
  }
  const made = await times(8, (i) => waitFor(demo, 'volumes', clones[i], ['available', 'error']));
  expect(made.map((v) => v.status)).toEqual(Array(8).fill('available'));
  await waitFor(demo, 'snapshots', snap, ['gone']);
  // The clones outlive the snapshot with its data intact.
  for (const id of [clones[0], clones[7]]) expect(await volumeFiles(id)).toBe(atSnapshot['/mnt/vda']);
});
