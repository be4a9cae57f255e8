import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import type { Logger } from '../logger';
import { bestEffort } from '../shared/best-effort';

/**
 * One server per data directory and per database: two servers sharing either would both
 * believe they own the same instance id and lose each other's writes. The data directory is
 * locked by a pid file created exclusively (a dead holder's file is taken over); a PostgreSQL
 * database by a session advisory lock held on a connection of its own for the server's life.
 */
export class InstanceLockError extends Error {}

export interface InstanceLock {
  release(): Promise<void>;
}

const LOCK_FILE = 'snapstack.lock';
/** pg_try_advisory_lock key: advisory locks are per database, so one key serves every database. */
const ADVISORY_KEY = 0x736e6170; // 'snap'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks the data directory, or throws InstanceLockError naming the server that holds it. */
export function lockDataDir(dataDir: string): InstanceLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const claim = `${JSON.stringify({ pid: process.pid, host: os.hostname(), started_at: new Date().toISOString() })}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, claim, { flag: 'wx', mode: 0o600 });
      return {
        async release() {
          // Only our own claim is removed (a taken-over file belongs to someone else).
          const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
          if (current.trim() === claim.trim()) fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    refuseLiveHolder(dataDir, file);
    fs.rmSync(file, { force: true }); // its holder died without releasing it
  }
  throw new InstanceLockError(`Could not lock the data directory ${dataDir}: another server is starting on it.`);
}

/** Replicas share the data directory: they take no lock on it, but refuse one a single server holds. */
export function checkDataDirFree(dataDir: string): void {
  const file = path.join(dataDir, LOCK_FILE);
  if (fs.existsSync(file)) refuseLiveHolder(dataDir, file);
}

function refuseLiveHolder(dataDir: string, file: string): void {
  let holder: { pid?: number; host?: string } = {};
  try {
    holder = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch { /* unreadable, half-written or gone: treated as stale */ }
  const sameHost = holder.host === undefined || holder.host === os.hostname();
  if (typeof holder.pid === 'number' && (!sameHost || alive(holder.pid))) {
    throw new InstanceLockError(
      `Another Snapstack server (pid ${holder.pid} on ${holder.host ?? 'this host'}) is using the data directory ${dataDir}; stop it first, or give this one another SNAPSTACK_DATA_DIR. (If no server runs, remove ${file}.)`,
    );
  }
}

/**
 * Locks the database (its instance row with it), or throws InstanceLockError. replica: the lock
 * is shared (replicas hold it together), and still excludes a server that is not a replica.
 */
export async function lockDatabase(databaseUrl: string, where: string, log: Logger, opts: { replica?: boolean } = {}): Promise<InstanceLock> {
  const mode = opts.replica ? '_shared' : '';
  const { client, locked } = await advisory(databaseUrl, `SELECT pg_try_advisory_lock${mode}($1) AS locked`, ADVISORY_KEY);
  if (!locked) {
    await client.end();
    throw new InstanceLockError(opts.replica
      ? `A Snapstack server that is not a replica is using the database (${where}); stop it, or start every server on it with SNAPSTACK_REPLICA=1.`
      : `Another Snapstack server is using the database (${where}); stop it first, or give this one another DATABASE_URL (several servers on one database: SNAPSTACK_REPLICA=1 on each, see docs/replicas.md).`);
  }
  return release(client, `SELECT pg_advisory_unlock${mode}($1)`, ADVISORY_KEY, log, { database: where });
}

/** Replicas start one at a time (migrations, seeds, start-up sweeps): waits for the others' starts. */
export async function lockStartup(databaseUrl: string, log: Logger): Promise<InstanceLock> {
  const { client } = await advisory(databaseUrl, 'SELECT pg_advisory_lock($1) AS locked', STARTUP_KEY);
  return release(client, 'SELECT pg_advisory_unlock($1)', STARTUP_KEY, log, { lock: 'startup' });
}

const STARTUP_KEY = 0x736e6171;

async function advisory(databaseUrl: string, sql: string, key: number): Promise<{ client: pg.Client; locked: boolean }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  client.on('error', () => undefined); // the lock goes with the connection; the pool reports real outages
  const { rows } = await client.query(sql, [key]);
  return { client, locked: Boolean(rows[0]?.locked ?? true) };
}

function release(client: pg.Client, sql: string, key: number, log: Logger, ids: Record<string, unknown>): InstanceLock {
  return {
    async release() {
      // A lost connection released the lock with its session; anything else is worth a line.
      await bestEffort(log, 'releasing a database lock', ids, () => client.query(sql, [key]));
      await bestEffort(log, 'closing a database lock connection', ids, () => client.end());
    },
  };
}
