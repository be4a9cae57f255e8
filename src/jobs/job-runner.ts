import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import { DEFAULT_JOB_WORKERS } from '../config';
import type { Logger } from '../logger';
import { applyFault, type FaultPort, targetOfJob } from '../faults/fault-rules';
import { singleReplica, type Replicas } from './replicas';
import { ResetBarrier } from './reset-barrier';
import { countedDelete } from '../db/counted-delete';
import { emptyOutcome, type ResetOutcome } from '../shared/module-reset';

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
  /** The replica that enqueued or claimed it (null: rows from before replicas). */
  owner?: string | null;
  claimed_at?: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface JobDefinition<P = unknown> {
  kind: string;
  /**
   * signal: aborted when this process stops (shutdown) or loses the job to another replica;
   * a run that sees it may stop where it stands (the job stays resumable, as after a crash).
   */
  run(payload: P, job: JobRecord, signal: AbortSignal): Promise<void>;
  /** A restart found the job unfinished: 'resume' runs it again (run must be idempotent), 'fail' gives up. */
  onRestart: 'resume' | 'fail';
  /** Put the resource in its error status; called when run throws (cause: what it threw) or a restart gives up. */
  onFail(payload: P, error: string, job: JobRecord, cause?: unknown): Promise<void>;
}

/**
 * 'leaf' jobs wait on nothing but their own work; 'composite' ones wait for other jobs (a build
 * for its volumes' jobs). Each lane has its own workers, so composite jobs waiting for leaf jobs
 * never hold every worker the leaf jobs need.
 */
export type JobLane = 'leaf' | 'composite';
const LANES: readonly JobLane[] = ['composite', 'leaf'];

export interface JobHooks {
  faults?: FaultPort;
  observe?(job: { kind: string; outcome: 'succeeded' | 'failed'; seconds: number }): void;
}

export interface JobRunnerOptions {
  /** Jobs of one lane this process runs at once (SNAPSTACK_JOB_WORKERS, default 16); the rest wait queued in the table. */
  workers?: number;
  /** Who is alive (replica mode) or just this process (the default). */
  replicas?: Replicas;
  /** How often to look for queued jobs and dead replicas' jobs besides its own wake-ups; default 1 s replicated, never single. */
  pollMs?: number;
  /** Shutdown: how long running jobs may finish before they are aborted, and how long an aborted one is waited for. */
  graceMs?: number;
  abortWaitMs?: number;
  /** A reset (here or in another replica): how long running jobs may finish before they are aborted; default 30 s. */
  resetTimeoutMs?: number;
}

/** A reset's wait for jobs it aborted (they stop at their next await of the signal). */
const RESET_ABORT_WAIT_MS = 5_000;

/** A job that ended in this process (succeeded, failed, or stopped by its abort), as `onJobEnd` listeners see it. */
export interface EndedJob {
  id: string;
  kind: string;
  resourceType: string | null;
  resourceId: string | null;
}

export interface EnqueueOptions {
  projectId?: string | null;
  resourceType?: string;
  resourceId?: string;
}

/** A job this process runs, or a dead job's undo it runs (lane null: outside the pools). */
interface Running {
  lane: JobLane | null;
  abort: AbortController;
  promise: Promise<void>;
}

/**
 * Abort reasons after which a job is handed over (its owner cleared, so a live replica takes it
 * over, once no reset pauses it), not kept as this replica's: this replica was declared dead, or
 * a reset aborted it (the reset removes its row, unless the reset itself does not get that far).
 */
class JobsHandedOver extends Error {}
class JobsLost extends JobsHandedOver {}
class ResetAbort extends JobsHandedOver {}

/** Whether `p` settled within `ms`. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]).finally(() => clearTimeout(timer));
}

const payloadOf = (job: JobRecord) => (typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload);

/**
 * Long operations are accepted with 202 and run here as durable jobs in the database, so a
 * restart resumes or fails each unfinished one and no resource stays in a transitional status.
 *
 * Jobs wait queued in the table; a bounded pool per lane claims them (`FOR UPDATE SKIP LOCKED`,
 * so one replica runs each), naming this replica their owner. A job whose owner is dead (a
 * crashed process, a replica whose heartbeat expired) is taken over: resumed or undone, once.
 */
export class JobRunner {
  private readonly defs = new Map<string, { def: JobDefinition; lane: JobLane }>();
  private readonly running = new Map<string, Running>();
  private readonly replicas: Replicas;
  private readonly workers: number;
  /** How often the runner looks for work, resets and dead replicas' jobs (0: only when woken). */
  private readonly pollMs: number;
  private stopping = false;
  /** While above 0 (a reset here or in another replica), new jobs are recorded but not started, nor dead ones' taken over. */
  private pauses = 0;
  private readonly barrier: ResetBarrier;
  /** The look at other replicas' resets under way (one at a time: a poll while one waits for jobs is skipped). */
  private following: Promise<void> = Promise.resolve();
  private lookingForResets = false;
  /** The claim pass under way (one at a time); `wanted` holds the lanes it is asked to look at (again). */
  private pass: Promise<void> | null = null;
  private readonly wanted = new Set<JobLane>();
  /**
   * Per lane: whether queued jobs may be left that a freed worker could take (the lane's last
   * look found it full, or filled it). Only then does a job's end ask for a claim pass: with
   * none left, ten boots' ends would each cost a claim query per lane for nothing.
   */
  private readonly backlog: Record<JobLane, boolean> = { composite: true, leaf: true };
  private timer: NodeJS.Timeout | null = null;
  private takingOver: Promise<unknown> = Promise.resolve();
  private readonly endListeners = new Set<(job: EndedJob) => void>();

  /**
   * hooks.faults: consulted before every job runs (fault injection and pace, see fault-rules.ts);
   * hooks.observe: told of every job that ends (metrics).
   */
  constructor(private readonly db: Knex, private readonly log: Logger, private readonly hooks: JobHooks = {}, private readonly opts: JobRunnerOptions = {}) {
    this.replicas = opts.replicas ?? singleReplica();
    this.workers = Math.max(1, opts.workers ?? DEFAULT_JOB_WORKERS);
    this.replicas.onLost(() => {
      for (const r of this.running.values()) r.abort.abort(new JobsLost('this replica was declared dead: its jobs go to the others'));
    });
    this.pollMs = opts.pollMs ?? (this.replicas.replicated ? 1_000 : 0);
    const timeoutMs = opts.resetTimeoutMs ?? 30_000;
    this.barrier = new ResetBarrier(this.replicas, {
      pause: () => { this.pauses++; },
      resume: () => {
        this.pauses = Math.max(0, this.pauses - 1);
        this.wake();
      },
      settle: (ms) => this.settleRunning(ms, new ResetAbort('Snapstack is resetting'), RESET_ABORT_WAIT_MS, { doing: 'reset', goingOn: 'resetting' }),
    }, log, { timeoutMs, ackWaitMs: timeoutMs + RESET_ABORT_WAIT_MS + 2 * this.pollMs });
  }

  private get paused(): boolean {
    return this.pauses > 0;
  }

  /** This process's replica id: the owner of the jobs it runs. */
  get owner(): string {
    return this.replicas.id;
  }

  register<P>(def: JobDefinition<P>, opts: { lane?: JobLane } = {}): void {
    this.defs.set(def.kind, { def: def as JobDefinition, lane: opts.lane ?? 'leaf' });
  }

  /**
   * Whether every job's end reaches `onJobEnd` listeners: one process (no replicas) runs every
   * job itself, so a waiter for a job's end needs no look of its own meanwhile.
   */
  get seesEveryJobEnd(): boolean {
    return !this.replicas.replicated;
  }

  /**
   * Calls `listener` whenever a job this process ran ends (its row already says how), until the
   * returned function is called: who waits for a resource a job works on (a build for its
   * volume) is woken at once rather than at its next look. Jobs other replicas run are not seen:
   * such a waiter still looks now and then.
   */
  onJobEnd(listener: (job: EndedJob) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Records the job (inside trx when given); a worker of some replica claims it once recorded. */
  async enqueue<P>(kind: string, payload: P, opts: EnqueueOptions = {}, trx?: Knex.Transaction): Promise<string> {
    if (!this.defs.has(kind)) throw new Error(`unknown job kind ${kind}`);
    const id = randomUUID();
    await (trx ?? this.db)('jobs').insert({
      id, kind, status: 'queued', owner: this.owner, project_id: opts.projectId ?? null, resource_type: opts.resourceType ?? null,
      resource_id: opts.resourceId ?? null, payload: JSON.stringify(payload ?? {}),
    });
    const lane = [this.defs.get(kind)!.lane];
    if (trx) void trx.executionPromise.then(() => this.wake(lane), () => undefined);
    else this.wake(lane);
    return id;
  }

  /**
   * An operation journal entry: a multi-step operation that runs in the request (not by the
   * runner) is recorded as a running job of `kind`, and `record` adds what it made as it goes.
   * A restart (or another replica, once this one is dead) finds it still running and gives up
   * on it: the kind's onFail undoes what the record names, as the operation's own reverter does
   * when it throws.
   */
  async track<P>(kind: string, payload: P, opts: EnqueueOptions = {}): Promise<string> {
    if (!this.defs.has(kind)) throw new Error(`unknown job kind ${kind}`);
    const id = randomUUID();
    await this.db('jobs').insert({
      id, kind, status: 'running', attempts: 1, owner: this.owner, claimed_at: new Date(), project_id: opts.projectId ?? null,
      resource_type: opts.resourceType ?? null, resource_id: opts.resourceId ?? null, payload: JSON.stringify(payload ?? {}),
    });
    return id;
  }

  /**
   * Merges `patch` into a job's payload (what a step made, before the next step runs): one
   * statement (jsonb's top-level merge), not a read then a write, so a build's journal costs one
   * round trip per step and two records at once cannot lose each other's keys.
   */
  async record(id: string, patch: Record<string, unknown>): Promise<void> {
    await this.db('jobs').where({ id }).update({ payload: this.db.raw('payload || ?::jsonb', [JSON.stringify(patch)]), updated_at: new Date() });
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

  /** The queued and running jobs of a kind, whichever replica enqueued or runs them, oldest first (in `trx` when given). */
  async unfinished(kind: string, trx?: Knex.Transaction): Promise<JobRecord[]> {
    const rows: JobRecord[] = await (trx ?? this.db)('jobs').where({ kind }).whereIn('status', ['queued', 'running']).orderBy('created_at');
    return rows.map((row) => ({ ...row, payload: payloadOf(row) }));
  }

  /**
   * At start, and in replica mode every poll: every unfinished job whose owner is dead is taken
   * over (claimed with SKIP LOCKED, so by one replica): resumable ones go back to the queue, the
   * others are failed, their undos run side by side (outside the pools, so an undo that waits
   * for a job queued behind it never waits on itself).
   */
  async recover(): Promise<{ resumed: number; failed: number }> {
    const run = this.takingOver.then(() => this.takeOver());
    // The caller gets a take-over's error through `run`; the chain only waits for it to settle.
    this.takingOver = run.then(() => undefined, () => undefined);
    const result = await run;
    if (!this.timer && !this.stopping) {
      if (this.pollMs > 0) {
        this.timer = setInterval(() => {
          this.follow();
          this.wake();
          this.takingOver = this.takingOver.then(() => this.takeOver()).catch((err) => this.log.warn({ err }, 'taking over dead replicas\' jobs failed'));
        }, this.pollMs);
        this.timer.unref();
      }
    }
    return result;
  }

  /** Replicas: pauses for a reset another replica serves, acknowledges it, resumes after it (reset-barrier.ts). */
  private follow(): void {
    if (this.lookingForResets || this.stopping) return;
    this.lookingForResets = true;
    this.following = this.barrier.follow()
      .catch((err) => this.log.warn({ err }, 'looking for resets in other replicas failed'))
      .finally(() => { this.lookingForResets = false; });
  }

  private async takeOver(): Promise<{ resumed: number; failed: number }> {
    if (this.stopping || this.paused) return { resumed: 0, failed: 0 };
    const resumable = [...this.defs.values()].filter((d) => d.def.onRestart === 'resume').map((d) => d.def.kind);
    const taken: JobRecord[] = await this.db.transaction(async (trx) => {
      const query = trx('jobs')
        .whereIn('status', ['queued', 'running'])
        .where((q) => q.whereNull('owner').orWhereNotIn('owner', this.replicas.live(trx)))
        .orderBy('created_at').forUpdate().skipLocked();
      // Not while a live replica is resetting (a replica starting mid-reset has not noticed it yet).
      const resetting = this.replicas.resetting(trx);
      if (resetting) query.whereNotExists(resetting);
      const orphans: JobRecord[] = await query;
      if (!orphans.length) return [];
      const ids = orphans.map((j) => j.id);
      // Resumable ones back to the queue, as this replica's; the others this replica fails now.
      await trx('jobs').whereIn('id', ids).whereIn('kind', resumable).update({ status: 'queued', owner: this.owner, updated_at: new Date() });
      await trx('jobs').whereIn('id', ids).whereNotIn('kind', resumable).update({ status: 'running', owner: this.owner, claimed_at: new Date(), updated_at: new Date() });
      return orphans;
    });
    const giveUp = taken.filter((j) => !resumable.includes(j.kind));
    const resumed = taken.length - giveUp.length;
    if (resumed) this.wake();
    await Promise.all(giveUp.map((job) => {
      this.log.warn({ job_id: job.id, kind: job.kind, resource_id: job.resource_id, previous_owner: job.owner }, 'unfinished operation of a stopped process: undoing what it recorded');
      return this.track_(job, null, (signal) => this.fail(job, this.defs.get(job.kind)?.def, 'Interrupted by a restart of Snapstack.', undefined, signal));
    }));
    if (taken.length) this.log.info({ resumed, failed: giveUp.length }, 'recovered unfinished jobs');
    return { resumed, failed: giveUp.length };
  }

  /**
   * Stops: no job is claimed any more, running ones get graceMs to finish, then are aborted and
   * waited for (abortWaitMs at most); what did not finish stays running under this owner, so the
   * next start (or another replica, once this one is deregistered) resumes or undoes it.
   */
  async drain(graceMs = this.opts.graceMs ?? 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.settleRunning(graceMs, new Error('Snapstack is stopping'), this.opts.abortWaitMs ?? 30_000, { doing: 'stopping', goingOn: 'closing' });
    await this.following; // a look at other replicas' resets settles with the jobs it waited for
    await this.replicas.stop();
  }

  /** Resolves when no job runs and none this process could claim waits (tests and shutdown use it). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.pass) {
        await this.pass;
        continue;
      }
      if (!this.running.size) return;
      await Promise.allSettled([...this.running.values()].map((r) => r.promise));
    }
  }

  /** Reset (run inside quiesce): every job's row goes, finished or not, so none resumes. */
  async resetToSeed(): Promise<ResetOutcome> {
    const out = emptyOutcome();
    await countedDelete(out.rows, 'jobs', this.db('jobs'));
    return out;
  }

  /**
   * Runs `fn` (a reset) with no job running in any live replica: none is started or claimed
   * meanwhile, here or elsewhere; running ones are waited for (resetTimeoutMs), then aborted.
   * With replicas, every other live one acknowledges first (reset-barrier.ts). `prepare` runs
   * once nothing is claimed any more, before running jobs are waited for. What `fn` leaves
   * queued is started afterwards.
   */
  quiesce<T>(fn: () => Promise<T>, prepare?: () => Promise<void>): Promise<T> {
    return this.barrier.serve(fn, prepare);
  }

  private runningSettled(): Promise<unknown> {
    return Promise.allSettled([...this.running.values()].map((r) => r.promise));
  }

  /**
   * Paused or stopping (a reset, a shutdown): the claim pass and take-over under way end, running
   * jobs get timeoutMs, then are aborted with `reason` and waited for abortWaitMs more; the logs
   * say what was `doing` and what `goingOn` under jobs that did not stop.
   */
  private async settleRunning(timeoutMs: number, reason: Error, abortWaitMs: number, words: { doing: string; goingOn: string }): Promise<void> {
    await this.takingOver;
    await this.pass;
    if (await within(this.runningSettled(), timeoutMs)) return;
    this.log.warn({ jobs: [...this.running.keys()], waited_ms: timeoutMs }, `${words.doing}: aborting the jobs still running`);
    for (const r of this.running.values()) r.abort.abort(reason);
    if (!(await within(this.runningSettled(), abortWaitMs))) {
      this.log.error({ jobs: [...this.running.keys()], waited_ms: abortWaitMs }, `${words.doing}: jobs did not stop after their abort; ${words.goingOn} under them`);
    }
  }

  /** Asks for a claim pass over `lanes` (an enqueue: its kind's lane; a job's end: its lane; a poll or a resume: all). */
  private wake(lanes: readonly JobLane[] = LANES): void {
    if (this.stopping || this.paused) return;
    for (const lane of lanes) this.wanted.add(lane);
    if (this.pass) return;
    this.pass = (async () => {
      try {
        while (this.wanted.size && !this.stopping && !this.paused) {
          const round = LANES.filter((l) => this.wanted.has(l));
          this.wanted.clear();
          for (const lane of round) await this.claim(lane);
        }
      } catch (err) {
        this.log.error({ err }, 'claiming queued jobs failed');
        // Not known what is left: the next end in either lane looks again.
        for (const lane of LANES) this.backlog[lane] = true;
      } finally {
        this.pass = null;
      }
    })();
  }

  /** Claims as many queued jobs of the lane as it has free workers, oldest first. */
  private async claim(lane: JobLane): Promise<void> {
    const busy = [...this.running.values()].filter((r) => r.lane === lane).length;
    const free = this.workers - busy;
    const kinds = [...this.defs.values()].filter((d) => d.lane === lane).map((d) => d.def.kind);
    if (!kinds.length || this.stopping || this.paused) return;
    if (free <= 0) {
      this.backlog[lane] = true;
      return;
    }
    const next = this.db('jobs').select('id')
      .where('status', 'queued').whereIn('kind', kinds).whereIn('owner', this.replicas.live(this.db))
      .orderBy('created_at').limit(free).forUpdate().skipLocked();
    // No claim while a live replica is resetting, whether or not this one has noticed yet.
    const resetting = this.replicas.resetting(this.db);
    if (resetting) next.whereNotExists(resetting);
    const claimed: JobRecord[] = await this.db('jobs').whereIn('id', next)
      .update({ status: 'running', owner: this.owner, claimed_at: new Date(), attempts: this.db.raw('attempts + 1'), updated_at: new Date() }, '*');
    for (const job of claimed) this.track_(job, lane, (signal) => this.execute(job, signal));
    // All it could take: more may wait (looked at again now, and at this lane's next end).
    this.backlog[lane] = claimed.length === free;
    if (this.backlog[lane]) this.wanted.add(lane);
  }

  private track_(job: JobRecord, lane: JobLane | null, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const { id } = job;
    const abort = new AbortController();
    const promise = work(abort.signal)
      .catch((err) => this.log.error({ err, job_id: id }, 'job runner error'))
      .finally(() => {
        this.running.delete(id);
        // A worker of its lane is free: a look only when jobs may wait for one (an undo, outside the pools, looks anyway).
        if (lane === null) this.wake();
        else if (this.backlog[lane]) this.wake([lane]);
        this.tellEnded({ id, kind: job.kind, resourceType: job.resource_type, resourceId: job.resource_id });
      });
    this.running.set(id, { lane, abort, promise });
    return promise;
  }

  private tellEnded(job: EndedJob): void {
    for (const listener of this.endListeners) {
      try {
        listener(job);
      } catch (err) {
        this.log.error({ err, job_id: job.id }, 'a listener of job ends failed');
      }
    }
  }

  private async execute(job: JobRecord, signal: AbortSignal): Promise<void> {
    const id = job.id;
    const def = this.defs.get(job.kind)?.def;
    if (!def) return this.fail(job, undefined, `No handler for job kind ${job.kind}`, undefined, signal);
    const payload = payloadOf(job);
    const log = this.log.child({ job_id: id, kind: job.kind, resource_id: job.resource_id, project_id: job.project_id });
    const started = Date.now();
    log.info({ attempt: job.attempts, owner: this.owner }, 'job started');
    try {
      const target = targetOfJob(job.kind);
      if (target) await applyFault(this.hooks.faults, { target, projectId: job.project_id }, signal);
      await def.run(payload, { ...job, payload }, signal);
      const mine = await this.db('jobs').where({ id, owner: this.owner }).update({ status: 'succeeded', updated_at: new Date() });
      if (!mine) log.warn('job finished here after another replica took it over');
      log.info({ duration_ms: Date.now() - started }, 'job succeeded');
      this.hooks.observe?.({ kind: job.kind, outcome: 'succeeded', seconds: (Date.now() - started) / 1000 });
    } catch (err) {
      if (signal.aborted) {
        // Shutdown, this replica declared dead, or a reset that waited long enough: left as it
        // stands, resumed or undone by its next owner (after the last two, a job still named this
        // replica's is released for a live replica to take over).
        log.warn({ err, reason: String(signal.reason), duration_ms: Date.now() - started }, 'job stopped by its abort; its next owner resumes or undoes it');
        if (signal.reason instanceof JobsHandedOver) await this.db('jobs').where({ id, owner: this.owner }).update({ owner: null, updated_at: new Date() });
        return;
      }
      log.error({ err, duration_ms: Date.now() - started }, 'job failed');
      // What the run recorded meanwhile (its journal) is what its onFail undoes.
      // Unreadable, the payload the job started with is undone (logged: the journal may be newer).
      const latest = await this.db('jobs').where({ id }).first<JobRecord | undefined>().catch((readErr: unknown) => {
        log.error({ err: readErr }, "reading the failed job's journal failed: its onFail gets the payload it started with");
        return undefined;
      });
      await this.fail({ ...job, payload: latest?.payload ?? payload }, def, err instanceof Error ? err.message : String(err), err, signal);
      this.hooks.observe?.({ kind: job.kind, outcome: 'failed', seconds: (Date.now() - started) / 1000 });
    }
  }

  private async fail(job: JobRecord, def: JobDefinition | undefined, error: string, cause: unknown, signal: AbortSignal): Promise<void> {
    try {
      await def?.onFail(payloadOf(job), error, job, cause);
    } catch (err) {
      this.log.error({ err, job_id: job.id }, 'job failure handler failed');
      if (signal.aborted) return; // stopped mid-undo: its next owner undoes it again
    }
    await this.db('jobs').where({ id: job.id, owner: this.owner }).update({ status: 'failed', error, updated_at: new Date() })
      .catch((err) => this.log.error({ err, job_id: job.id }, 'could not record a job\'s failure'));
  }
}
