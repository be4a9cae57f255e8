/**
 * The walkthrough every tutorial starts with, with the real `openstack` CLI (Debian's
 * python3-openstackclient 6.0): a bootable volume from a public image, a server on it, data
 * written, stopped, snapshotted (`server image create --wait`), a new server from the snapshot
 * that finds the data.
 */
import { startHarness, Harness, Session } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import { containerOf, dockerExec, randomName, waitForServer, waitForServerGone } from '../support/compute-helpers';

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

async function waitVolume(name: string, status: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await osJson(['volume', 'show', name]);
    if (v.status === status) return v;
    if (Date.now() > deadline || v.status === 'error') throw new Error(`volume ${name}: ${v.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('volume create --image, server create --volume, write, stop, server image create --wait, boot the snapshot, data there', async () => {
  const volName = randomName('r');
  const vol = await osJson(['volume', 'create', '--image', 'busybox', '--size', '1', volName]);
  expect(vol).toMatchObject({ name: volName, size: 1, bootable: 'true' });
  const ready = await waitVolume(volName, 'available');
  expect(ready.volume_image_metadata).toMatchObject({ image_name: 'busybox' });

  const first = randomName('s');
  const s1 = await osJson(['server', 'create', '--volume', volName, '--flavor', 'm1.small', '--network', 'none', '--wait', first]);
  expect(s1.status).toBe('ACTIVE');
  const c1 = (await containerOf(h.app.instanceId, s1.id))!;
  expect(await dockerExec(c1.Id, 'test -x /mnt/vda/bin/busybox && echo image-files; echo written-in-s1 > /mnt/vda/root/data')).toBe('image-files\n');

  expect((await os(['server', 'stop', first])).code).toBe(0);
  await waitForServer(demo, s1.id, ['SHUTOFF']);
  const snapName = randomName('snap');
  const image = await osJson(['server', 'image', 'create', '--name', snapName, '--wait', first]);
  expect(image).toMatchObject({ name: snapName, status: 'active' });

  const second = randomName('s2');
  const s2 = await osJson(['server', 'create', '--image', snapName, '--flavor', 'm1.small', '--network', 'none', '--wait', second]);
  expect(s2.status).toBe('ACTIVE');
  const c2 = (await containerOf(h.app.instanceId, s2.id))!;
  expect(await dockerExec(c2.Id, 'cat /mnt/vda/root/data')).toBe('written-in-s1\n');

  for (const [n, id] of [[first, s1.id], [second, s2.id]]) {
    expect((await os(['server', 'delete', '--wait', n])).code).toBe(0);
    await waitForServerGone(demo, id);
  }
});
