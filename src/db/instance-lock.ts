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
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch { /* unreadable or half-written: treated as stale below */ }
    const sameHost = holder.host === undefined || holder.host === os.hostname();
    if (typeof holder.pid === 'number' && (!sameHost || alive(holder.pid))) {
      throw new InstanceLockError(
        `Another Snapstack server (pid ${holder.pid} on ${holder.host ?? 'this host'}) is using the data directory ${dataDir}; stop it first, or give this one another SNAPSTACK_DATA_DIR. (If no server runs, remove ${file}.)`,
      );
    }
    fs.rmSync(file, { force: true }); // its holder died without releasing it
  }
  throw new InstanceLockError(`Could not lock the data directory ${dataDir}: another server is starting on it.`);
}

/** Locks the database (its instance row with it), or throws InstanceLockError. */
export async function lockDatabase(databaseUrl: string, where: string, log: Logger): Promise<InstanceLock> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  client.on('error', () => undefined); // the lock goes with the connection; the pool reports real outages
  const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [ADVISORY_KEY]);
  if (!rows[0]?.locked) {
    await client.end();
    throw new InstanceLockError(`Another Snapstack server is using the database (${where}); stop it first, or give this one another DATABASE_URL.`);
  }
  return {
    async release() {
      // A lost connection released the lock with its session; anything else is worth a line.
      await bestEffort(log, 'releasing the database lock', { database: where }, () => client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_KEY]));
      await bestEffort(log, 'closing the database lock connection', { database: where }, () => client.end());
    },
  };
}
