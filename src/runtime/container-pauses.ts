import type Docker from 'dockerode';
import pg from 'pg';
import type { Logger } from '../logger';
import { KeyedMutex } from '../shared/keyed-mutex';
import { isDockerStatus } from './docker-engine';

/** A counted pause of one container: the last release unpauses what the first hold paused. */
export interface PauseHold {
  /** true when the container is paused by Snapstack's holds (false: it was not running). */
  paused: boolean;
  /** Idempotent. */
  release(): Promise<void>;
}

/**
 * Where holds of one container are counted across processes (replicas on one PostgreSQL). A
 * process joins at its first hold of a container and leaves at its last release.
 */
export interface PauseLedger {
  /** Joins; runs `pause` when no other process holds the container. Says whether holds paused it. */
  join(containerId: string, pause: () => Promise<boolean>): Promise<boolean>;
  /** Leaves; runs `unpause` when no other process holds the container and holds paused it. */
  leave(containerId: string, unpause: () => Promise<void>): Promise<void>;
  /** Some process holds the container. */
  held(containerId: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Pauses are counted per container: nested or concurrent holds of one container (two volume
 * snapshots of one running server, an instance snapshot around them) are one `docker pause`,
 * undone when the last hold is released. A container paused by someone else is left as it is.
 * With a ledger (replicas), the count spans every replica: the first hold anywhere pauses, the
 * last release anywhere unpauses.
 */
export class ContainerPauses {
  private readonly held = new Map<string, { count: number; paused: boolean }>();
  private readonly locks = new KeyedMutex();
  private ledger: PauseLedger | null = null;

  constructor(private readonly docker: Docker) {}

  /** Replicas: count holds across processes (set by the composition root before any hold). */
  useLedger(ledger: PauseLedger): void {
    this.ledger = ledger;
  }

  async hold(containerId: string): Promise<PauseHold> {
    return this.locks.withLock(containerId, async () => {
      let h = this.held.get(containerId);
      if (!h) {
        const pause = () => this.pauseIfRunning(containerId);
        h = { count: 0, paused: this.ledger ? await this.ledger.join(containerId, pause) : await pause() };
        this.held.set(containerId, h);
      }
      h.count++;
      const entry = h;
      let released = false;
      return {
        paused: entry.paused,
        release: async () => {
          if (released) return;
          released = true;
          await this.locks.withLock(containerId, async () => {
            if (--entry.count > 0) return;
            this.held.delete(containerId);
            const unpause = () => this.docker.getContainer(containerId).unpause().catch((err: unknown) => {
              if (!isDockerStatus(err, 404) && !isDockerStatus(err, 409)) throw err;
            });
            if (this.ledger) await this.ledger.leave(containerId, unpause);
            else if (entry.paused) await unpause();
          });
        },
      };
    });
  }

  /** How many holds a container has in this process (tests). */
  holds(containerId: string): number {
    return this.held.get(containerId)?.count ?? 0;
  }

  /** Some hold, in this process or (replicas) another, keeps the container paused for a capture. */
  async heldAnywhere(containerId: string): Promise<boolean> {
    return this.holds(containerId) > 0 || (this.ledger ? await this.ledger.held(containerId) : false);
  }

  private async pauseIfRunning(containerId: string): Promise<boolean> {
    const c = this.docker.getContainer(containerId);
    try {
      const info = await c.inspect();
      if (info.State?.Status !== 'running') return false;
      await c.pause();
      return true;
    } catch (err) {
      // Gone, or paused/stopped by someone else meanwhile: nothing of ours to undo.
      if (isDockerStatus(err, 404) || isDockerStatus(err, 409)) return false;
      throw err;
    }
  }
}

const byEngine = new WeakMap<Docker, ContainerPauses>();

/** The one pause counter of an engine connection (every module shares the composition root's). */
export function containerPauses(docker: Docker): ContainerPauses {
  let p = byEngine.get(docker);
  if (!p) byEngine.set(docker, (p = new ContainerPauses(docker)));
  return p;
}

/**
 * The pause ledger of replicas: each process holding a container holds the session advisory lock
 * `snapstack:pause:<id>` shared (one connection per container it holds); joins and leaves of one
 * container take turns on `snapstack:pause-turn:<id>`. A process that can take the hold lock
 * exclusively (and lets it go at once) is alone: the first to join pauses, the last to leave
 * unpauses. Whether holds paused it (not the user, not a stopped container) is the settings row
 * `container.paused.<id>`, written by the first and removed by the last. A dead replica's holds
 * go with its connections.
 */
export class AdvisoryPauseLedger implements PauseLedger {
  private readonly pool: pg.Pool;
  private readonly sessions = new Map<string, pg.PoolClient>();

  constructor(databaseUrl: string, private readonly log: Logger, opts: { maxConnections?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: opts.maxConnections ?? 8, idleTimeoutMillis: 10_000 });
    this.pool.on('error', (err) => this.log.warn({ err }, 'pause ledger connection failed (its holds went with it)'));
  }

  async join(containerId: string, pause: () => Promise<boolean>): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      const paused = await this.inTurn(client, containerId, async () => {
        const alone = await this.alone(client, containerId);
        await client.query('SELECT pg_advisory_lock_shared(hashtextextended($1, 0))', [`snapstack:pause:${containerId}`]);
        if (!alone) return (await client.query('SELECT value FROM settings WHERE key = $1', [markKey(containerId)])).rows[0]?.value === 'paused';
        const mine = await pause();
        await client.query(
          'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
          [markKey(containerId), mine ? 'paused' : 'not paused'],
        );
        return mine;
      });
      this.sessions.set(containerId, client);
      return paused;
    } catch (err) {
      client.release(err as Error); // its locks go with the connection
      throw err;
    }
  }

  async leave(containerId: string, unpause: () => Promise<void>): Promise<void> {
    const client = this.sessions.get(containerId);
    if (!client) return;
    this.sessions.delete(containerId);
    let broken: Error | undefined;
    try {
      await this.inTurn(client, containerId, async () => {
        await client.query('SELECT pg_advisory_unlock_shared(hashtextextended($1, 0))', [`snapstack:pause:${containerId}`]);
        if (!(await this.alone(client, containerId))) return;
        const mark = await client.query('DELETE FROM settings WHERE key = $1 RETURNING value', [markKey(containerId)]);
        if (mark.rows[0]?.value === 'paused') await unpause();
      });
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async held(containerId: string): Promise<boolean> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return !(await this.alone(client, containerId));
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    for (const client of this.sessions.values()) client.release(true);
    this.sessions.clear();
    await this.pool.end();
  }

  /** No other process holds the container (this one holds no hold lock when asking). */
  private async alone(client: pg.PoolClient, containerId: string): Promise<boolean> {
    const key = `snapstack:pause:${containerId}`;
    const free = (await client.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS free', [key])).rows[0].free as boolean;
    if (free) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    return free;
  }

  private async inTurn<T>(client: pg.PoolClient, containerId: string, fn: () => Promise<T>): Promise<T> {
    const turn = `snapstack:pause-turn:${containerId}`;
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [turn]);
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [turn]);
    }
  }
}

function markKey(containerId: string): string {
  return `container.paused.${containerId}`;
}
