// A throwaway PostgreSQL cluster in a temp dir, for the test run only: trust
// auth, loopback TCP on a free port, durability off (its data is thrown away).
import { execFileSync, spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

export interface PostgresCluster {
  /** Superuser URL on the maintenance database: postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Temp root: data/ (the cluster), the socket and postgres.log. */
  root: string;
  stop(): Promise<void>;
}

/** The database superuser initdb creates, whatever OS user runs the server. */
export const SUPERUSER = 'postgres';
/** OS user created to run the server when we are root and no `postgres` user exists. */
export const FALLBACK_OS_USER = 'snapstack-pg';
const DIR_PREFIX = 'snapstack-pg-';
const OWNER_FILE = 'owner.pid';

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** initdb, pg_ctl: PATH first, then PG_BINDIR, then Debian's /usr/lib/postgresql/<newest>/bin. */
export function findPgBinary(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  if (process.env.PG_BINDIR) dirs.push(process.env.PG_BINDIR);
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs.readdirSync(debian).filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function lookupUser(name: string): RunAs | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    const gid = Number(execFileSync('id', ['-g', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

/** PostgreSQL refuses to run as root: as root, use `postgres` if it exists, else create snapstack-pg. */
function serverUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const existing = lookupUser('postgres') ?? lookupUser(FALLBACK_OS_USER);
  if (existing) return existing;
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', FALLBACK_OS_USER],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    // Another process may have created it meanwhile; only a still-missing user is an error.
    if (!lookupUser(FALLBACK_OS_USER)) throw new Error(`could not create OS user ${FALLBACK_OS_USER} to run PostgreSQL: ${String(err)}`);
  }
  const created = lookupUser(FALLBACK_OS_USER);
  if (!created) throw new Error(`OS user ${FALLBACK_OS_USER} is missing after useradd`);
  return created;
}

function run(cmd: string, args: string[], cwd: string, user: RunAs | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // LC_ALL=C: a fresh machine may lack the locale LANG names, which initdb rejects.
      env: { ...process.env, LC_ALL: 'C', LANG: 'C', HOME: cwd },
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code}:\n${out.trim()}`));
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGQUIT = immediate shutdown; only if the pid in postmaster.pid is still a postgres process. */
function killPostmaster(dataDir: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!isAlive(pid)) return;
  try {
    if (!fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) return;
  } catch {
    // no /proc: trust postmaster.pid
  }
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    // already gone
  }
}

function tmpBase(): string {
  return process.env.SNAPSTACK_PG_TMPDIR || os.tmpdir();
}

/** Clusters whose owning process died (a killed jest run) are stopped and removed. */
export function reapStaleClusters(): void {
  const base = tmpBase();
  let entries: string[];
  try {
    entries = fs.readdirSync(base).filter((e) => e.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const entry of entries) {
    const root = path.join(base, entry);
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(root, OWNER_FILE), 'utf8').trim());
    } catch {
      // no owner file: only reap once it is clearly old (another run may be inside initdb right now)
      try {
        if (Date.now() - fs.statSync(root).mtimeMs < 10 * 60_000) continue;
      } catch {
        continue;
      }
    }
    if (isAlive(owner)) continue;
    killPostmaster(path.join(root, 'data'));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Starts a cluster; ~1-2 s. Call stop() when done (also done best-effort at process exit). */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const initdb = findPgBinary('initdb');
  const pgCtl = findPgBinary('pg_ctl');
  if (!initdb || !pgCtl) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, in PG_BINDIR or /usr/lib/postgresql/*/bin. ' +
        'Install them (Debian: apt-get install postgresql-15) or set TEST_DATABASE_URL to a server the tests may use.',
    );
  }
  reapStaleClusters();
  const user = serverUser();
  const root = fs.mkdtempSync(path.join(tmpBase(), DIR_PREFIX));
  fs.writeFileSync(path.join(root, OWNER_FILE), `${process.pid}\n`);
  if (user) fs.chownSync(root, user.uid, user.gid);
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');

  let started = false;
  const onExit = () => {
    if (started) killPostmaster(dataDir);
    fs.rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  try {
    // --no-sync: nothing here needs to survive a crash of the machine.
    await run(initdb, ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], root, user);
    let port = 0;
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      port = await freePort();
      const opts = [
        `-p ${port}`,
        `-k ${root}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        await run(pgCtl, ['-D', dataDir, '-l', logFile, '-o', opts, '-w', '-t', '30', 'start'], root, user);
        started = true;
      } catch (err) {
        // Most likely the port was taken between freePort() and bind: try another one.
        lastError = err;
        killPostmaster(dataDir);
      }
    }
    if (!started) {
      let log = '';
      try {
        log = fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      } catch {
        // no log
      }
      throw new Error(`PostgreSQL did not start: ${String(lastError)}\n--- postgres.log ---\n${log}`);
    }

    let stopped = false;
    return {
      url: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`,
      port,
      root,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await run(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], root, user);
        } catch {
          killPostmaster(dataDir);
        }
        process.removeListener('exit', onExit);
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    process.removeListener('exit', onExit);
    onExit();
    throw err;
  }
}
