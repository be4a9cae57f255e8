/**
 * The real `openstack` CLI (Debian's python3-openstackclient 6.0) against compute and images.
 * OS_COMPUTE_API_VERSION=2.37: `--network none` needs it (contract 6.9).
 */
import { startHarness, Harness, Session } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import { COMPUTE, GLANCE, randomName, waitForServer, waitForServerGone } from '../support/compute-helpers';

jest.setTimeout(240_000);

const ENV = { OS_COMPUTE_API_VERSION: '2.37' };
let h: Harness;
let demo: Session;

const os = (args: string[]) => openstack(h.url, CLI_USERS.demo, args, ENV);
const osJson = <T = any>(args: string[]) => openstackJson<T>(h.url, CLI_USERS.demo, args, ENV);

beforeAll(async () => {
  h = await startHarness();
  demo = await h.login('demo');
});
afterAll(async () => {
  await h?.stop();
});

test('flavor list shows the DevStack flavors and the zero-disk one', async () => {
  const flavors = await osJson<any[]>(['flavor', 'list']);
  const byName = Object.fromEntries(flavors.map((f) => [f.Name, f]));
  expect(byName['m1.tiny']).toMatchObject({ ID: '1', RAM: 512, Disk: 1, VCPUs: 1, 'Is Public': true });
  expect(byName['m1.xlarge']).toMatchObject({ ID: '5', RAM: 16384, Disk: 160, VCPUs: 8 });
  expect(byName['m1.zero']).toMatchObject({ ID: '0', Disk: 0 });
});

test('server create --wait, list, show, stop, start, image create --wait, delete', async () => {
  const name = randomName('cli');
  const created = await osJson(['server', 'create', '--image', 'busybox', '--flavor', 'm1.tiny', '--network', 'none', '--wait', name]);
  expect(created).toMatchObject({ name, status: 'ACTIVE', flavor: expect.stringContaining('m1.tiny') });
  expect(created.image).toContain('busybox');

  const list = await osJson<any[]>(['server', 'list']);
  const row = list.find((s) => s.Name === name);
  expect(row).toMatchObject({ Status: 'ACTIVE', Image: 'busybox', Flavor: 'm1.tiny' });

  const shown = await osJson(['server', 'show', name]);
  expect(shown).toMatchObject({ id: created.id, status: 'ACTIVE', 'OS-EXT-STS:vm_state': 'active' });

  expect((await os(['server', 'stop', name])).code).toBe(0);
  await waitForServer(demo, created.id, ['SHUTOFF']);
  expect((await os(['server', 'start', name])).code).toBe(0);
  await waitForServer(demo, created.id, ['ACTIVE']);

  const snapName = randomName('clisnap');
  const image = await osJson(['server', 'image', 'create', '--name', snapName, '--wait', name]);
  expect(image).toMatchObject({ name: snapName, status: 'active', visibility: 'private' });
  await waitForServer(demo, created.id, ['ACTIVE']);

  const del = await os(['server', 'delete', '--wait', name]);
  expect(del.code).toBe(0);
  expect((await demo.request('GET', `${COMPUTE}/servers/${created.id}`)).status).toBe(404);
  expect((await os(['image', 'delete', snapName])).code).toBe(0);
});

test('volume-backed: server create --volume / --boot-from-volume, server image create --wait, image list/show/set/delete', async () => {
  const volName = randomName('clivol');
  const vol = await osJson(['volume', 'create', '--size', '1', '--bootable', volName]);
  expect(vol.name).toBe(volName);
  const bfv1 = randomName('bfv');
  const s1 = await osJson(['server', 'create', '--volume', volName, '--flavor', 'm1.zero', '--network', 'none', '--wait', bfv1]);
  expect(s1.status).toBe('ACTIVE');
  const bfv2 = randomName('bfv');
  const s2 = await osJson(['server', 'create', '--image', 'busybox', '--boot-from-volume', '1', '--flavor', 'm1.tiny', '--network', 'none', '--wait', bfv2]);
  expect(s2.status).toBe('ACTIVE');
  const list = await osJson<any[]>(['server', 'list']);
  expect(list.find((s) => s.Name === bfv2).Image).toBe('N/A (booted from volume)');

  const snapName = randomName('vbsnap');
  const image = await osJson(['server', 'image', 'create', '--name', snapName, '--wait', bfv2]);
  expect(image).toMatchObject({ name: snapName, status: 'active', visibility: 'private', size: 0, disk_format: 'raw', container_format: 'bare', min_disk: 1 });
  expect(image.properties).toMatchObject({ bdm_v2: 'True', root_device_name: '/dev/vda' });
  const mapping = JSON.parse(image.properties.block_device_mapping);
  expect(mapping[0]).toMatchObject({ source_type: 'snapshot', boot_index: 0, device_name: '/dev/vda' });

  const snaps = await osJson<any[]>(['volume', 'snapshot', 'list']);
  expect(snaps.map((x) => x.Name)).toContain(`snapshot for ${snapName}`);

  const priv = await osJson<any[]>(['image', 'list', '--private']);
  expect(priv.map((i) => i.Name)).toContain(snapName);
  expect(priv.every((i) => i.Name !== 'busybox')).toBe(true);
  const shown = await osJson(['image', 'show', snapName]);
  expect(shown).toMatchObject({ id: image.id, status: 'active', owner: demo.projectId });
  expect(shown.properties.block_device_mapping).toBe(image.properties.block_device_mapping);

  const renamed = randomName('renamed');
  expect((await os(['image', 'set', '--name', renamed, snapName])).code).toBe(0);
  expect((await demo.request('GET', `${GLANCE}/images/${image.id}`)).body.name).toBe(renamed);
  expect((await os(['image', 'delete', renamed])).code).toBe(0);
  expect((await demo.request('GET', `${GLANCE}/images/${image.id}`)).status).toBe(404);

  for (const n of [bfv1, bfv2]) expect((await os(['server', 'delete', '--wait', n])).code).toBe(0);
  await waitForServerGone(demo, s1.id);
  const after = await osJson(['volume', 'show', volName]);
  expect(after.status).toBe('available');
});
