import Docker from 'dockerode';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, mv, pollUntil, randomName, waitForImage, waitForServer,
} from '../../../support/compute-helpers';

let h: Harness;
let demo: Session;
let imageId: string;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(async () => {
  h = await startHarness();
  demo = await h.login('demo');
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

const action = (id: string, body: unknown, headers: Record<string, string> = {}) => demo.request('POST', `${COMPUTE}/servers/${id}/action`, body, headers);

test('stop, start, reboot: states as Nova shows them, the root disk survives, 409 in the wrong state', async () => {
  const s = await bootServer(demo, { imageRef: imageId });
  const c1 = (await containerOf(h.app.instanceId, s.id))!;
  await dockerExec(c1.Id, 'echo kept > /root/file');

  const conflict = await action(s.id, { 'os-start': null });
  expect(conflict.status).toBe(409);
  expect(conflict.body).toEqual({ conflictingRequest: { code: 409, message: `Cannot 'start' instance ${s.id} while it is in vm_state active` } });

  const stop = await action(s.id, { 'os-stop': null });
  expect(stop.status).toBe(202);
  expect(stop.text).toBe('');
  const stopped = await waitForServer(demo, s.id, ['SHUTOFF']);
  expect(stopped).toMatchObject({ 'OS-EXT-STS:vm_state': 'stopped', 'OS-EXT-STS:power_state': 4, 'OS-EXT-STS:task_state': null });
  expect(stopped).not.toHaveProperty('progress');
  expect(await containerOf(h.app.instanceId, s.id)).toBeUndefined();
  expect((await action(s.id, { 'os-stop': null })).body.conflictingRequest.message).toBe(`Cannot 'stop' instance ${s.id} while it is in vm_state stopped`);
  expect((await action(s.id, { reboot: { type: 'SOFT' } })).status).toBe(409);

  expect((await action(s.id, { 'os-start': null })).status).toBe(202);
  const started = await waitForServer(demo, s.id, ['ACTIVE']);
  expect(started['OS-EXT-STS:power_state']).toBe(1);
  const c2 = (await containerOf(h.app.instanceId, s.id))!;
  expect(c2.Id).not.toBe(c1.Id);
  expect(await dockerExec(c2.Id, 'cat /root/file')).toBe('kept\n');

  expect((await action(s.id, { reboot: { type: 'SOFT' } })).status).toBe(202);
  await waitForServer(demo, s.id, ['ACTIVE']);
  expect((await action(s.id, { reboot: { type: 'HARD' } })).status).toBe(202);
  await waitForServer(demo, s.id, ['ACTIVE']);
  const c3 = (await containerOf(h.app.instanceId, s.id))!;
  expect(c3.State).toBe('running');
  expect(await dockerExec(c3.Id, 'cat /root/file')).toBe('kept\n');

  const badType = await action(s.id, { reboot: { type: 'WARM' } });
  expect(badType.status).toBe(400);
  const unknown = await action(s.id, { frobnicate: null });
  expect(unknown.body).toEqual({ badRequest: { code: 400, message: 'There is no such action: frobnicate' } });
  // createImage metadata within Nova's limits: keys and values up to 255, at most 128 items.
  const longKey = await action(s.id, { createImage: { name: 'x', metadata: { ['a'.repeat(256)]: 'b' } } });
  expect(longKey.status).toBe(400);
  expect(longKey.body.badRequest.message).toContain("Additional properties are not allowed ('aaaa");
  const longValue = await action(s.id, { createImage: { name: 'x', metadata: { k: 'b'.repeat(256) } } });
  expect(longValue.status).toBe(400);
  expect(longValue.body.badRequest.message).toMatch(/^Invalid input for field\/attribute k\. .* is too long$/);
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
  const tooMany = await action(s.id, { createImage: { name: 'x', metadata: many } });
  expect(tooMany.body).toEqual({ forbidden: { code: 403, message: 'Image metadata limit exceeded' } });
  expect((await action(s.id, { rescue: null })).status).toBe(501);
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
});

test('image-backed createImage: Location below 2.45, image_id from 2.45, container committed, boots again', async () => {
  const s = await bootServer(demo, { imageRef: imageId, flavorRef: '2' });
  const c = (await containerOf(h.app.instanceId, s.id))!;
  await dockerExec(c.Id, 'echo before > /root/data');

  const old = await action(s.id, { createImage: { name: randomName('snap') } });
  expect(old.status).toBe(202);
  expect(old.text).toBe('');
  const location = old.headers.get('location')!;
  expect(location).toMatch(new RegExp(`^${h.url}/image/v2/images/[0-9a-f-]{36}$`));
  const firstId = location.split('/').pop()!;
  const listed = await demo.request('GET', `${GLANCE}/images`);
  expect(listed.body.images.map((i: any) => i.id)).toContain(firstId);
  const first = await waitForImage(demo, firstId, ['active']);
  await waitForServer(demo, s.id, ['ACTIVE']);
  await dockerExec(c.Id, 'echo after > /root/data');

  expect(first).toMatchObject({
    visibility: 'private', owner: demo.projectId, container_format: 'docker', disk_format: 'raw', min_disk: 20, min_ram: 0,
    image_type: 'snapshot', instance_uuid: s.id, user_id: demo.userId, base_image_ref: imageId,
    snapstack_docker_image: `snapstack/snap-${firstId}:latest`, owner_project_name: 'demo', owner_user_name: 'demo', snapstack_scope: 'namespace',
  });
  const info = await docker.getImage(first.snapstack_docker_image).inspect();
  expect(first.size).toBe(info.Size);

  const modern = await action(s.id, { createImage: { name: randomName('snap'), metadata: { purpose: 'test' } } }, mv('2.45'));
  expect(modern.status).toBe(202);
  expect(modern.headers.get('location')).toBeNull();
  const second = await waitForImage(demo, modern.body.image_id, ['active']);
  expect(second.purpose).toBe('test');
  await waitForServer(demo, s.id, ['ACTIVE']);

  // The first snapshot holds "before": boot it and read.
  const clone = await bootServer(demo, { imageRef: firstId, flavorRef: '2' });
  const cc = (await containerOf(h.app.instanceId, clone.id))!;
  expect(await dockerExec(cc.Id, 'cat /root/data')).toBe('before\n');
  await demo.request('DELETE', `${COMPUTE}/servers/${clone.id}`);

  // Nova's image proxy (below 2.36) shows it; from 2.36 the proxy is gone.
  const proxied = await demo.request('GET', `${COMPUTE}/images/${second.id}`);
  expect(proxied.body.image).toMatchObject({ id: second.id, status: 'ACTIVE', minDisk: 20, minRam: 0, progress: 100, server: { id: s.id } });
  expect(proxied.body.image.metadata.purpose).toBe('test');
  expect((await demo.request('GET', `${COMPUTE}/images/detail`)).body.images.map((i: any) => i.id)).toContain(second.id);
  // Nova's type filter: snapshots only, not the seeded base image.
  const snapshots = (await demo.request('GET', `${COMPUTE}/images?type=snapshot`)).body.images.map((i: any) => i.id);
  expect(snapshots).toContain(second.id);
  expect(snapshots).not.toContain(imageId);
  expect((await demo.request('GET', `${COMPUTE}/images`, undefined, mv('2.36'))).status).toBe(404);
  expect((await demo.request('DELETE', `${COMPUTE}/images/${second.id}`)).status).toBe(204);
  expect((await demo.request('GET', `${COMPUTE}/images/${second.id}`)).status).toBe(404);

  // Deleting the Glance image removes its Docker image.
  await pollUntil(() => containerOf(h.app.instanceId, clone.id), (x) => x === undefined, 30_000, 'clone container gone');
  expect((await demo.request('DELETE', `${GLANCE}/images/${firstId}`)).status).toBe(204);
  await expect(docker.getImage(first.snapstack_docker_image).inspect()).rejects.toMatchObject({ statusCode: 404 });

  // A stopped image-backed server snapshots from its committed root disk.
  await action(s.id, { 'os-stop': null });
  await waitForServer(demo, s.id, ['SHUTOFF']);
  const offline = await action(s.id, { createImage: { name: randomName('off') } }, mv('2.45'));
  const third = await waitForImage(demo, offline.body.image_id, ['active']);
  const after = await waitForServer(demo, s.id, ['SHUTOFF']);
  expect(after['OS-EXT-STS:task_state']).toBeNull();
  const clone2 = await bootServer(demo, { imageRef: third.id, flavorRef: '2' });
  expect(await dockerExec((await containerOf(h.app.instanceId, clone2.id))!.Id, 'cat /root/data')).toBe('after\n');
  for (const id of [clone2.id, s.id]) await demo.request('DELETE', `${COMPUTE}/servers/${id}`);
});

test('a failed build ends in ERROR with a fault; delete still works', async () => {
  const img = await demo.request('POST', `${GLANCE}/images`, {
    name: randomName('broken'), disk_format: 'raw', container_format: 'bare', snapstack_docker_image: 'snapstack/does-not-exist:latest',
  });
  await demo.request('PUT', `${GLANCE}/images/${img.body.id}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' });
  const s = await bootServer(demo, { imageRef: img.body.id }, mv('2.37'), ['ERROR']);
  expect(s).toMatchObject({ status: 'ERROR', 'OS-EXT-STS:vm_state': 'error', 'OS-EXT-STS:task_state': null });
  expect(s.fault.code).toBe(500);
  expect(s.fault.message).toContain(`Build of instance ${s.id} aborted`);
  expect(s.fault.created).toMatch(/Z$/);
  expect(s).not.toHaveProperty('progress');
  expect((await action(s.id, { createImage: { name: 'x' } })).status).toBe(409);
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
});
