import type { Knex } from 'knex';
import { createKnex, migrateLatest } from '../../../src/db/database';
import { JobRunner } from '../../../src/jobs/job-runner';
import { createLogger } from '../../../src/logger';
import { testDbConfig } from '../../support/test-db-target';

describe('durable jobs', () => {
  let db: Knex;
  let cleanup: () => Promise<void>;
  const log = createLogger('silent');

  beforeAll(async () => {
    const cfg = await testDbConfig();
    cleanup = cfg.cleanup;
    db = await createKnex(cfg);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
    await cleanup();
  });

  it('runs a job in the background and records success', async () => {
    const runner = new JobRunner(db, log);
    const seen: string[] = [];
    runner.register<{ v: string }>({ kind: 'ok', onRestart: 'resume', run: async (p) => { seen.push(p.v); }, onFail: async () => undefined });
    const id = await runner.enqueue('ok', { v: 'a' }, { projectId: 'p1', resourceType: 'thing', resourceId: 't1' });
    await runner.idle();
    expect(seen).toEqual(['a']);
    expect(await runner.get(id)).toMatchObject({ status: 'succeeded', attempts: 1, project_id: 'p1', resource_id: 't1' });
  });

  it('records a failure and lets the definition put its resource in error', async () => {
    const runner = new JobRunner(db, log);
    const failed: string[] = [];
    runner.register({ kind: 'boom', onRestart: 'fail', run: async () => { throw new Error('disk on fire'); }, onFail: async (_p, err) => { failed.push(err); } });
    const id = await runner.enqueue('boom', {});
    await runner.idle();
    expect(failed).toEqual(['disk on fire']);
    expect(await runner.get(id)).toMatchObject({ status: 'failed', error: 'disk on fire' });
  });

  it('a run that journals what it made and then throws: onFail is given the journal as recorded', async () => {
    const runner = new JobRunner(db, log);
    const undone: unknown[] = [];
    runner.register<{ made?: string[] }>({
      kind: 'journalled', onRestart: 'fail',
      run: async (_p, job) => {
        await runner.record(job.id, { made: ['vol-1'] });
        throw new Error('second step failed');
      },
      onFail: async (p) => { undone.push(p.made); },
    });
    await runner.enqueue('journalled', {});
    await runner.idle();
    expect(undone).toEqual([['vol-1']]);
  });

  it('record merges keys into the payload, each write keeping the others\' keys, even when two land at once', async () => {
    const runner = new JobRunner(db, log);
    runner.register({ kind: 'journal-only', onRestart: 'fail', onFail: async () => undefined, run: async () => undefined });
    const id = await runner.track('journal-only', { serverId: 's-1', made: ['a'] });
    await Promise.all([runner.record(id, { made: ['a', 'b'] }), runner.record(id, { launched: true })]);
    await runner.record(id, { nested: { x: 1, list: [1, 2] } });
    await runner.record('no-such-job', { made: ['z'] });
    expect((await runner.get(id))?.payload).toEqual({ serverId: 's-1', made: ['a', 'b'], launched: true, nested: { x: 1, list: [1, 2] } });
    await runner.settle(id);
  });

  it('after a restart resumes resumable jobs and fails the others, so nothing stays transitional', async () => {
    // What a crashed process leaves behind: jobs still queued or running.
    await db('jobs').insert([
      { id: 'crash-resume', kind: 'again', status: 'running', payload: JSON.stringify({ n: 1 }), attempts: 1 },
      { id: 'crash-fail', kind: 'giveup', status: 'queued', payload: JSON.stringify({ n: 2 }) },
    ]);
    const runner = new JobRunner(db, log);
    const resumed: number[] = [];
    const gaveUp: string[] = [];
    runner.register<{ n: number }>({ kind: 'again', onRestart: 'resume', run: async (p) => { resumed.push(p.n); }, onFail: async () => undefined });
    runner.register<{ n: number }>({ kind: 'giveup', onRestart: 'fail', run: async () => undefined, onFail: async (_p, err) => { gaveUp.push(err); } });
    expect(await runner.recover()).toEqual({ resumed: 1, failed: 1 });
    await runner.idle();
    expect(resumed).toEqual([1]);
    expect(gaveUp).toEqual(['Interrupted by a restart of Snapstack.']);
    expect(await runner.get('crash-resume')).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await runner.get('crash-fail')).toMatchObject({ status: 'failed' });
  });

  it('starts a job enqueued in a transaction only once it commits, and never when it rolls back', async () => {
    const runner = new JobRunner(db, log);
    const ran: string[] = [];
    runner.register<{ v: string }>({ kind: 'tx', onRestart: 'resume', run: async (p) => { ran.push(p.v); }, onFail: async () => undefined });
    await db.transaction(async (trx) => { await runner.enqueue('tx', { v: 'committed' }, {}, trx); });
    await expect(db.transaction(async (trx) => {
      await runner.enqueue('tx', { v: 'rolled-back' }, {}, trx);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    await new Promise((r) => setTimeout(r, 50));
    await runner.idle();
    expect(ran).toEqual(['committed']);
  });

  /** A promise and its resolve: a job that waits until the test lets it go. */
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    return { open, opened };
  };

  it('runs at most `workers` jobs at once: the others wait queued in the table, and all run', async () => {
    const runner = new JobRunner(db, log, {}, { workers: 2 });
    const g = gate();
    let now = 0;
    let most = 0;
    runner.register<{ n: number }>({
      kind: 'pooled', onRestart: 'resume', onFail: async () => undefined,
      run: async () => {
        most = Math.max(most, ++now);
        await g.opened;
        now--;
      },
    });
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push(await runner.enqueue('pooled', { n }));
    const statuses = async () => (await db('jobs').whereIn('id', ids).select('status')).map((r) => r.status).sort();
    for (let i = 0; i < 100 && now < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100)); // and a while more: nothing else starts
    expect(await statuses()).toEqual(['queued', 'queued', 'queued', 'running', 'running']);
    g.open();
    await runner.idle();
    expect(most).toBe(2);
    expect(await statuses()).toEqual(Array(5).fill('succeeded'));
  });

  it('a composite job waiting for a leaf job does not hold the worker the leaf job needs (lanes)', async () => {
    const runner = new JobRunner(db, log, {}, { workers: 1 });
    runner.register({ kind: 'leaf-step', onRestart: 'resume', onFail: async () => undefined, run: async () => undefined });
    runner.register({
      kind: 'outer', onRestart: 'resume', onFail: async () => undefined,
      run: async () => {
        const leaf = await runner.enqueue('leaf-step', {});
        for (let i = 0; i < 100 && (await runner.get(leaf))?.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 20));
        if ((await runner.get(leaf))?.status !== 'succeeded') throw new Error('the leaf job never ran');
      },
    }, { lane: 'composite' });
    const id = await runner.enqueue('outer', {});
    await runner.idle();
    expect(await runner.get(id)).toMatchObject({ status: 'succeeded' });
  });

  it('tells onJobEnd listeners of each job that ends here, its resource named, after its row is settled; none after they stop', async () => {
    const runner = new JobRunner(db, log);
    runner.register({ kind: 'told-ok', onRestart: 'resume', onFail: async () => undefined, run: async () => undefined });
    runner.register({ kind: 'told-boom', onRestart: 'fail', onFail: async () => undefined, run: async () => { throw new Error('no'); } });
    const seen: Array<{ kind: string; resourceType: string | null; resourceId: string | null; status?: string }> = [];
    const stop = runner.onJobEnd((job) => {
      seen.push({ kind: job.kind, resourceType: job.resourceType, resourceId: job.resourceId });
      // The listener may read the row at once: it already says how the job went.
      void runner.get(job.id).then((row) => { seen.find((s) => s.kind === job.kind)!.status = row?.status; });
    });
    await runner.enqueue('told-ok', {}, { resourceType: 'volume', resourceId: 'v-1' });
    await runner.enqueue('told-boom', {}, { resourceType: 'volume', resourceId: 'v-2' });
    await runner.idle();
    await new Promise((r) => setTimeout(r, 50)); // the listener's own reads
    expect(seen.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'told-boom', resourceType: 'volume', resourceId: 'v-2', status: 'failed' },
      { kind: 'told-ok', resourceType: 'volume', resourceId: 'v-1', status: 'succeeded' },
    ]);
    stop();
    await runner.enqueue('told-ok', {}, { resourceType: 'volume', resourceId: 'v-3' });
    await runner.idle();
    expect(seen).toHaveLength(2);
  });

  it('runs a batch of ten composite jobs, each waiting for a leaf job of its own, in one wave by default', async () => {
    const runner = new JobRunner(db, log);
    const g = gate();
    let running = 0;
    let most = 0;
    runner.register({ kind: 'wave-leaf', onRestart: 'resume', onFail: async () => undefined, run: async () => { await g.opened; } });
    runner.register({
      kind: 'wave-build', onRestart: 'resume', onFail: async () => undefined,
      run: async () => {
        most = Math.max(most, ++running);
        await runner.enqueue('wave-leaf', {});
        await g.opened;
        running--;
      },
    }, { lane: 'composite' });
    for (let n = 0; n < 10; n++) await runner.enqueue('wave-build', { n });
    const leavesRunning = async () => (await db('jobs').where({ kind: 'wave-leaf', status: 'running' }).select('id')).length;
    for (let i = 0; i < 250 && (running < 10 || (await leavesRunning()) < 10); i++) await new Promise((r) => setTimeout(r, 20));
    expect(running).toBe(10);
    expect(await leavesRunning()).toBe(10);
    g.open();
    await runner.idle();
    expect(most).toBe(10);
  });

  it('claims in the lane that changed: an enqueue looks in its kind\'s lane, a job\'s end only when jobs may wait for its worker', async () => {
    const runner = new JobRunner(db, log, {}, { workers: 2 });
    const gates = [gate(), gate(), gate()];
    runner.register<{ n: number }>({ kind: 'lane-leaf', onRestart: 'resume', onFail: async () => undefined, run: async (p) => { await gates[p.n].opened; } });
    runner.register({ kind: 'lane-composite', onRestart: 'resume', onFail: async () => undefined, run: async () => undefined }, { lane: 'composite' });
    const claims: string[] = [];
    const count = (q: { sql: string }) => { if (/^update "jobs" set "status" = \$1, "owner" = \$2, "claimed_at"/.test(q.sql)) claims.push(q.sql); };
    const running = async (ids: string[]) => (await db('jobs').whereIn('id', ids).where({ status: 'running' }).select('id')).map((r) => r.id);
    const until = async (ok: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 10));
    };
    db.on('query', count);
    try {
      // Nothing waits behind these: one claim each (in their lane), none at their ends.
      for (let i = 0; i < 3; i++) {
        await runner.enqueue('lane-composite', {});
        await runner.idle();
      }
      expect(claims).toHaveLength(3);
      // Three leaf jobs on two workers: the third waits queued (claims at the enqueues: 2 at most).
      claims.length = 0;
      const ids = [await runner.enqueue('lane-leaf', { n: 0 }), await runner.enqueue('lane-leaf', { n: 1 }), await runner.enqueue('lane-leaf', { n: 2 })];
      await until(async () => (await running(ids)).length === 2);
      expect(await running(ids)).toEqual(expect.arrayContaining([ids[0], ids[1]]));
      expect(claims.length).toBeLessThanOrEqual(2);
      // The first end claims the third (its lane was full); the next end looks once more and finds
      // none left; the last end does not look at all.
      const atEnqueues = claims.length;
      gates[0].open();
      await until(async () => (await running(ids)).includes(ids[2]));
      expect(claims.length).toBe(atEnqueues + 1);
      gates[1].open();
      await until(async () => (await runner.get(ids[1]))?.status === 'succeeded');
      await new Promise((r) => setTimeout(r, 50));
      expect(claims.length).toBe(atEnqueues + 2);
      gates[2].open();
      await runner.idle();
      for (const id of ids) expect(await runner.get(id)).toMatchObject({ status: 'succeeded' });
      expect(claims.length).toBe(atEnqueues + 2);
    } finally {
      db.removeListener('query', count);
    }
  });

  it('drain aborts a running job through its AbortSignal and leaves it resumable; the next start resumes it', async () => {
    const first = new JobRunner(db, log, {}, { graceMs: 50, abortWaitMs: 5_000 });
    const seen: string[] = [];
    const def = (name: string) => ({
      kind: 'abortable', onRestart: 'resume' as const, onFail: async () => undefined,
      run: async (_p: unknown, _j: unknown, signal: AbortSignal) => {
        seen.push(`${name} started`);
        if (name === 'first') {
          await new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
        }
        seen.push(`${name} done`);
      },
    });
    first.register(def('first'));
    const id = await first.enqueue('abortable', {});
    while (!seen.length) await new Promise((r) => setTimeout(r, 10));
    await first.drain();
    expect(seen).toEqual(['first started']);
    expect(await first.get(id)).toMatchObject({ status: 'running', owner: first.owner, attempts: 1 });
    const second = new JobRunner(db, log);
    second.register(def('second'));
    await second.recover();
    await second.idle();
    expect(seen).toEqual(['first started', 'second started', 'second done']);
    expect(await second.get(id)).toMatchObject({ status: 'succeeded', owner: second.owner, attempts: 2 });
  });
});
