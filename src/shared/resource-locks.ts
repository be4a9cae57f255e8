import pg from 'pg';
import type { Logger } from '../logger';
import { KeyedMutex, lockOrder, type LockOptions } from './keyed-mutex';

/**
 * Per-resource locks for work that spans requests and jobs (a server's id): one interface, two
 * homes. One process (the default, and PGlite): KeyedMutex in memory. Replicas on one
 * PostgreSQL: PostgreSQL session advisory locks, so a server's work is serialised across every
 * replica; waiters of one process queue in memory first, so each process holds one connection
 * per resource it works on, not one per waiter. Shared keys are pg_advisory_lock_shared, on the
 * same connection as the holder's exclusive keys (a clone holds its new volume and, shared, its
 * source snapshot: one connection).
 */
export interface ResourceLocks {
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Several keys, taken in sorted order (two multi-key holders cannot deadlock); `opts.shared`
   * keys are held shared (any number of shared holders at once, none beside an exclusive one).
   */
  withLocks<T>(keys: string[], fn: () => Promise<T>, opts?: LockOptions): Promise<T>;
  /**
   * Runs `fn` holding `key` exclusive only if it is free now (no holder, shared or not, and no
   * waiter here); otherwise null, at once: for work that would rather skip than wait.
   */
  withLockIfFree<T>(key: string, fn: () => Promise<T>): Promise<{ value: T } | null>;
  close?(): Promise<void>;
}

/**
 * Takes the keys as `withLocks` does and holds them until the returned release is called: for a
 * hold that outlives one call (the snapshots an export reads, until the export is released).
 */
export async function holdLocks(locks: ResourceLocks, keys: string[], opts: LockOptions = {}): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const held = locks.withLocks(keys, async () => {
    entered();
    await released;
  }, opts);
  held.catch(() => undefined); // a failure to take them is thrown below; one to let go is the lock's to log
  await Promise.race([inside, held]);
  return release;
}

export class AdvisoryLocks implements ResourceLocks {
  private readonly local = new KeyedMutex();
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string, private readonly log: Logger, opts: { namespace?: string; maxConnections?: number } = {}) {
    this.namespace = opts.namespace ?? 'snapstack:';
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: opts.maxConnections ?? 32, idleTimeoutMillis: 10_000 });
    this.pool.on('error', (err) => this.log.warn({ err }, 'advisory lock connection failed (its locks went with it)'));
  }

  private readonly namespace: string;

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.withLocks([key], fn);
  }

  withLocks<T>(keys: string[], fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
    const order = lockOrder(keys, opts);
    const sorted = order.map((k) => k.key);
    return this.local.withLocks(keys, async () => {
      const client = await this.pool.connect();
      try {
        // hashtextextended: a 64-bit key per name (PostgreSQL 11+).
        for (const { key, shared } of order) {
          await client.query(`SELECT ${shared ? 'pg_advisory_lock_shared' : 'pg_advisory_lock'}(hashtextextended($1, 0))`, [this.namespace + key]);
        }
        return await fn();
      } finally {
        client.release(await this.unlockAll(client, sorted));
      }
    }, opts);
  }

  withLockIfFree<T>(key: string, fn: () => Promise<T>): Promise<{ value: T } | null> {
    return this.local.withLockIfFree(key, async () => {
      const client = await this.pool.connect();
      try {
        const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held', [this.namespace + key]);
        if (!rows[0].held) return null;
        return { value: await fn() };
      } finally {
        client.release(await this.unlockAll(client, [key]));
      }
    }).then((r) => r?.value ?? null);
  }

  /** Lets go of every advisory lock of the connection; the error when that failed (the connection is then dropped). */
  private async unlockAll(client: pg.PoolClient, keys: string[]): Promise<Error | undefined> {
    try {
      await client.query('SELECT pg_advisory_unlock_all()');
      return undefined;
    } catch (err) {
      this.log.warn({ err, keys }, 'could not release advisory locks: dropping their connection');
      return err as Error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
