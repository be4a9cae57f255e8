import os from 'os';
import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { NO_OTHER_REPLICAS, type ResetMarks } from './reset-barrier';

/**
 * Who is alive among the Snapstack processes on one database. Jobs name their owner (the
 * replica that enqueued or claimed them); a job whose owner is not alive is taken over.
 *
 * Single (the default, and always on PGlite): the instance lock guarantees this process is
 * the only one, so it alone is alive and every job another process left is a dead one's.
 * Replicated (SNAPSTACK_REPLICA=1 with DATABASE_URL): each process has a row in `replicas`
 * and beats it every heartbeatMs; one that has not beaten for ttlMs is dead.
 */
export interface Replicas extends ResetMarks {
  /** This process's replica id (a job's owner). */
  readonly id: string;
  readonly replicated: boolean;
  /** The live replicas' ids: an array, or a subquery for `whereIn`. */
  live(db: Knex): string[] | Knex.QueryBuilder;
  /** Whether another replica is alive now (start-up sweeps run only when none is). */
  othersAlive(db: Knex): Promise<boolean>;
  start(): Promise<void>;
  /** Ends the heartbeat and deletes this replica's row: the others take over at once. */
  stop(): Promise<void>;
  /** Called when this replica finds it was declared dead (its row gone): its jobs belong to others now. */
  onLost(fn: () => void): void;
  /** For a claim's `whereNotExists`: a live replica serving a reset (null: one process, none). */
  resetting(db: Knex): Knex.QueryBuilder | null;
}

export function singleReplica(): Replicas {
  const id = randomUUID();
  return {
    id,
    replicated: false,
    live: () => [id],
    othersAlive: async () => false,
    start: async () => undefined,
    stop: async () => undefined,
    onLost: () => undefined,
    resetting: () => null,
    ...NO_OTHER_REPLICAS,
  };
}

export interface ReplicaOptions {
  url?: string;
  heartbeatMs?: number;
  ttlMs?: number;
}

export class ReplicaRegistry implements Replicas {
  readonly id = randomUUID();
  readonly replicated = true;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> = Promise.resolve();
  private readonly lost: Array<() => void> = [];
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  /** When this replica last beat (its own clock). */
  private lastBeat = Date.now();
  /** The reset this replica serves, and those it is quiesced for: written with every beat too. */
  private marks: { resetting: string | null; quiesced_for: string[] } = { resetting: null, quiesced_for: [] };
  /** Writes of this replica's row take turns, each with the marks as they are at its turn (no older write lands last). */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Knex, private readonly log: Logger, private readonly opts: ReplicaOptions = {}) {
    this.heartbeatMs = opts.heartbeatMs ?? 2_000;
    this.ttlMs = opts.ttlMs ?? 10_000;
  }

  private cutoff(db: Knex): Knex.Raw {
    return db.raw(`now() - (? * interval '1 millisecond')`, [this.ttlMs]);
  }

  live(db: Knex): Knex.QueryBuilder {
    return db('replicas').select('id').where('heartbeat_at', '>', this.cutoff(db));
  }

  async othersAlive(db: Knex): Promise<boolean> {
    const row = await this.live(db).whereNot('id', this.id).first();
    return Boolean(row);
  }

  private row() {
    return { id: this.id, host: os.hostname(), pid: process.pid, url: this.opts.url ?? null, ...this.marks };
  }

  async start(): Promise<void> {
    await this.db('replicas').insert(this.row());
    this.lastBeat = Date.now();
    this.log.info({ replica_id: this.id, heartbeat_ms: this.heartbeatMs, ttl_ms: this.ttlMs }, 'replica registered');
    this.timer = setInterval(() => {
      this.beating = this.beat();
    }, this.heartbeatMs);
    this.timer.unref();
  }

  onLost(fn: () => void): void {
    this.lost.push(fn);
  }

  private async beat(): Promise<void> {
    try {
      // Silent for longer than the TTL (a stalled event loop, a database outage): the others may
      // have taken this replica's jobs over already, so it gives them up, whatever its row says.
      const silent = Date.now() - this.lastBeat > this.ttlMs;
      const n = await this.writeRow(() => this.db('replicas').where({ id: this.id }).update({ heartbeat_at: this.db.fn.now(), ...this.marks }));
      if (n > 0 && !silent) {
        this.lastBeat = Date.now();
      }
      // Dead replicas' rows go once their jobs can have been taken over (twice the TTL).
      await this.db('replicas').where('heartbeat_at', '<', this.db.raw(`now() - (? * interval '1 millisecond')`, [this.ttlMs * 2])).del();
      if ((n === 0 || silent) && this.timer) {
        this.log.error({ replica_id: this.id }, 'this replica was declared dead (no heartbeat for too long): its jobs are taken over by others; stopping its own and registering again');
        for (const fn of this.lost) fn();
        await this.db('replicas').insert(this.row()).onConflict('id').merge();
        this.lastBeat = Date.now();
      }
    } catch (err) {
      this.log.warn({ err, replica_id: this.id }, 'replica heartbeat failed');
    }
  }

  // --- resets across replicas (reset-barrier.ts) ---------------------------------------------

  private writeRow<T>(write: () => Promise<T>): Promise<T> {
    const turn = this.writes.then(write);
    this.writes = turn.catch(() => undefined);
    return turn;
  }

  markReset(id: string | null): Promise<void> {
    return this.setMarks({ resetting: id });
  }

  acknowledgeResets(ids: string[]): Promise<void> {
    return this.setMarks({ quiesced_for: ids });
  }

  /** Changes this replica's marks and writes them to its row now (each beat writes them again). */
  private async setMarks(patch: Partial<ReplicaRegistry['marks']>): Promise<void> {
    this.marks = { ...this.marks, ...patch };
    await this.writeRow(() => this.db('replicas').where({ id: this.id }).update({ ...this.marks }));
  }

  resetting(db: Knex): Knex.QueryBuilder {
    return this.live(db).whereNotNull('resetting');
  }

  async resetsElsewhere(): Promise<string[]> {
    const rows: Array<{ resetting: string }> = await this.resetting(this.db).clearSelect().select('resetting').whereNot('id', this.id);
    return rows.map((r) => r.resetting).sort();
  }

  async unacknowledged(id: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.live(this.db).whereNot('id', this.id).whereRaw('NOT (? = ANY(quiesced_for))', [id]);
    return rows.map((r) => r.id);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    await this.db('replicas').where({ id: this.id }).del()
      .catch((err) => this.log.warn({ err, replica_id: this.id }, 'could not deregister the replica (the others take over once its heartbeat expires)'));
  }
}
