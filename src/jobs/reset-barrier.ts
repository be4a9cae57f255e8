import { randomUUID } from 'crypto';
import type { Logger } from '../logger';

/**
 * What a reset needs of the replicas' shared state (ReplicaRegistry in PostgreSQL, nothing for
 * one process): marks that live on each replica's heartbeat row, so a replica that dies stops
 * counting, its marks with it.
 */
export interface ResetMarks {
  /** This replica serves reset `id` from now (null: it ended). */
  markReset(id: string | null): Promise<void>;
  /** This replica is quiesced for the resets `ids` (empty: for none, it runs jobs again). */
  acknowledgeResets(ids: string[]): Promise<void>;
  /** The resets other live replicas serve now, sorted. */
  resetsElsewhere(): Promise<string[]>;
  /** The other live replicas that have not acknowledged reset `id`. */
  unacknowledged(id: string): Promise<string[]>;
}

/** The job runner of this process, as the barrier drives it. */
export interface Quiescible {
  /** No job is started or taken over until as many resume() calls (pauses nest). */
  pause(): void;
  resume(): void;
  /** Waits for the running jobs (timeoutMs), then aborts what still runs and waits for that too (bounded). */
  settle(timeoutMs: number): Promise<void>;
}

export interface ResetBarrierOptions {
  /** How long running jobs may finish before they are aborted (one process's quiesce timeout). */
  timeoutMs: number;
  /** How long the serving replica waits for the others' acknowledgements at most. */
  ackWaitMs: number;
  /** How often the serving replica looks at the acknowledgements. */
  ackPollMs?: number;
}

/**
 * A reset quiesces every live replica, not only the one serving it (docs/replicas.md "Reset").
 *
 * Serving (`serve`): this runner pauses, the reset is marked on this replica's row (from then on
 * no replica's claim takes a job: the claim statement refuses while a live replica is
 * resetting), this replica's jobs settle and, at the same time, it waits until every other live
 * replica acknowledged the reset; then the reset runs, the mark goes and every runner resumes.
 * A replica that stops beating is not waited for, and its mark stops counting with its
 * heartbeat: a replica killed mid-reset pauses the others for one heartbeat TTL at most.
 *
 * Following (`follow`, on every poll of the runner): a reset marked elsewhere pauses this runner,
 * lets its jobs settle as the serving one's do, and acknowledges it; once no reset is marked by
 * a live replica any more, it resumes.
 */
export class ResetBarrier {
  /** The resets elsewhere this runner is paused for (sorted ids; empty: none). */
  private following: string[] = [];

  constructor(private readonly marks: ResetMarks, private readonly runner: Quiescible, private readonly log: Logger, private readonly opts: ResetBarrierOptions) {}

  /**
   * Runs `fn` with no job running or starting in any live replica (waiting `ackWaitMs` at most
   * for the others). `prepare` runs once no replica claims any more, before running jobs are
   * waited for (what ends their waits: the fault rules' delays).
   */
  async serve<T>(fn: () => Promise<T>, prepare?: () => Promise<void>): Promise<T> {
    const id = randomUUID();
    this.runner.pause();
    try {
      await this.marks.markReset(id);
      this.log.info({ reset_id: id }, 'reset: quiescing every replica');
      await prepare?.();
      await Promise.all([this.runner.settle(this.opts.timeoutMs), this.acknowledged(id)]);
      return await fn();
    } finally {
      // A failed write is written again by the next heartbeat (the registry keeps the mark in memory).
      await this.marks.markReset(null).catch((err) => this.log.warn({ err, reset_id: id }, 'reset: could not clear the mark now; the next heartbeat does'));
      this.runner.resume();
    }
  }

  /** One look at the others' resets: pause and acknowledge a new one, resume when none is left. */
  async follow(): Promise<void> {
    const under = await this.marks.resetsElsewhere();
    if (sameIds(under, this.following)) return;
    if (!under.length) {
      this.following = [];
      await this.marks.acknowledgeResets([]);
      this.runner.resume();
      this.log.info('reset elsewhere ended: running jobs again');
      return;
    }
    if (!this.following.length) this.runner.pause();
    this.following = under;
    this.log.info({ resets: under }, 'another replica is resetting: jobs paused here');
    await this.runner.settle(this.opts.timeoutMs);
    if (!sameIds(under, this.following)) return; // changed meanwhile: the next look acknowledges
    await this.marks.acknowledgeResets(under);
    this.log.info({ resets: under }, 'quiesced for the reset elsewhere');
  }

  /** Resolves once every other live replica acknowledged `id`, or after ackWaitMs (then logged). */
  private async acknowledged(id: string): Promise<void> {
    const deadline = Date.now() + this.opts.ackWaitMs;
    for (;;) {
      const pending = await this.marks.unacknowledged(id);
      if (!pending.length) return;
      if (Date.now() >= deadline) {
        this.log.warn({ reset_id: id, replicas: pending, waited_ms: this.opts.ackWaitMs }, 'reset: replicas did not acknowledge in time; resetting beside them');
        return;
      }
      await new Promise((r) => setTimeout(r, this.opts.ackPollMs ?? 100));
    }
  }
}

/** For one process: no other replica to mark anything for. */
export const NO_OTHER_REPLICAS: ResetMarks = {
  markReset: async () => undefined,
  acknowledgeResets: async () => undefined,
  resetsElsewhere: async () => [],
  unacknowledged: async () => [],
};

const sameIds = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
