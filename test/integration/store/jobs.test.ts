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
});
