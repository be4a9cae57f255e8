import fs from 'fs';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { bootServer, busyboxImage, COMPUTE, GLANCE, mv, pollUntil, randomName, waitForImage, waitForServer } from '../../../support/compute-helpers';
import { createVolume, V, waitFor } from '../volume/volume-test-helpers';
import { exportAndWait, projectFolder, SS } from '../../../support/archive-helpers';

describe('/snapstack/v1/faults: fault injection and pace', () => {
  let h: Harness;
  let admin: Session;
  let demo: Session;
  let alt: Session;

  beforeAll(async () => {
    h = await startHarness();
    [admin, demo, alt] = await Promise.all([h.login('admin'), h.login('demo'), h.login('alt_demo')]);
  });
  afterEach(() => admin.request('DELETE', `${SS}/faults`));
  afterAll(() => h?.stop());

  const rule = async (fault: Record<string, unknown>) => {
    const res = await admin.request('POST', `${SS}/faults`, { fault });
    if (res.status !== 201) throw new Error(`rule refused: ${res.status} ${res.text}`);
    return res.body.fault;
  };

  it('is admin only, checks rules, lists, shows, deletes and clears them', async () => {
    expect((await demo.request('GET', `${SS}/faults`)).status).toBe(403);
    expect((await demo.request('POST', `${SS}/faults`, { fault: { target: 'api', action: 'fail' } })).status).toBe(403);
    const bad = await admin.request('POST', `${SS}/faults`, { fault: { target: 'volume.create', action: 'delay' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('Invalid fault rule: a delay rule needs delay_ms, a positive integer.');
    expect((await admin.request('POST', `${SS}/faults`, { fault: { target: 'nope', action: 'fail' } })).status).toBe(400);

    const a = await rule({ target: 'snapshot.create', action: 'fail', count: 2, project_id: demo.projectId });
    const b = await rule({ target: 'api', action: 'fail', status: 503, service: 'compute' });
    expect(a).toMatchObject({ target: 'snapshot.create', action: 'fail', count: 2, remaining: 2, project_id: demo.projectId, message: 'Injected fault: snapshot creation failed.' });
    expect((await admin.request('GET', `${SS}/faults`)).body.faults.map((f: any) => f.id)).toEqual([a.id, b.id]);
    expect((await admin.request('GET', `${SS}/faults/${a.id}`)).body.fault.id).toBe(a.id);
    expect((await admin.request('DELETE', `${SS}/faults/${a.id}`)).status).toBe(204);
    expect((await admin.request('GET', `${SS}/faults/${a.id}`)).status).toBe(404);
    expect((await admin.request('DELETE', `${SS}/faults`)).status).toBe(204);
    expect((await admin.request('GET', `${SS}/faults`)).body.faults).toEqual([]);
  });

  it('fails the next snapshot of one project only (error, as a real failure), then lets the next one through', async () => {
    await rule({ target: 'snapshot.create', action: 'fail', project_id: demo.projectId, message: 'Backend snapshot failed.' });
    const altVol = await createVolume(alt);
    const altSnap = await alt.request('POST', V('/snapshots'), { snapshot: { volume_id: altVol.id } });
    expect((await waitFor(alt, 'snapshots', altSnap.body.snapshot.id, ['available', 'error'])).status).toBe('available');

    const vol = await createVolume(demo);
    const failed = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: vol.id } });
    expect(failed.status).toBe(202);
    expect((await waitFor(demo, 'snapshots', failed.body.snapshot.id, ['available', 'error'])).status).toBe('error');
    // the volume is usable again and the rule is used up
    expect((await waitFor(demo, 'volumes', vol.id, ['available'])).status).toBe('available');
    expect((await admin.request('GET', `${SS}/faults`)).body.faults).toEqual([]);
    const next = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: vol.id } });
    expect((await waitFor(demo, 'snapshots', next.body.snapshot.id, ['available', 'error'])).status).toBe('available');
  });

  it('delays a status transition: the volume stays creating, then becomes available', async () => {
    await rule({ target: 'volume.create', action: 'delay', delay_ms: 1500 });
    const started = Date.now();
    const res = await demo.request('POST', V('/volumes'), { volume: { size: 1, name: randomName('slow') } });
    await new Promise((r) => setTimeout(r, 500));
    expect((await demo.request('GET', V(`/volumes/${res.body.volume.id}`))).body.volume.status).toBe('creating');
    await waitFor(demo, 'volumes', res.body.volume.id, ['available']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });

  it('answers an API call with the chosen status in the service\'s own error shape', async () => {
    await rule({ target: 'api', action: 'fail', status: 503, service: 'compute', operation_id: 'createServer', message: 'The server is busy.' });
    const nova = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: 'x', flavorRef: '1', imageRef: 'x', networks: 'none' } }, mv('2.37'));
    expect(nova.status).toBe(503);
    expect(nova.body).toEqual({ serviceUnavailable: { code: 503, message: 'The server is busy.' } });
    await rule({ target: 'api', action: 'fail', status: 404, service: 'image' });
    const glance = await demo.request('GET', `${GLANCE}/images`);
    expect(glance.status).toBe(404);
    expect(glance.body).toEqual({ message: 'Injected fault.', code: '404 Not Found', title: 'Not Found' });
    // used up: the next call is answered normally
    expect((await demo.request('GET', `${GLANCE}/images`)).status).toBe(200);
  });

  it('fails a build: the server goes to ERROR with the fault', async () => {
    await rule({ target: 'server.build', action: 'fail', message: 'No valid host was found.' });
    const res = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('srv'), flavorRef: '1', imageRef: (await busyboxImage(demo)).id, networks: 'none' } }, mv('2.37'));
    const server = await waitForServer(demo, res.body.server.id, ['ERROR']);
    expect(server.fault.message).toBe(`Build of instance ${server.id} aborted: No valid host was found.`);
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${server.id}`)).status).toBe(204);
  });

  it('kills an instance snapshot\'s image', async () => {
    const server = await bootServer(demo, { imageRef: (await busyboxImage(demo)).id });
    await rule({ target: 'server.snapshot', action: 'fail' });
    const res = await demo.request('POST', `${COMPUTE}/servers/${server.id}/action`, { createImage: { name: randomName('img') } }, mv('2.45'));
    expect(res.status).toBe(202);
    expect((await waitForImage(demo, res.body.image_id, ['killed', 'active'])).status).toBe('killed');
    // the server is usable: its task state is cleared
    const after = await waitForServer(demo, server.id, ['ACTIVE']);
    expect(after['OS-EXT-STS:task_state']).toBeNull();
  });

  it('fails an archive export and an import mid-way, leaving nothing behind', async () => {
    const vol = await createVolume(demo);
    const snap = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: vol.id, name: randomName('s') } });
    await waitFor(demo, 'snapshots', snap.body.snapshot.id, ['available']);
    await rule({ target: 'archive.export', action: 'fail' });
    await expect(exportAndWait(demo, `${SS}/snapshots/${snap.body.snapshot.id}/export`, { file_name: 'bad.tar' })).rejects.toThrow('Injected fault: archive export failed mid-way.');
    const folder = projectFolder(h, demo);
    expect(fs.existsSync(folder) ? fs.readdirSync(folder) : []).toEqual([]);

    const name = await exportAndWait(demo, `${SS}/snapshots/${snap.body.snapshot.id}/export`, { file_name: 'good.tar' });
    const before = (await demo.request('GET', V('/snapshots'))).body.snapshots.length;
    await rule({ target: 'archive.import', action: 'fail', status: 503 });
    const imported = await demo.request('POST', `${SS}/archives/import`, { file: name });
    expect(imported.status).toBe(503);
    expect(imported.body.error.message).toBe('Injected fault: archive import failed mid-way.');
    expect((await demo.request('GET', V('/snapshots'))).body.snapshots.length).toBe(before);
    expect((await demo.request('POST', `${SS}/archives/import`, { file: name })).status).toBe(201);
  });

  it('is forgotten by a reset, which also ends a delay under way', async () => {
    await rule({ target: 'volume.create', action: 'delay', delay_ms: 600_000 });
    const res = await demo.request('POST', V('/volumes'), { volume: { size: 1 } });
    expect(res.status).toBe(202);
    const reset = await admin.request('POST', `${SS}/reset`);
    expect(reset.status).toBe(200);
    expect((await admin.request('GET', `${SS}/faults`)).body.faults).toEqual([]);
    await pollUntil(() => demo.request('GET', V('/volumes')), (r) => r.body.volumes.length === 0, 30_000, 'volumes gone');
  });
});
