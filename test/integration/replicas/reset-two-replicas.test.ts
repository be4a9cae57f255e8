/**
 * A reset through one replica quiesces the others (issue 15 with issue 13's reset): two
 * `snapstack serve` replicas (SNAPSTACK_REPLICA=1) on one PostgreSQL, one data directory and the
 * Docker engine, one job worker each. A long job (a delay fault) runs on each replica and more
 * jobs wait queued behind them when one replica serves a reset: both long jobs end (drained)
 * before the reset runs, no queued job starts anywhere while it runs, and afterwards both replicas
 * serve the seed state (no volume, no rule, a deleted user's token refused by the replica that had
 * it cached) and run new jobs. A third replica killed with SIGKILL in the middle of a reset leaves
 * the others working within a bounded time.
 */
import Docker from 'dockerode';
import type { ServedChild } from '../../support/serve-child';
import { login, ok, request } from '../../support/snapstack-harness';
import { pollUntil } from '../../support/compute-helpers';
import { logLines, ServedReplicas } from '../../support/replica-helpers';

jest.setTimeout(240_000);

const VOL = '/volume/v3';
const SS = '/snapstack/v1';

describe('a reset across two replicas on one PostgreSQL', () => {
  const served = new ServedReplicas();
  const replicas = served.children;
  /** One job worker each. */
  const serve = (extra: Record<string, string> = {}) => served.serve({ SNAPSTACK_JOB_WORKERS: '1', ...extra });
  const startedJobs = (r: ServedChild) => logLines(r.logs()).filter((l) => l.msg === 'job started');
  const lineOf = (r: ServedChild, msg: string) => logLines(r.logs()).find((l) => l.msg === msg);

  beforeAll(() => served.setup());
  afterAll(() => served.teardown());

  it('drains the long jobs of both replicas, starts no queued job while it runs, and leaves both on the seed state running new jobs', async () => {
    const a = await serve();
    const b = await serve();
    const { db, instanceId } = served;
    const me = await login(a.url, 'demo');
    const admin = await login(b.url, 'admin');
    const as = (token: string) => ({ 'X-Auth-Token': token });
    const volumeStatus = async (id: string) => (await request(a.url, 'GET', `${VOL}/${me.projectId}/volumes/${id}`, undefined, as(me.token))).body.volume?.status;

    // A user the reset removes, whose token b has validated (and cached).
    const roles = ok(await request(a.url, 'GET', '/identity/v3/roles', undefined, as(admin.token)), 200).roles as Array<{ id: string; name: string }>;
    const user = ok(await request(a.url, 'POST', '/identity/v3/users', { user: { name: 'made-before-reset', password: 'made-secret' } }, as(admin.token)), 201).user;
    ok(await request(a.url, 'PUT', `/identity/v3/projects/${me.projectId}/users/${user.id}/roles/${roles.find((r) => r.name === 'member')!.id}`, undefined, as(admin.token)), 204);
    const issued = await request(a.url, 'POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { id: user.id, password: 'made-secret' } } }, scope: { project: { id: me.projectId } } },
    });
    expect(issued.status).toBe(201);
    const userToken = issued.headers.get('x-subject-token')!;
    ok(await request(b.url, 'GET', `${VOL}/${me.projectId}/volumes`, undefined, as(userToken)), 200);

    // Each replica's one worker busy with a volume create delayed by two minutes; two more
    // creates wait queued behind them (no free worker anywhere).
    ok(await request(a.url, 'POST', `${SS}/faults`, { fault: { target: 'volume.create', action: 'delay', delay_ms: 120_000, count: 2, project_id: me.projectId } }, as(admin.token)), 201);
    const create = async (r: ServedChild, name: string) => ok(await request(r.url, 'POST', `${VOL}/${me.projectId}/volumes`, { volume: { size: 1, name } }, as(me.token)), 202).volume.id as string;
    const long = [await create(a, 'long-1'), await create(b, 'long-2')];
    const running = await pollUntil(() => db('jobs').whereIn('resource_id', long).where('status', 'running'), (rows) => rows.length === 2, 60_000, 'both long jobs running');
    expect(new Set(running.map((j) => j.owner))).toEqual(new Set([a.listening.replica_id, b.listening.replica_id]));
    const queued = [await create(a, 'queued-1'), await create(b, 'queued-2')];
    const queuedJobs = (await db('jobs').whereIn('resource_id', queued)).map((j) => j.id as string);
    expect(queuedJobs).toHaveLength(2);

    // The reset, through a: it waits for b's long job as for its own (the rules' clear ends both
    // delays), well before the two minutes.
    const resetAt = Date.now();
    const reset = ok(await request(a.url, 'POST', `${SS}/reset`, undefined, as(admin.token)), 200).reset;
    const resetEnded = Date.now();
    expect(resetEnded - resetAt).toBeLessThan(60_000);
    expect(reset.rows.volumes).toBeGreaterThanOrEqual(4);
    expect(reset.docker.volumes).toBeGreaterThanOrEqual(2);

    // Both long jobs ended (succeeded: drained) before the reset removed anything; b paused and
    // acknowledged after its job ended; the queued jobs never started, in either replica.
    // A child's log lines reach us through its stdout pipe, perhaps after the answer: waited for.
    const logged = (r: ServedChild, msg: string) => pollUntil(async () => lineOf(r, msg), (l) => l !== undefined, 10_000, `"${msg}" logged`);
    const resetLine = (await logged(a, 'reset to the seeded state'))!;
    const quiescing = (await logged(a, 'reset: quiescing every replica'))!;
    expect(resetLine).toBeDefined();
    const finished = (r: ServedChild) => logLines(r.logs()).filter((l) => l.msg === 'job succeeded' && long.includes(l.resource_id));
    expect(await pollUntil(async () => [...finished(a), ...finished(b)], (l) => l.length >= 2, 10_000, 'both long jobs logged as succeeded')).toHaveLength(2);
    const paused = (await logged(b, 'another replica is resetting: jobs paused here'))!;
    const acknowledged = (await logged(b, 'quiesced for the reset elsewhere'))!;
    const resumed = await logged(b, 'reset elsewhere ended: running jobs again');
    expect(paused).toBeDefined();
    expect(acknowledged.resets).toEqual([quiescing.reset_id]);
    expect(finished(b)[0].time).toBeLessThanOrEqual(acknowledged.time);
    expect(acknowledged.time).toBeLessThanOrEqual(resetLine.time);
    for (const r of [a, b]) {
      expect(startedJobs(r).filter((l) => queuedJobs.includes(l.job_id))).toEqual([]);
      expect(startedJobs(r).filter((l) => l.time >= quiescing.time && l.time <= (r === b ? resumed!.time : resetLine.time))).toEqual([]);
    }

    // Both serve the seed state: no volume, no rule, no job row, no Docker volume of the instance;
    // the removed user's token is refused by b, which had it cached.
    for (const r of [a, b]) {
      expect(ok(await request(r.url, 'GET', `${VOL}/${me.projectId}/volumes`, undefined, as(me.token)), 200).volumes).toEqual([]);
      expect(ok(await request(r.url, 'GET', `${SS}/faults`, undefined, as(admin.token)), 200).faults).toEqual([]);
    }
    expect((await request(b.url, 'GET', `${VOL}/${me.projectId}/volumes`, undefined, as(userToken))).status).toBe(401);
    expect(await db('jobs').whereIn('id', queuedJobs)).toEqual([]);
    const dockerVolumes = await new Docker({ socketPath: '/var/run/docker.sock' }).listVolumes({ filters: JSON.stringify({ label: [`snapstack.instance=${instanceId}`] }) });
    expect(dockerVolumes.Volumes ?? []).toEqual([]);

    // Both run new jobs: the first holds its replica's worker (a short delay), the second runs on the other.
    ok(await request(b.url, 'POST', `${SS}/faults`, { fault: { target: 'volume.create', action: 'delay', delay_ms: 3_000, count: 1, project_id: me.projectId } }, as(admin.token)), 201);
    const fresh = [await create(a, 'after-1'), await create(b, 'after-2')];
    for (const id of fresh) await pollUntil(() => volumeStatus(id), (s) => s === 'available', 60_000, `volume ${id} available`);
    const owners = await db('jobs').whereIn('resource_id', fresh).select('owner', 'status');
    expect(owners.every((j) => j.status === 'succeeded')).toBe(true);
    expect(new Set(owners.map((j) => j.owner))).toEqual(new Set([a.listening.replica_id, b.listening.replica_id]));
  });

  it('a replica killed with SIGKILL in the middle of a reset leaves the others working within one heartbeat TTL', async () => {
    const [a, b] = replicas;
    const { db } = served;
    const me = await login(b.url, 'demo');
    const admin = await login(b.url, 'admin');
    // A third replica that dies when its reset reaches block storage (compute already reset).
    const c = await serve({ SNAPSTACK_CRASH_AT: 'reset.volume' });
    const before = ok(await request(b.url, 'POST', `${VOL}/${me.projectId}/volumes`, { volume: { size: 1, name: 'before-crash' } }, { 'X-Auth-Token': me.token }), 202).volume.id;
    await pollUntil(() => db('jobs').where({ resource_id: before }).first(), (j) => j?.status === 'succeeded', 60_000, 'a volume before the crash');

    const resetAt = Date.now();
    await expect(request(c.url, 'POST', `${SS}/reset`, undefined, { 'X-Auth-Token': admin.token })).rejects.toThrow();
    expect((await c.exited).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    // a and b had acknowledged it (paused); the dead replica's mark stops counting with its heartbeat.
    const since = (r: ServedChild, msg: string) => logLines(r.logs()).filter((l) => l.msg === msg && l.time >= resetAt);
    for (const r of [a, b]) expect(since(r, 'quiesced for the reset elsewhere')).toHaveLength(1);
    const made = ok(await request(b.url, 'POST', `${VOL}/${me.projectId}/volumes`, { volume: { size: 1, name: 'after-crash' } }, { 'X-Auth-Token': me.token }), 202).volume.id;
    const done = await pollUntil(async () => (await request(a.url, 'GET', `${VOL}/${me.projectId}/volumes/${made}`, undefined, { 'X-Auth-Token': me.token })).body.volume?.status, (s) => s === 'available' || s === 'error', 60_000, 'a volume after the crash');
    expect(done).toBe('available');
    // Within the heartbeat TTL (10 s) and a poll or two, not forever.
    const resumedAt = Math.min(...[a, b].flatMap((r) => since(r, 'reset elsewhere ended: running jobs again').map((l) => l.time)));
    expect(resumedAt - killedAt).toBeLessThan(20_000);

    // A reset through a survivor finishes what the dead one left: the seed state again.
    ok(await request(a.url, 'POST', `${SS}/reset`, undefined, { 'X-Auth-Token': admin.token }), 200);
    expect(ok(await request(b.url, 'GET', `${VOL}/${me.projectId}/volumes`, undefined, { 'X-Auth-Token': me.token }), 200).volumes).toEqual([]);
  });
});
