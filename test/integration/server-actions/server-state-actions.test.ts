import { startHarness, Harness, Session } from '../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, expectInOrder, mv, pollUntil, randomName, recordStates, serverAction, waitForServer, waitForVolume, wrongState,
} from '../../support/compute-helpers';

const VOL = '/volume/v3/{project_id}';
let h: Harness;
let demo: Session;
let alt: Session;
let admin: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

const act = serverAction;
const conflict = wrongState;

test('pause/unpause (docker pause) and suspend/resume: states in order, data kept, Nova\'s 409s, 404 for another project', async () => {
  const s = await bootServer(demo, { imageRef: imageId });
  const c1 = (await containerOf(h.app.instanceId, s.id))!;
  await dockerExec(c1.Id, 'echo kept > /root/file');

  expect(await act(demo, s.id, { unpause: null })).toMatchObject({ status: 409, body: conflict(s.id, 'unpause', 'active') });
  expect(await act(demo, s.id, { resume: null })).toMatchObject({ status: 409, body: conflict(s.id, 'resume', 'active') });
  // Pausing freezes the processes in place: the same container runs on after unpause.
  expect((await act(demo, s.id, { pause: null })).status).toBe(202);
  await waitForServer(demo, s.id, ['PAUSED']);
  expect((await act(demo, s.id, { unpause: null })).status).toBe(202);
  await waitForServer(demo, s.id, ['ACTIVE']);
  expect((await containerOf(h.app.instanceId, s.id))!.Id).toBe(c1.Id);
  expect((await act(alt, s.id, { pause: null })).status).toBe(404);

  const paused = await act(demo, s.id, { pause: null });
  expect(paused.status).toBe(202);
  expect(paused.text).toBe('');
  expectInOrder(await recordStates(demo, s.id, 'PAUSED'), ['ACTIVE/null', 'ACTIVE/pausing', 'PAUSED/null']);
  const p = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server;
  expect(p).toMatchObject({ 'OS-EXT-STS:vm_state': 'paused', 'OS-EXT-STS:power_state': 3 });
  expect((await containerOf(h.app.instanceId, s.id))!.State).toBe('paused');
  expect(await act(demo, s.id, { pause: null })).toMatchObject({ status: 409, body: conflict(s.id, 'pause', 'paused') });
  expect(await act(demo, s.id, { suspend: null })).toMatchObject({ status: 409, body: conflict(s.id, 'suspend', 'paused') });

  // A volume attached while paused is mounted: the container is re-created and paused again.
  const vol = (await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('vol') } })).body.volume;
  await waitForVolume(demo, vol.id, ['available']);
  expect((await demo.request('POST', `${COMPUTE}/servers/${s.id}/os-volume_attachments`, { volumeAttachment: { volumeId: vol.id } })).status).toBe(200);
  const afterAttach = (await containerOf(h.app.instanceId, s.id))!;
  expect(afterAttach.State).toBe('paused');
  expect(afterAttach.Mounts.map((m: any) => m.Destination)).toEqual(['/mnt/vdb']);

  expect((await act(demo, s.id, { unpause: null })).status).toBe(202);
  expectInOrder(await recordStates(demo, s.id, 'ACTIVE'), ['PAUSED/null', 'PAUSED/unpausing', 'ACTIVE/null']);
  const c2 = (await containerOf(h.app.instanceId, s.id))!;
  expect(c2.State).toBe('running');
  expect(await dockerExec(c2.Id, 'cat /root/file && echo v > /mnt/vdb/v && cat /mnt/vdb/v')).toBe('kept\nv\n');

  expect((await act(demo, s.id, { suspend: null })).status).toBe(202);
  expectInOrder(await recordStates(demo, s.id, 'SUSPENDED'), ['ACTIVE/null', 'ACTIVE/suspending', 'SUSPENDED/null']);
  expect(await containerOf(h.app.instanceId, s.id)).toBeUndefined();
  expect(await act(demo, s.id, { 'os-stop': null })).toMatchObject({ status: 409, body: conflict(s.id, 'stop', 'suspended') });
  expect(await act(demo, s.id, { suspend: null })).toMatchObject({ status: 409, body: conflict(s.id, 'suspend', 'suspended') });

  expect((await act(demo, s.id, { resume: null })).status).toBe(202);
  expectInOrder(await recordStates(demo, s.id, 'ACTIVE'), ['SUSPENDED/null', 'SUSPENDED/resuming', 'ACTIVE/null']);
  const c3 = (await containerOf(h.app.instanceId, s.id))!;
  expect(await dockerExec(c3.Id, 'cat /root/file /mnt/vdb/v')).toBe('kept\nv\n');
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
  await waitForVolume(demo, vol.id, ['available']);
  await demo.request('DELETE', `${VOL}/volumes/${vol.id}`);
});

test('lock/unlock: locked_reason from 2.73, a locked server refuses actions and delete to its project, not to admin', async () => {
  const s = await bootServer(demo, { imageRef: imageId });
  const bad = await act(demo, s.id, { lock: { locked_reason: 'x', extra: 1 } }, mv('2.73'));
  expect(bad.status).toBe(400);
  expect((await act(demo, s.id, { lock: { locked_reason: '' } }, mv('2.73'))).status).toBe(400);
  expect((await act(alt, s.id, { lock: null })).status).toBe(404);

  expect((await act(demo, s.id, { lock: { locked_reason: 'maintenance' } }, mv('2.73'))).status).toBe(202);
  const shown = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.73'))).body.server;
  expect(shown).toMatchObject({ locked: true, locked_reason: 'maintenance' });
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.9'))).body.server).not.toHaveProperty('locked_reason');

  const locked = { conflictingRequest: { code: 409, message: `Instance ${s.id} is locked` } };
  for (const body of [{ pause: null }, { 'os-stop': null }, { suspend: null }, { reboot: { type: 'HARD' } }]) {
    expect(await act(demo, s.id, body)).toMatchObject({ status: 409, body: locked });
  }
  expect(await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).toMatchObject({ status: 409, body: locked });
  expect(await demo.request('POST', `${COMPUTE}/servers/${s.id}/os-volume_attachments`, { volumeAttachment: { volumeId: s.id } })).toMatchObject({ status: 409, body: locked });
  // Metadata changes are guarded too (update/delete_instance_metadata); reading is not.
  expect(await demo.request('POST', `${COMPUTE}/servers/${s.id}/metadata`, { metadata: { a: '1' } })).toMatchObject({ status: 409, body: locked });
  expect(await demo.request('PUT', `${COMPUTE}/servers/${s.id}/metadata/a`, { meta: { a: '1' } })).toMatchObject({ status: 409, body: locked });
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}/metadata`)).status).toBe(200);
  expect((await admin.request('POST', `${COMPUTE}/servers/${s.id}/metadata`, { metadata: { a: '1' } })).status).toBe(200);
  expect(await demo.request('DELETE', `${COMPUTE}/servers/${s.id}/metadata/a`)).toMatchObject({ status: 409, body: locked });
  // Snapshots and the console are not guarded by the lock (Nova); an admin passes it.
  expect((await act(demo, s.id, { 'os-getConsoleOutput': {} })).status).toBe(200);
  expect((await act(admin, s.id, { pause: null })).status).toBe(202);
  await waitForServer(demo, s.id, ['PAUSED']);
  expect((await act(admin, s.id, { unpause: null })).status).toBe(202);
  await waitForServer(demo, s.id, ['ACTIVE']);

  expect((await act(demo, s.id, { unlock: null })).status).toBe(202);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.73'))).body.server).toMatchObject({ locked: false, locked_reason: null });
  expect((await act(demo, s.id, { lock: null }, mv('2.73'))).status).toBe(202);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.73'))).body.server).toMatchObject({ locked: true, locked_reason: null });
  expect((await act(demo, s.id, { unlock: null })).status).toBe(202);

  // An admin's lock (from another project) holds against the owner: unlock needs unlock_override.
  expect((await act(admin, s.id, { lock: { locked_reason: 'audit' } }, mv('2.73'))).status).toBe(202);
  expect(await act(demo, s.id, { unlock: null })).toMatchObject({
    status: 403, body: { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed." } },
  });
  // The owner re-locking changes nothing: still the admin's lock and reason.
  expect((await act(demo, s.id, { lock: { locked_reason: 'mine' } }, mv('2.73'))).status).toBe(202);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.73'))).body.server).toMatchObject({ locked: true, locked_reason: 'audit' });
  expect((await act(demo, s.id, { unlock: null })).status).toBe(403);
  expect((await act(admin, s.id, { unlock: null })).status).toBe(202);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.73'))).body.server).toMatchObject({ locked: false, locked_reason: null });

  // 128 metadata items at most, counted on the result.
  const many = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`k${i}`, 'v']));
  expect((await demo.request('PUT', `${COMPUTE}/servers/${s.id}/metadata`, { metadata: many })).status).toBe(200);
  expect(await demo.request('POST', `${COMPUTE}/servers/${s.id}/metadata`, { metadata: { one: 'more' } })).toMatchObject({
    status: 403, body: { forbidden: { code: 403, message: 'Maximum number of metadata items exceeds 128' } },
  });
  expect((await demo.request('POST', `${COMPUTE}/servers/${s.id}/metadata`, { metadata: { k0: 'changed' } })).status).toBe(200);
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
});

test('os-getConsoleOutput: the boot log and what PID 1 writes, length lines from the end, Nova\'s validation', async () => {
  const s = await bootServer(demo, { imageRef: imageId, name: 'Console Test' });
  const c = (await containerOf(h.app.instanceId, s.id))!;
  const output = async (args: Record<string, unknown> = {}) => (await act(demo, s.id, { 'os-getConsoleOutput': args })).body.output as string;
  // The container prints its boot log as it starts: the hostname Nova makes of the name, the kernel.
  const boot = await pollUntil(() => output(), (o) => o.includes('is up'), 10_000, 'the boot log');
  expect(boot).toMatch(/^Snapstack: booting console-test\nLinux version [^\n]+\nSnapstack: console-test is up\n$/);
  // What PID 1 writes is the console: write to its stdout.
  await dockerExec(c.Id, 'printf "one\\ntwo\\nthree\\n" > /proc/1/fd/1');
  const all = await act(demo, s.id, { 'os-getConsoleOutput': {} });
  expect(all.status).toBe(200);
  expect(all.body).toEqual({ output: `${boot}one\ntwo\nthree\n` });
  expect(await output({ length: 2 })).toBe('three\n');
  expect(await output({ length: '3' })).toBe('two\nthree\n');
  expect(await output({ length: -1 })).toBe(`${boot}one\ntwo\nthree\n`);
  expect(await output({ length: null })).toBe(`${boot}one\ntwo\nthree\n`);
  expect(await output({ length: 0 })).toBe('');
  for (const length of [-2, 'abc', 1.5]) expect((await act(demo, s.id, { 'os-getConsoleOutput': { length } })).status).toBe(400);
  expect((await act(demo, s.id, { 'os-getConsoleOutput': { lines: 1 } })).status).toBe(400);
  expect((await act(alt, s.id, { 'os-getConsoleOutput': {} })).status).toBe(404);
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
});

test('the console outlives the container: a stopped server shows its log, a start appends the next boot', async () => {
  const vol = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, imageRef: imageId, name: randomName('console') } });
  await waitForVolume(demo, vol.body.volume.id, ['available']);
  const s = await bootServer(demo, {
    name: 'kept-console', imageRef: '', flavorRef: '0',
    block_device_mapping_v2: [{ uuid: vol.body.volume.id, source_type: 'volume', destination_type: 'volume', boot_index: 0, delete_on_termination: true }],
  });
  const output = async () => (await act(demo, s.id, { 'os-getConsoleOutput': {} })).body.output as string;
  const first = await pollUntil(output, (o) => o.includes('is up'), 10_000, 'the boot log');
  // A volume-backed server's disks are listed.
  expect(first).toMatch(/^Snapstack: booting kept-console\nLinux version [^\n]+\nSnapstack: disk \/mnt\/vda\nSnapstack: kept-console is up\n$/);
  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'echo "before the stop" > /proc/1/fd/1');

  expect((await act(demo, s.id, { 'os-stop': null })).status).toBe(202);
  await waitForServer(demo, s.id, ['SHUTOFF']);
  expect(await containerOf(h.app.instanceId, s.id)).toBeUndefined();
  expect(await output()).toBe(`${first}before the stop\n`);
  expect((await act(demo, s.id, { 'os-getConsoleOutput': { length: 3 } })).body.output).toBe('Snapstack: kept-console is up\nbefore the stop\n');

  expect((await act(demo, s.id, { 'os-start': null })).status).toBe(202);
  await waitForServer(demo, s.id, ['ACTIVE']);
  const both = await pollUntil(output, (o) => o.split('is up').length === 3, 10_000, 'the second boot log');
  expect(both).toBe(`${first}before the stop\n${first}`);
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
});
