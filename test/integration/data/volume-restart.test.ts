// A restart in the middle of volume work: jobs a stopped process left queued are resumed by
// the next one (data operations are idempotent), so nothing stays `creating` or `deleting`.
import { startSnapstack, Snapstack } from '../../../src/app';
import { createLogger } from '../../../src/logger';
import { request, startHarness, Harness, Session } from '../../support/snapstack-harness';
import { V, createSnapshot, createVolume, roomyQuotas, waitFor } from '../api/volume/volume-test-helpers';

describe('volume jobs across a restart', () => {
  let h: Harness;
  let second: Snapstack | undefined;
  let third: Snapstack | undefined;
  beforeAll(async () => { h = await startHarness(roomyQuotas()); });
  afterAll(async () => {
    await third?.close();
    await second?.close();
    await h.stop();
  });

  it('resumes creates and deletes that were accepted but not run', async () => {
    const demo = await h.login('demo');
    const v = await createVolume(demo);
    const s = await createSnapshot(demo, v.id);
    const doomed = await createSnapshot(demo, v.id);

    // From here the runner records jobs but starts none, as during a shutdown.
    await h.app.jobs.drain();
    const fromSnap = await demo.request('POST', V('/volumes'), { volume: { snapshot_id: s.id } });
    const newSnap = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id } });
    expect((await demo.request('DELETE', V(`/snapshots/${doomed.id}`))).status).toBe(202);
    expect(fromSnap.status).toBe(202);
    expect(newSnap.status).toBe(202);
    expect((await demo.request('GET', V(`/volumes/${fromSnap.body.volume.id}`))).body.volume.status).toBe('creating');
    await h.app.close();

    second = await startSnapstack(h.app.config, { logger: createLogger(process.env.SNAPSTACK_TEST_LOG_LEVEL || 'silent') });
    expect(second.instanceId).toBe(h.app.instanceId);
    const login = await request(second.url, 'POST', '/identity/v3/auth/tokens', {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'demo-secret' } } },
        scope: { project: { name: 'demo', domain: { name: 'Default' } } },
      },
    });
    const token = login.headers.get('x-subject-token')!;
    const again: Session = {
      token, projectId: demo.projectId, userId: demo.userId,
      request: (method, p, body, headers = {}) => request(second!.url, method, p.replace('{project_id}', demo.projectId), body, { 'X-Auth-Token': token, ...headers }),
    };
    await waitFor(again, 'volumes', fromSnap.body.volume.id, ['available']);
    await waitFor(again, 'snapshots', newSnap.body.snapshot.id, ['available']);
    await waitFor(again, 'snapshots', doomed.id, ['gone']);
    // The resumed volume holds the snapshot's (empty) data and mounts.
    await expect(second.volume.prepareMount(demo.projectId, fromSnap.body.volume.id)).resolves.toHaveProperty('dockerVolume');
  });

  it('the start-up reconcile marks a volume whose data is gone as error and reports it', async () => {
    const app = second!;
    const id = '00000000-0000-4000-8000-0000000000aa';
    await app.db('volumes').insert({
      id, project_id: 'p-ghost', size: 1, status: 'available', volume_type: '__DEFAULT__', availability_zone: 'nova', metadata: '{}',
    });
    const report = await app.volume.reconcile();
    expect(report.missingData).toEqual([id]);
    expect(report.strayData).toEqual([]);
    expect((await app.db('volumes').where({ id }).first()).status).toBe('error');
  });

  it('a stop aborts a running job through its AbortSignal, closes after it, and the next start resumes it', async () => {
    const app = second!;
    const login = await request(app.url, 'POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'demo-secret' } } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } },
    });
    const token = login.headers.get('x-subject-token')!;
    const demo = { projectId: login.body.token.project.id as string };
    // The job waits 10 minutes in its fault delay, far longer than a stop may take.
    await app.faults.add({ target: 'volume.create', action: 'delay', delay_ms: 600_000 });
    const res = await request(app.url, 'POST', V('/volumes').replace('{project_id}', demo.projectId), { volume: { size: 1 } }, { 'X-Auth-Token': token });
    expect(res.status).toBe(202);
    const id = res.body.volume.id;
    for (let i = 0; i < 100 && (await app.db('jobs').where({ resource_id: id }).first())?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await app.close(); // 10 s of grace, then the abort: the delay ends at once
    expect(Date.now() - started).toBeLessThan(40_000);
    second = undefined;

    third = await startSnapstack(app.config, { logger: createLogger(process.env.SNAPSTACK_TEST_LOG_LEVEL || 'silent') });
    await third.jobs.idle();
    const job = await third.db('jobs').where({ resource_id: id }).first();
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, owner: third.jobs.owner });
    expect((await third.db('volumes').where({ id }).first()).status).toBe('available');
  });
});
