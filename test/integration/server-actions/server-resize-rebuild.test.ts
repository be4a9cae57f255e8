import os from 'os';
import Docker from 'dockerode';
import { startHarness, Harness, Session } from '../../support/snapstack-harness';
import {
  bootServer, bootWithDataVolume, busyboxImage, COMPUTE, containerOf, dockerExec, expectInOrder, mv, randomName, recordStates, serverAction, waitForImage, waitForServer, wrongState,
} from '../../support/compute-helpers';

let h: Harness;
let demo: Session;
let alt: Session;
let imageId: string;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(async () => {
  h = await startHarness();
  [demo, alt] = await Promise.all([h.login('demo'), h.login('alt_demo')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

const act = serverAction;
const conflict = wrongState;
const badRequest = (message: string) => ({ badRequest: { code: 400, message } });

async function limits(serverId: string) {
  const info = await docker.getContainer((await containerOf(h.app.instanceId, serverId))!.Id).inspect();
  return { memory: info.HostConfig.Memory, cpus: info.HostConfig.NanoCpus };
}
const mib = (n: number) => Math.min(n * 1024 * 1024, os.totalmem());

test('resize: VERIFY_RESIZE with the new limits and the data kept; revert restores the old flavor; confirm keeps the new', async () => {
  const s = await bootWithDataVolume(demo, imageId);
  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'echo root > /root/f && echo vol > /mnt/vdb/f');
  expect(await limits(s.id)).toEqual({ memory: mib(512), cpus: 1e9 });

  expect(await act(demo, s.id, { resize: { flavorRef: '1' } })).toMatchObject({ status: 400, body: badRequest('When resizing, instances must change flavor!') });
  expect(await act(demo, s.id, { resize: { flavorRef: 'nope' } })).toMatchObject({ status: 400, body: badRequest('Flavor nope could not be found.') });
  expect(await act(demo, s.id, { resize: { flavorRef: '0' } })).toMatchObject({
    status: 400, body: badRequest('Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.'),
  });
  expect((await act(demo, s.id, { resize: {} })).status).toBe(400);
  expect(await act(demo, s.id, { confirmResize: null })).toMatchObject({ status: 409, body: conflict(s.id, 'confirmResize', 'active') });
  expect(await act(demo, s.id, { revertResize: null })).toMatchObject({ status: 409, body: conflict(s.id, 'revertResize', 'active') });
  expect((await act(alt, s.id, { resize: { flavorRef: '3' } })).status).toBe(404);

  const res = await act(demo, s.id, { resize: { flavorRef: `${h.url}/compute/v2.1/flavors/3` } });
  expect(res.status).toBe(202);
  expect(res.text).toBe('');
  expectInOrder(await recordStates(demo, s.id, 'VERIFY_RESIZE'), [
    'ACTIVE/null', 'RESIZE/resize_prep', 'RESIZE/resize_migrating', 'RESIZE/resize_migrated', 'RESIZE/resize_finish', 'VERIFY_RESIZE/null',
  ]);
  const resized = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.47'))).body.server;
  expect(resized).toMatchObject({ 'OS-EXT-STS:vm_state': 'resized', flavor: { original_name: 'm1.medium', vcpus: 2 } });
  expect(await limits(s.id)).toEqual({ memory: mib(4096), cpus: Math.min(2, os.cpus().length) * 1e9 });
  expect(await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'cat /root/f /mnt/vdb/f')).toBe('root\nvol\n');
  expect(await act(demo, s.id, { resize: { flavorRef: '2' } })).toMatchObject({ status: 409, body: conflict(s.id, 'resize', 'resized') });

  expect((await act(demo, s.id, { revertResize: null })).status).toBe(202);
  expectInOrder(await recordStates(demo, s.id, 'ACTIVE'), ['VERIFY_RESIZE/null', 'REVERT_RESIZE/resize_reverting', 'ACTIVE/null']);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server.flavor.id).toBe('1');
  expect(await limits(s.id)).toEqual({ memory: mib(512), cpus: 1e9 });
  expect(await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'cat /root/f /mnt/vdb/f')).toBe('root\nvol\n');

  expect((await act(demo, s.id, { resize: { flavorRef: 3 } })).status).toBe(202);
  await recordStates(demo, s.id, 'VERIFY_RESIZE');
  const confirmed = await act(demo, s.id, { confirmResize: null });
  expect(confirmed.status).toBe(204);
  const after = await waitForServer(demo, s.id, ['ACTIVE']);
  expect(after.flavor.id).toBe('3');
  expect(await limits(s.id)).toEqual({ memory: mib(4096), cpus: Math.min(2, os.cpus().length) * 1e9 });

  // A stopped server resizes without running and comes back SHUTOFF.
  expect((await act(demo, s.id, { 'os-stop': null })).status).toBe(202);
  await recordStates(demo, s.id, 'SHUTOFF');
  expect((await act(demo, s.id, { resize: { flavorRef: '1' } })).status).toBe(202);
  await recordStates(demo, s.id, 'VERIFY_RESIZE');
  expect(await containerOf(h.app.instanceId, s.id)).toBeUndefined();
  expect((await act(demo, s.id, { confirmResize: null })).status).toBe(204);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server).toMatchObject({ status: 'SHUTOFF', flavor: { id: '1' } });
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
});

test('rebuild from an instance snapshot: the root disk replaced, data volumes kept, states in order, Nova\'s refusals', async () => {
  // The instance snapshot to rebuild from: a server whose root disk holds a marker.
  const src = await bootServer(demo, { imageRef: imageId });
  await dockerExec((await containerOf(h.app.instanceId, src.id))!.Id, 'echo from-snapshot > /root/marker');
  const snap = await act(demo, src.id, { createImage: { name: randomName('rb') } }, mv('2.45'));
  await waitForImage(demo, snap.body.image_id, ['active']);
  await waitForServer(demo, src.id, ['ACTIVE']);

  const s = await bootWithDataVolume(demo, imageId);
  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'echo old-root > /root/f && echo vol > /mnt/vdb/f');
  expect(await act(demo, s.id, { rebuild: { imageRef: '7b8f0000-0000-4000-8000-000000000000' } })).toMatchObject({ status: 400, body: badRequest('Cannot find image for rebuild') });
  expect((await act(demo, s.id, { rebuild: {} })).status).toBe(400);
  expect((await act(demo, s.id, { rebuild: { imageRef: imageId, personality: [] } }, mv('2.57'))).status).toBe(400);
  expect((await act(alt, s.id, { rebuild: { imageRef: imageId } })).status).toBe(404);

  const res = await act(demo, s.id, { rebuild: { imageRef: snap.body.image_id, name: 'rebuilt', metadata: { k: 'v' } } }, mv('2.75'));
  expect(res.status).toBe(202);
  expect(res.body.server).toMatchObject({ id: s.id, name: 'rebuilt', status: 'REBUILD', metadata: { k: 'v' }, image: { id: snap.body.image_id }, user_data: null });
  expect(typeof res.body.server.adminPass).toBe('string');
  expectInOrder(await recordStates(demo, s.id, 'ACTIVE'), ['REBUILD/rebuilding', 'REBUILD/rebuild_block_device_mapping', 'REBUILD/rebuild_spawning', 'ACTIVE/null']);
  const c = (await containerOf(h.app.instanceId, s.id))!;
  expect(await dockerExec(c.Id, 'cat /root/marker /mnt/vdb/f; test ! -e /root/f && echo old-root-gone')).toBe('from-snapshot\nvol\nold-root-gone\n');

  expect((await act(demo, s.id, { pause: null })).status).toBe(202);
  await recordStates(demo, s.id, 'PAUSED');
  expect(await act(demo, s.id, { rebuild: { imageRef: imageId } })).toMatchObject({ status: 409, body: conflict(s.id, 'rebuild', 'paused') });
  for (const id of [s.id, src.id]) expect((await demo.request('DELETE', `${COMPUTE}/servers/${id}`)).status).toBe(204);
});

test('rebuild of a volume-backed server: another image refused below 2.93 as Nova does; at 2.93 the root volume is re-imaged', async () => {
  const other = (await demo.request('POST', '/image/v2/images', { name: randomName('img'), disk_format: 'raw', container_format: 'bare', snapstack_docker_image: 'snapstack/busybox:latest' })).body;
  await demo.request('PUT', `/image/v2/images/${other.id}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' });
  const s = await bootServer(demo, {
    imageRef: '',
    block_device_mapping_v2: [{ uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
  });
  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'echo rootvol > /mnt/vda/f');
  expect(await act(demo, s.id, { rebuild: { imageRef: other.id } }, mv('2.92'))).toMatchObject({
    status: 400, body: badRequest(`Image ${other.id} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`),
  });
  // Below 2.93 the same image rebuilds the container and leaves the root volume's data alone.
  expect((await act(demo, s.id, { rebuild: { imageRef: imageId } }, mv('2.92'))).status).toBe(202);
  await recordStates(demo, s.id, 'ACTIVE');
  expect(await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'cat /mnt/vda/f')).toBe('rootvol\n');
  // At 2.93 the root volume is re-imaged: the image's file system, the data written before gone.
  expect((await act(demo, s.id, { rebuild: { imageRef: other.id } }, mv('2.93'))).status).toBe(202);
  await recordStates(demo, s.id, 'ACTIVE');
  const c = (await containerOf(h.app.instanceId, s.id))!;
  expect(await dockerExec(c.Id, 'test -e /mnt/vda/f && echo kept || echo gone; test -x /mnt/vda/bin/busybox && echo image')).toBe('gone\nimage\n');
  const rootVolumeId = (await demo.request('GET', `${COMPUTE}/servers/${s.id}/os-volume_attachments`)).body.volumeAttachments[0].volumeId;
  expect((await demo.request('GET', `/volume/v3/{project_id}/volumes/${rootVolumeId}`)).body.volume.volume_image_metadata).toMatchObject({ image_id: other.id });
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
  await demo.request('DELETE', `/image/v2/images/${other.id}`);
});

test('a rebuild that cannot start its container is rolled back: the old root disk, image and state come back', async () => {
  const broken = (await demo.request('POST', '/image/v2/images', {
    name: randomName('broken'), disk_format: 'raw', container_format: 'bare', snapstack_docker_image: 'snapstack/does-not-exist:latest',
  })).body;
  await demo.request('PUT', `/image/v2/images/${broken.id}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' });
  const s = await bootWithDataVolume(demo, imageId);
  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'echo old-root > /root/f && echo vol > /mnt/vdb/f');
  expect((await act(demo, s.id, { rebuild: { imageRef: broken.id } })).status).toBe(202);
  const seen = await recordStates(demo, s.id, 'ACTIVE');
  expect(seen[seen.length - 1]).toBe('ACTIVE/null');
  const after = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server;
  expect(after.image.id).toBe(imageId);
  expect(await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'cat /root/f /mnt/vdb/f')).toBe('old-root\nvol\n');
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
  await demo.request('DELETE', `/image/v2/images/${broken.id}`);
});
