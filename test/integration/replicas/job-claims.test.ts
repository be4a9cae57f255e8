/**
 * Replicas on one PostgreSQL (issue 15), at the job runner's level: several runners, each with
 * its own replica registry, on one database. Each job runs once; a dead replica's jobs (no
 * heartbeat) are taken over by a live one, once; advisory locks serialise across runners.
 */
import { AdvisoryLocks } from '../../../src/shared/resource-locks';
import { pollUntil } from '../../support/compute-helpers';
import { RunnerReplicas } from '../../support/replica-helpers';

describe('jobs across replicas on one PostgreSQL', () => {
  const fleet = new RunnerReplicas();
  const { log } = fleet;
  let db: RunnerReplicas['db'];
  /** Every run of every replica, by job id (replicas of earlier tests keep running). */
  const runs = new Map<string, string[]>();

  beforeAll(async () => {
    await fleet.setup();
    db = fleet.db;
  });
  afterAll(() => fleet.teardown());

  /** A replica whose `counted` jobs record their runs (`hang`: the first attempt runs until its abort). */
  const replica = (name: string) => fleet.start(name, (runner) => runner.register<{ n: number; hang?: boolean }>({
    kind: 'counted', onRestart: 'resume', onFail: async () => undefined,
    run: async (p, job, signal) => {
      runs.set(job.id, [...(runs.get(job.id) ?? []), name]);
      if (p.hang && job.attempts === 1) await new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      await new Promise((r) => setTimeout(r, 30));
    },
  }));

  it('spreads queued jobs over the replicas and runs each exactly once', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const ids: string[] = [];
    for (let n = 0; n < 30; n++) ids.push(await (n % 2 ? a : b).runner.enqueue('counted', { n }));
    for (let i = 0; i < 200; i++) {
      const open = await db('jobs').whereIn('id', ids).whereNot('status', 'succeeded').count<{ count: string }[]>('* as count');
      if (Number(open[0].count) === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const rows = await db('jobs').whereIn('id', ids).select('id', 'status', 'attempts', 'owner');
    expect(rows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
    for (const id of ids) expect(runs.get(id)).toHaveLength(1);
    const by = new Set(ids.flatMap((id) => runs.get(id)!));
    expect(by).toEqual(new Set(['a', 'b']));
    expect(new Set(rows.map((r) => r.owner))).toEqual(new Set([a.replicas.id, b.replicas.id]));
  });

  it("takes over a dead replica's running and queued jobs once its heartbeat expires, and never a live one's", async () => {
    const live = await replica('live');
    // A replica that died: its row's heartbeat stopped a while ago; one job running, one queued.
    await db('replicas').insert({ id: 'dead-replica', host: 'h', pid: 1, heartbeat_at: db.raw("now() - interval '1 hour'") });
    await db('jobs').insert([
      { id: 'dead-running', kind: 'counted', status: 'running', attempts: 1, owner: 'dead-replica', payload: JSON.stringify({ n: 1 }) },
      { id: 'dead-queued', kind: 'counted', status: 'queued', attempts: 0, owner: 'dead-replica', payload: JSON.stringify({ n: 2 }) },
      // A live replica's in-flight job: left alone.
      { id: 'live-running', kind: 'counted', status: 'running', attempts: 1, owner: live.replicas.id, payload: JSON.stringify({ n: 3 }) },
    ]);
    const watcher = await replica('watcher');
    for (let i = 0; i < 100 && (await db('jobs').whereIn('id', ['dead-running', 'dead-queued']).where('status', 'succeeded')).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500)); // more polls: nothing more runs
    expect(await db('jobs').where({ id: 'dead-running' }).first()).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await db('jobs').where({ id: 'dead-queued' }).first()).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(runs.get('dead-running')).toHaveLength(1);
    expect(runs.get('dead-queued')).toHaveLength(1);
    expect(await db('jobs').where({ id: 'live-running' }).first()).toMatchObject({ status: 'running', owner: live.replicas.id });
    expect(runs.get('live-running')).toBeUndefined();
    // Its new owner is one of the live replicas (those of the earlier test run too).
    const liveIds = (await db('replicas').where('heartbeat_at', '>', db.raw("now() - interval '1 second'")).select('id')).map((r) => r.id);
    expect(liveIds).toEqual(expect.arrayContaining([live.replicas.id, watcher.replicas.id]));
    expect(liveIds).toContain((await db('jobs').where({ id: 'dead-running' }).first()).owner);
    await db('jobs').where({ id: 'live-running' }).update({ status: 'succeeded' });
  });

  it('a replica declared dead (its row gone) aborts its jobs and hands them over; another finishes them', async () => {
    const id = await (await replica('lost-a')).runner.enqueue('counted', { n: 9, hang: true });
    await replica('lost-b');
    const claimed = await pollUntil(async () => (await db('jobs').where({ id }).first()).owner, (o) => !!o && (runs.get(id)?.length ?? 0) === 1, 10_000, 'the hanging job claimed');
    await db('replicas').where({ id: claimed }).del(); // as the others do to a replica silent too long
    await pollUntil(() => db('jobs').where({ id }).first(), (j) => j.status === 'succeeded', 10_000, 'the job handed over and finished');
    const row = await db('jobs').where({ id }).first();
    expect(row.attempts).toBe(2);
    expect(runs.get(id)).toHaveLength(2);
  });

  it('advisory locks serialise one resource across replicas and leave others free', async () => {
    const one = new AdvisoryLocks(fleet.databaseUrl, log);
    const two = new AdvisoryLocks(fleet.databaseUrl, log);
    fleet.onTeardown(() => one.close(), () => two.close());
    const order: string[] = [];
    const hold = (locks: AdvisoryLocks, key: string, name: string, ms: number) => locks.withLock(key, async () => {
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`${name}-`);
    });
    const first = hold(one, 'server-1', 'a', 300);
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([first, hold(two, 'server-1', 'b', 10), hold(two, 'server-2', 'c', 10)]);
    // c (another server) did not wait for a; b (the same server, another replica) did.
    expect(order.indexOf('c-')).toBeLessThan(order.indexOf('a-'));
    expect(order.indexOf('b+')).toBeGreaterThan(order.indexOf('a-'));
  });

  it('shared holds across replicas: clones of one snapshot through both run at once; its delete waits for them all and runs alone', async () => {
    const one = new AdvisoryLocks(fleet.databaseUrl, log);
    const two = new AdvisoryLocks(fleet.databaseUrl, log);
    fleet.onTeardown(() => one.close(), () => two.close());
    const order: string[] = [];
    const hold = (locks: AdvisoryLocks, keys: string[], shared: string[], name: string, ms: number) => locks.withLocks(keys, async () => {
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`${name}-`);
    }, { shared });
    const clones = [hold(one, ['vol-a'], ['snap-1'], 'cloneA', 1500), hold(two, ['vol-b'], ['snap-1'], 'cloneB', 1500)];
    await new Promise((r) => setTimeout(r, 400));
    const del = hold(two, ['snap-1'], [], 'delete', 10);
    await new Promise((r) => setTimeout(r, 200));
    const late = hold(one, ['vol-c'], ['snap-1'], 'late', 10);
    await Promise.all([...clones, del, late]);
    // Both clones were in at once; the delete came after both, and no clone ran beside it (the
    // late one, shared beside cloneA in its process, may come before or after it).
    expect(order.indexOf('cloneB+')).toBeLessThan(order.indexOf('cloneA-'));
    expect(order.indexOf('cloneA+')).toBeLessThan(order.indexOf('cloneB-'));
    expect(order.indexOf('delete+')).toBeGreaterThan(Math.max(order.indexOf('cloneA-'), order.indexOf('cloneB-')));
    expect(order.indexOf('delete-')).toBe(order.indexOf('delete+') + 1);
  });
});
