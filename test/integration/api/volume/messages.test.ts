// Cinder's user messages (recorded when a volume job fails: here by a fault rule) and GET /extensions.
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { MV, V, fault, rand, waitFor } from './volume-test-helpers';

describe('Cinder user messages and extensions', () => {
  let h: Harness;
  let demo: Session;
  let alt: Session;
  let admin: Session;

  beforeAll(async () => {
    h = await startHarness({ dockerMode: 'none' });
    [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  });
  afterAll(async () => { await h.stop(); });

  it('records a failed volume create as Cinder words it; its project reads and deletes it (3.3+)', async () => {
    const rule = await admin.request('POST', '/snapstack/v1/faults', { fault: { target: 'volume.create', action: 'fail', project_id: demo.projectId, message: 'disk on fire' } });
    expect(rule.status).toBe(201);
    const made = await demo.request('POST', V('/volumes'), { volume: { size: 1, name: rand('doomed') } });
    expect(made.status).toBe(202);
    await waitFor(demo, 'volumes', made.body.volume.id, ['error']);

    expect((await demo.request('GET', V('/messages'), undefined, MV('3.2'))).status).toBe(404);
    const list = await demo.request('GET', V(`/messages?resource_uuid=${made.body.volume.id}`), undefined, MV('3.3'));
    expect(list.status).toBe(200);
    expect(list.body.messages).toEqual([{
      id: expect.any(String), event_id: 'VOLUME_VOLUME_008_012', user_message: 'create volume from backend storage: Driver failed to create the volume.',
      message_level: 'ERROR', created_at: expect.any(String), guaranteed_until: expect.any(String), request_id: expect.stringMatching(/^req-/),
      resource_type: 'VOLUME', resource_uuid: made.body.volume.id, links: expect.any(Array),
    }]);
    const id = list.body.messages[0].id;
    expect((await demo.request('GET', V(`/messages/${id}`), undefined, MV('3.3'))).body.message.id).toBe(id);
    expect((await alt.request('GET', V(`/messages/${id}`), undefined, MV('3.3'))).status).toBe(404);
    expect((await alt.request('GET', V('/messages'), undefined, MV('3.3'))).body.messages).toEqual([]);
    expect((await admin.request('GET', V('/messages'), undefined, MV('3.3'))).body.messages.map((m: { id: string }) => m.id)).toContain(id);
    expect((await demo.request('DELETE', V(`/messages/${id}`), undefined, MV('3.3'))).status).toBe(204);
    expect(fault(await demo.request('GET', V(`/messages/${id}`), undefined, MV('3.3')))).toEqual({ name: 'itemNotFound', code: 404, message: `Message ${id} could not be found.` });
    await demo.request('DELETE', V(`/volumes/${made.body.volume.id}`));
  });

  it('lists the extensions a default Cinder lists', async () => {
    const res = await demo.request('GET', V('/extensions'));
    expect(res.status).toBe(200);
    const aliases = res.body.extensions.map((e: { alias: string }) => e.alias);
    expect(aliases).toEqual(expect.arrayContaining(['os-hosts', 'os-volume-transfer', 'os-types-manage', 'os-volume-type-access', 'os-vol-tenant-attr']));
    expect(res.body.extensions.find((e: { alias: string }) => e.alias === 'os-hosts'))
      .toEqual({ name: 'Hosts', alias: 'os-hosts', description: 'Admin-only host administration.', updated: '2011-06-29T00:00:00+00:00', links: [] });
  });
});
