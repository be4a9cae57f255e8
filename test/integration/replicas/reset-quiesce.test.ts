/**
 * A reset quiesces every replica (issue 15 with issue 13's reset), at the job runner's level:
 * runners with their own registries on one PostgreSQL. The runner serving a reset waits for a
 * job another runner is running, no runner claims a job while the reset runs, all resume
 * after it; a reset mark of a replica that stopped beating pauses nobody.
 */
import { pollUntil } from '../../support/compute-helpers';
import { RunnerReplicas } from '../../support/replica-helpers';

describe('a reset across replicas on one PostgreSQL', () => {
  const fleet = new RunnerReplicas();
  let db: RunnerReplicas['db'];
  /** Each run of a job: which replica, when it started and ended. */
  const runs = new Map<string, Array<{ by: string; start: number; end?: number; aborted?: boolean }>>();
  /** Jobs with a gate run until the test opens it. */
  const gates = new Map<string, () => void>();
  const gated = new Map<string, Promise<void>>();
  const gate = (name: string) => gated.set(name, new Promise<void>((r) => gates.set(name, r)));

  beforeAll(async () => {
    await fleet.setup();
    db = fleet.db;
  });

  afterAll(async () => {
    for (const open of gates.values()) open();
    await fleet.teardown();
  });

  const waitFor = <T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> => pollUntil(probe, done, 15_000, what);

  /** A replica whose `gated` jobs record their runs (`gate`: run until it opens; `stubborn`: the first attempt runs until its abort). */
  const replica = (name: string, opts: { resetTimeoutMs?: number } = {}) => fleet.start(name, (runner) => runner.register<{ gate?: string; stubborn?: boolean }>({
    kind: 'gated', onRestart: 'resume', onFail: async () => undefined,
    run: async (p, job, signal) => {
      const run: { by: string; start: number; end?: number; aborted?: boolean } = { by: name, start: Date.now() };
      runs.set(job.id, [...(runs.get(job.id) ?? []), run]);
      if (p.stubborn && job.attempts === 1) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        run.aborted = true;
        signal.throwIfAborted();
      }
      if (p.gate) await gated.get(p.gate);
      run.end = Date.now();
    },
  }), opts);

  it("waits for another replica's running job, claims nothing anywhere while it runs, and every replica runs jobs after it", async () => {
    const a = await replica('a');
    const b = await replica('b');
    gate('long');
    const long = await a.runner.enqueue('gated', { gate: 'long' });
    const owner = (await waitFor(() => db('jobs').where({ id: long }).first(), (j) => j?.status === 'running', 'the long job running')).owner;
    const [runsIt, serves] = owner === a.replicas.id ? [a, b] : [b, a];

    let resetAt = 0;
    let queuedDuring = '';
    const reset = serves.runner.quiesce(async () => {
      resetAt = Date.now();
      // A job enqueued in the middle of the reset waits: no replica claims it before the reset ends.
      queuedDuring = await runsIt.runner.enqueue('gated', {});
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 100)); // five polls of each runner
        expect((await db('jobs').where({ id: queuedDuring }).first()).status).toBe('queued');
      }
      return 'reset';
    });
    // The reset waits for the job on the other replica; that one stopped claiming.
    await waitFor(() => db('replicas').where({ id: serves.replicas.id }).first(), (r) => r?.resetting !== null, 'the reset marked');
    const before = await runsIt.runner.enqueue('gated', {});
    await new Promise((r) => setTimeout(r, 400));
    expect(resetAt).toBe(0);
    expect((await db('jobs').where({ id: before }).first()).status).toBe('queued');
    gates.get('long')!();
    await expect(reset).resolves.toBe('reset');
    expect(runs.get(long)).toHaveLength(1);
    expect(runs.get(long)![0].end).toBeLessThanOrEqual(resetAt); // drained before the reset ran
    expect(await db('replicas').whereIn('id', [a.replicas.id, b.replicas.id]).whereNotNull('resetting')).toEqual([]);

    // After it, the jobs queued meanwhile run; the replica that followed the reset resumes
    // (its acknowledgement cleared), and new jobs run on both: six held at once, three workers each.
    await waitFor(() => db('jobs').whereIn('id', [before, queuedDuring]).where('status', 'succeeded'), (rows) => rows.length === 2, 'the jobs queued during the reset');
    await waitFor(() => db('replicas').whereIn('id', [a.replicas.id, b.replicas.id]), (rows) => rows.every((r) => r.quiesced_for.length === 0), 'acknowledgements cleared');
    gate('after');
    const after: string[] = [];
    for (let n = 0; n < 6; n++) after.push(await (n % 2 ? a : b).runner.enqueue('gated', { gate: 'after' }));
    await waitFor(() => db('jobs').whereIn('id', after).where('status', 'running'), (rows) => rows.length === after.length, 'six jobs running at once');
    expect(new Set(after.map((id) => runs.get(id)![0].by))).toEqual(new Set(['a', 'b']));
    gates.get('after')!();
    const all = [before, queuedDuring, ...after];
    await waitFor(() => db('jobs').whereIn('id', all).where('status', 'succeeded'), (rows) => rows.length === all.length, 'every job after the reset');
    for (const id of all) {
      expect(runs.get(id)).toHaveLength(1);
      expect(runs.get(id)![0].start).toBeGreaterThan(resetAt);
    }
  });

  it('a job still running when the reset timeout ends is aborted, and handed over if the reset leaves its row', async () => {
    const impatient = await replica('impatient', { resetTimeoutMs: 300 });
    const id = await impatient.runner.enqueue('gated', { stubborn: true });
    await waitFor(async () => runs.get(id)?.length ?? 0, (n) => n === 1, 'the stubborn job running');
    const serving = await replica('serving');
    // A reset that removes nothing: the aborted job's row stays, released for a live replica.
    await serving.runner.quiesce(async () => {
      expect(runs.get(id)![0].aborted).toBe(true);
      expect((await db('jobs').where({ id }).first()).owner).toBeNull();
    });
    const row = await waitFor(() => db('jobs').where({ id }).first(), (j) => j.status === 'succeeded', 'the aborted job taken over after the reset');
    expect(row.attempts).toBe(2);
    expect(runs.get(id)).toHaveLength(2);
  });

  it("a resetting replica that stops beating (killed) pauses the others for one heartbeat TTL at most; a dead replica's mark never pauses", async () => {
    const c = await replica('c');
    // A replica killed mid-reset: its row marked resetting, its heartbeat fresh, then no more beats.
    await db('replicas').insert({ id: 'killed-mid-reset', host: 'h', pid: 1, resetting: 'reset-of-the-killed' });
    const paused = await c.runner.enqueue('gated', {});
    // And a job of a replica dead long ago: not taken over while the reset is marked.
    await db('jobs').insert({ id: 'orphan-during-reset', kind: 'gated', status: 'running', attempts: 1, owner: 'long-dead', payload: JSON.stringify({}) });
    await new Promise((r) => setTimeout(r, 300));
    expect((await db('jobs').where({ id: paused }).first()).status).toBe('queued');
    expect(await db('jobs').where({ id: 'orphan-during-reset' }).first()).toMatchObject({ status: 'running', owner: 'long-dead' });
    // c acknowledged it (the killed one would have waited for that).
    expect((await db('replicas').where({ id: c.replicas.id }).first()).quiesced_for).toEqual(['reset-of-the-killed']);
    // Its heartbeat expires (ttl 600 ms): c runs the job, and new ones.
    await waitFor(() => db('jobs').where({ id: paused }).first(), (j) => j.status === 'succeeded', 'the job after the dead replica\'s mark expired');
    await waitFor(() => db('jobs').where({ id: 'orphan-during-reset' }).first(), (j) => j.status === 'succeeded', 'the orphan taken over after it');
    const next = await c.runner.enqueue('gated', {});
    await waitFor(() => db('jobs').where({ id: next }).first(), (j) => j.status === 'succeeded', 'a new job');
    await db('replicas').where({ id: 'killed-mid-reset' }).del();
  });
});
