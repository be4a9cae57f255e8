import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { applyFault, type FaultPort, targetOfJob } from '../faults/fault-rules';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobRecord {
  id: string;
  kind: string;
  status: JobStatus;
  project_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  payload: unknown;
  attempts: number;
  error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface JobDefinition<P = unknown> {
  kind: string;
  run(payload: P, job: JobRecord): Promise<void>;
  /** A restart found the job unfinished: 'resume' runs it again (run must be idempotent), 'fail' gives up. */
  onRestart: 'resume' | 'fail';
  /** Put the resource in its error status; called when run throws (cause: what it threw) or a restart gives up. */
  onFail(payload: P, error: string, job: JobRecord, cause?: unknown): Promise<void>;
}

export interface JobHooks {
  faults?: FaultPort;
  observe?(job: { kind: string; outcome: 'succeeded' | 'failed'; seconds: number }): void;
}

export interface EnqueueOptions {
  projectId?: string | null;
  resourceType?: string;
  resourceId?: string;
}

/**
 * Long operations are accepted with 202 and run here as durable jobs in the database, so a
 * restart resumes or fails each unfinished one and no resource stays in a transitional status.
 */
export class JobRunner {
  private readonly defs = new Map<string, JobDefinition>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private stopping = false;
  /** While set (a reset), new jobs are recorded but not started. */
  private paused = false;

  /**
   * hooks.faults: consulted before every job runs (fault injection and pace, see fault-rules.ts);
   * hooks.observe: told of every job that ends (metrics).
   */
  constructor(private readonly db: Knex, private readonly log: Logger, private readonly hooks: JobHooks = {}) {}

  register<P>(def: JobDefinition<P>): void {
    this.defs.set(def.kind, def as JobDefinition);
  }

  /** Records the job (inside trx when given) and starts it once recorded. */
  async enqueue<P>(kind: string, payload: P, opts: EnqueueOptions = {}, trx?: Knex.Transaction): Promise<string> {
    if (!this.defs.has(kind)) throw new Error(`unknown job kind ${kind}`);
    const id = randomUUID();
    await (trx ?? this.db)('jobs').insert({
      id, kind, status: 'queued', project_id: opts.projectId ?? null, resource_type: opts.resourceType ?? null,
      resource_id: opts.resourceId ?? null, payload: JSON.stringify(payload ?? {}),
    });
    const start = () => this.start(id);
    if (trx) void trx.executionPromise.then(start, () => undefined);
    else start();
    return id;
  }

  /**
   * An operation journal entry: a multi-step operation that runs in the request (not by the
   * runner) is recorded as a running job of `kind`, and `record` adds what it made as it goes.
   * A restart finds it still running and gives up on it: the kind's onFail undoes what the
   * record names, as the operation's own reverter does when it throws.
   */
  async track<P>(kind: string, payload: P, opts: EnqueueOptions = {}): Promise<string> {
    if (!this.defs.has(kind)) throw new Error(`unknown job kind ${kind}`);
    const id = randomUUID();
    await this.db('jobs').insert({
      id, kind, status: 'running', attempts: 1, project_id: opts.projectId ?? null, resource_type: opts.resourceType ?? null,
      resource_id: opts.resourceId ?? null, payload: JSON.stringify(payload ?? {}),
    });
    return id;
  }

  /** Merges `patch` into a job's payload (what a step made, before the next step runs). */
  async record(id: string, patch: Record<string, unknown>): Promise<void> {
    const row = await this.db('jobs').where({ id }).first<JobRecord | undefined>();
    if (!row) return;
    const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    await this.db('jobs').where({ id }).update({ payload: JSON.stringify({ ...payload, ...patch }), updated_at: new Date() });
  }

  /** Ends a tracked operation: succeeded, or failed with `error` (its undo already ran). */
  async settle(id: string, error?: unknown): Promise<void> {
    const failed = error !== undefined;
    await this.db('jobs').where({ id }).update({
      status: failed ? 'failed' : 'succeeded', error: failed ? (error instanceof Error ? error.message : String(error)) : null, updated_at: new Date(),
    });
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.db('jobs').where({ id }).first();
  }

  /**
   * At start: every job a previous process left unfinished is resumed or failed. Resumed jobs
   * start first and the failures' undos run side by side, so an undo that waits for a job
   * queued behind it (a failed build waiting for its volumes' jobs) never waits on itself.
   */
  async recover(): Promise<{ resumed: number; failed: number }> {
    const open: JobRecord[] = await this.db('jobs').whereIn('status', ['queued', 'running']).orderBy('created_at');
    const giveUp: Array<{ job: JobRecord; def: JobDefinition | undefined }> = [];
    let resumed = 0;
    for (const job of open) {
      const def = this.defs.get(job.kind);
      if (def && def.onRestart === 'resume') {
        resumed++;
        this.start(job.id);
      } else giveUp.push({ job, def });
    }
    await Promise.all(giveUp.map(({ job, def }) => {
      this.log.warn({ job_id: job.id, kind: job.kind, resource_id: job.resource_id }, 'unfinished operation: undoing what it recorded');
      return this.fail(job, def, 'Interrupted by a restart of Snapstack.');
    }));
    const failed = giveUp.length;
    if (open.length) this.log.info({ resumed, failed }, 'recovered unfinished jobs');
    return { resumed, failed };
  }

  /** Waits for running jobs; new ones are no longer started (they stay queued for the next start). */
  async drain(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    const all = Promise.allSettled([...this.inFlight.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** Resolves when every job started so far has ended (tests and shutdown use it). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()]);
  }

  /**
   * Runs `fn` with no job running: new ones are not started meanwhile, running ones are waited
   * for (at most timeoutMs). What `fn` leaves queued is started afterwards.
   */
  async quiesce<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
    this.paused = true;
    try {
      await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      return await fn();
    } finally {
      this.paused = false;
      let queued: Array<{ id: string }> = [];
      try {
        queued = await this.db('jobs').where({ status: 'queued' }).select('id');
      } catch (err) {
        // They stay queued: the next start of Snapstack runs them.
        this.log.error({ err }, 'queued jobs not restarted after a pause: reading them failed');
      }
      for (const { id } of queued) this.start(id);
    }
  }

  private start(id: string): void {
    if (this.stopping || this.paused || this.inFlight.has(id)) return;
    const p = this.execute(id).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
  }

  private async execute(id: string): Promise<void> {
    let job: JobRecord | undefined;
    try {
      job = await this.db('jobs').where({ id }).first<JobRecord | undefined>();
    } catch (err) {
      // The row stays as it was: a queued job runs at the next start (onRestart).
      this.log.error({ err, job_id: id }, 'job not started: reading its row failed');
      return;
    }
    if (!job || job.status === 'succeeded' || job.status === 'failed') return;
    const def = this.defs.get(job.kind);
    if (!def) return this.fail(job, undefined, `No handler for job kind ${job.kind}`);
    const payload = typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload;
    await this.db('jobs').where({ id }).update({ status: 'running', attempts: job.attempts + 1, updated_at: new Date() });
    const log = this.log.child({ job_id: id, kind: job.kind, resource_id: job.resource_id, project_id: job.project_id });
    const started = Date.now();
    try {
      const target = targetOfJob(job.kind);
      if (target) await applyFault(this.hooks.faults, { target, projectId: job.project_id });
      await def.run(payload, { ...job, payload });
      await this.db('jobs').where({ id }).update({ status: 'succeeded', updated_at: new Date() });
      log.info({ duration_ms: Date.now() - started }, 'job succeeded');
      this.hooks.observe?.({ kind: job.kind, outcome: 'succeeded', seconds: (Date.now() - started) / 1000 });
    } catch (err) {
      log.error({ err, duration_ms: Date.now() - started }, 'job failed');
      await this.fail({ ...job, payload }, def, err instanceof Error ? err.message : String(err), err);
      this.hooks.observe?.({ kind: job.kind, outcome: 'failed', seconds: (Date.now() - started) / 1000 });
    }
  }

  private async fail(job: JobRecord, def: JobDefinition | undefined, error: string, cause?: unknown): Promise<void> {
    const payload = typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload;
    try {
      await def?.onFail(payload, error, job, cause);
    } catch (err) {
      this.log.error({ err, job_id: job.id }, 'job failure handler failed');
    }
    try {
      await this.db('jobs').where({ id: job.id }).update({ status: 'failed', error, updated_at: new Date() });
    } catch (err) {
      // The row keeps its status; the next start settles it (onRestart).
      this.log.error({ err, job_id: job.id, kind: job.kind, resource_id: job.resource_id, job_error: error }, 'recording a failed job failed');
    }
  }
}
