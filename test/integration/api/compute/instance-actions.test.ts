import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, mv, pollUntil, randomName, serverAction, waitForServer, waitForServerGone, waitForVolume,
} from '../../../support/compute-helpers';

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
afterAll(async () => { await h?.stop(); });

const actionsOf = (id: string) => `${COMPUTE}/servers/${id}/os-instance-actions`;

/** Waits until every event of the server's actions has finished. */
async function settled(s: Session, id: string, version = '2.62') {
  const list = (await s.request('GET', actionsOf(id), undefined, mv(version))).body.instanceActions;
  for (const a of list) {
    await pollUntil(() => s.request('GET', `${actionsOf(id)}/${a.request_id}`, undefined, mv(version)),
      (r) => (r.body.instanceAction.events ?? []).every((e: any) => e.finish_time !== null), 60_000, `events of ${a.action}`);
  }
  return list;
}

describe('os-instance-actions', () => {
  test('a create\'s event finishes Success with its build, with no later action to finish it', async () => {
    // The event is made in the same transaction as the build's job, at the same microsecond: the job's time read back in milliseconds left it open.
    const created = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('ia'), imageRef: imageId, flavorRef: '1', networks: 'none' } }, mv('2.37'));
    const id = created.body.server.id;
    await waitForServer(demo, id, ['ACTIVE']);
    const path = `${actionsOf(id)}/${created.headers.get('x-compute-request-id')}`;
    const done = await pollUntil(() => demo.request('GET', path, undefined, mv('2.62')), (r) => r.body.instanceAction.events[0].finish_time !== null, 15_000, 'create event');
    expect(done.body.instanceAction.events).toEqual([expect.objectContaining({ event: 'compute__do_build_and_run_instance', result: 'Success' })]);
    await demo.request('DELETE', `${COMPUTE}/servers/${id}`);
  });

  test('create and reboot recorded with their request ids; events finished Success; views by microversion', async () => {
    const created = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('ia'), imageRef: imageId, flavorRef: '1', networks: 'none' } }, mv('2.37'));
    const id = created.body.server.id;
    const createRequest = created.headers.get('x-compute-request-id');
    await waitForServer(demo, id, ['ACTIVE']);
    const reboot = await serverAction(demo, id, { reboot: { type: 'HARD' } });
    expect(reboot.status).toBe(202);
    await waitForServer(demo, id, ['ACTIVE']);
    // A refused action leaves no record.
    expect((await serverAction(demo, id, { 'os-start': null })).status).toBe(409);

    const list = await settled(demo, id);
    expect(list.map((a: any) => a.action)).toEqual(['reboot', 'create']);
    expect(list[1]).toMatchObject({ request_id: createRequest, instance_uuid: id, user_id: demo.userId, project_id: demo.projectId, message: null });
    expect(list[0].request_id).toBe(reboot.headers.get('x-compute-request-id'));
    expect(list[0].start_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(list[0].updated_at).toEqual(expect.any(String));
    expect((await demo.request('GET', actionsOf(id), undefined, mv('2.57'))).body.instanceActions[0]).not.toHaveProperty('updated_at');

    const show = (v: string, who = demo) => who.request('GET', `${actionsOf(id)}/${createRequest}`, undefined, mv(v));
    const own = (await show('2.62')).body.instanceAction;
    expect(own.events).toEqual([expect.objectContaining({ event: 'compute__do_build_and_run_instance', result: 'Success', hostId: expect.any(String) })]);
    expect(own.events[0]).not.toHaveProperty('traceback');
    expect(own.events[0]).not.toHaveProperty('host');
    expect((await show('2.50')).body.instanceAction).not.toHaveProperty('events');
    const asAdmin = (await show('2.84', admin)).body.instanceAction.events[0];
    expect(asAdmin).toMatchObject({ host: 'snapstack', traceback: null, details: null });
    expect((await show('2.50', admin)).body.instanceAction.events[0]).toHaveProperty('traceback');

    const missing = await demo.request('GET', `${actionsOf(id)}/req-nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.itemNotFound.message).toBe('Action req-nope not found');
    expect((await alt.request('GET', actionsOf(id))).status).toBe(404);

    // 2.21: a deleted server's actions stay readable, with 'delete' added; below it, 404.
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${id}`)).status).toBe(204);
    await waitForServerGone(demo, id);
    expect((await demo.request('GET', actionsOf(id), undefined, mv('2.20'))).status).toBe(404);
    const after = await settled(demo, id, '2.21');
    expect(after.map((a: any) => a.action)).toEqual(['delete', 'reboot', 'create']);
  });

  test('2.58 paging by request id with links, changes-since; a failed action is marked Error', async () => {
    const server = await bootServer(demo, { name: randomName('iap'), imageRef: imageId });
    for (const action of [{ 'os-stop': null }, { 'os-start': null }]) {
      expect((await serverAction(demo, server.id, action)).status).toBe(202);
      await waitForServer(demo, server.id, [Object.keys(action)[0] === 'os-stop' ? 'SHUTOFF' : 'ACTIVE']);
    }
    const all = await settled(demo, server.id, '2.58');
    expect(all.map((a: any) => a.action)).toEqual(['start', 'stop', 'create']);
    const page = await demo.request('GET', `${actionsOf(server.id)}?limit=2`, undefined, mv('2.58'));
    expect(page.body.instanceActions.map((a: any) => a.action)).toEqual(['start', 'stop']);
    expect(page.body.links[0].href).toContain(`marker=${page.body.instanceActions[1].request_id}`);
    const next = await demo.request('GET', `${actionsOf(server.id)}?limit=2&marker=${page.body.instanceActions[1].request_id}`, undefined, mv('2.58'));
    expect(next.body.instanceActions.map((a: any) => a.action)).toEqual(['create']);
    expect(next.body).not.toHaveProperty('links');
    expect((await demo.request('GET', `${actionsOf(server.id)}?marker=req-nope`, undefined, mv('2.58'))).status).toBe(400);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await demo.request('GET', `${actionsOf(server.id)}?changes-since=${future}`, undefined, mv('2.58'))).body.instanceActions).toEqual([]);
    expect((await demo.request('GET', `${actionsOf(server.id)}?changes-since=yesterday`, undefined, mv('2.58'))).status).toBe(400);

    // Volume attach and detach are actions too, finished by their jobs.
    const vol = (await demo.request('POST', `/volume/v3/${demo.projectId}/volumes`, { volume: { size: 1 } })).body.volume;
    await waitForVolume(demo, vol.id, ['available']);
    expect((await demo.request('POST', `${COMPUTE}/servers/${server.id}/os-volume_attachments`, { volumeAttachment: { volumeId: vol.id } })).status).toBe(200);
    await waitForVolume(demo, vol.id, ['in-use']);
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${server.id}/os-volume_attachments/${vol.id}`)).status).toBe(202);
    await waitForVolume(demo, vol.id, ['available']);
    const volumeActions = (await settled(demo, server.id, '2.58')).slice(0, 2);
    expect(volumeActions.map((a: any) => a.action)).toEqual(['detach_volume', 'attach_volume']);
    for (const a of volumeActions) {
      const shown = (await demo.request('GET', `${actionsOf(server.id)}/${a.request_id}`, undefined, mv('2.58'))).body.instanceAction;
      expect(shown.events).toEqual([expect.objectContaining({ event: `compute_${a.action}`, result: 'Success' })]);
    }
    await demo.request('DELETE', `/volume/v3/${demo.projectId}/volumes/${vol.id}`);

    // A failed job (an injected fault) finishes its event with Error; the action's message is 'Error'.
    const rule = await admin.request('POST', '/snapstack/v1/faults', { fault: { target: 'server.action', action: 'fail', project_id: demo.projectId, message: 'Injected reboot failure' } });
    expect(rule.status).toBe(201);
    const reboot = await serverAction(demo, server.id, { reboot: { type: 'HARD' } });
    expect(reboot.status).toBe(202);
    const path = `${actionsOf(server.id)}/${reboot.headers.get('x-compute-request-id')}`;
    const failed = await pollUntil(() => demo.request('GET', path, undefined, mv('2.58')), (r) => r.body.instanceAction?.events?.[0]?.finish_time !== null, 60_000, 'reboot event');
    expect(failed.body.instanceAction).toMatchObject({ action: 'reboot', message: 'Error', events: [expect.objectContaining({ event: 'compute_reboot_instance', result: 'Error' })] });
    expect((await admin.request('GET', path, undefined, mv('2.58'))).body.instanceAction.events[0].traceback).toContain('Injected reboot failure');
    await demo.request('DELETE', `${COMPUTE}/servers/${server.id}`);
  });
});
