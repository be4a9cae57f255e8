/**
 * `npm run bench:startup`: cold start to first token and idle memory, per database.
 *
 * A `snapstack serve` process is spawned (the built package, the Docker engine when it answers)
 * and asked for a Keystone token as soon as it listens; the time from spawn to the 201 is what
 * a test suite waits for. Each run gets a fresh data directory; the existing-directory row
 * starts again on one kept directory. After the first token the process idles IDLE_SECONDS
 * (default 30) and its memory is read: RSS of the Snapstack process plus every process below
 * it (an embedded PostgreSQL's postmaster and backends), and the same as PSS (shared pages
 * split between the processes sharing them, so PostgreSQL's shared buffers count once).
 *
 * Databases (BENCH_DBS, comma-separated; default all):
 * - `postgres`: the embedded default, PostgreSQL binaries from npm run as a child process;
 * - `pglite`: embedded PGlite in the process (SNAPSTACK_DB=pglite);
 * - `reference`: PostgreSQL by DATABASE_URL, a server the benchmark starts beside (its memory
 *   is not Snapstack's and is not counted) - the reference the ratios are against.
 * Beside them, a bare Node process answering the same request (the floor for start time).
 * Median of BENCH_REPEATS (default 5) for start times; memory from the first fresh run.
 * Targets (issues 13 and 15): fresh data directory to first token under 2 s, idle under 200 MiB.
 */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DEMO_PASSWORD, MiB, fmtMs, median, now, printTable, runMain, scratchDir, sleep } from './bench-helpers';
import pg from 'pg';
import { postgresUrl, startEmbeddedPostgres } from '../src/db/embedded-postgres';

const REPEATS = Number(process.env.BENCH_REPEATS || 5);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 30);
const DBS = (process.env.BENCH_DBS || 'postgres,pglite,reference').split(',').map((s) => s.trim()).filter(Boolean);
const root = path.resolve(__dirname, '..', '..');
const TOKEN_BODY = JSON.stringify({
  auth: {
    identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: DEMO_PASSWORD } } },
    scope: { project: { name: 'demo', domain: { name: 'Default' } } },
  },
});

/** The reference: Node starting an HTTP server that answers 201, nothing else. */
const BARE_NODE = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => { s.statusCode = 201; s.end('{}'); }); })
  .listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ msg: 'snapstack listening', url: 'http://127.0.0.1:' + this.address().port })); });`;

/** CPU time (user + system) a process has used so far, ms (Linux /proc; NaN elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return NaN;
  }
}

/** `pid` and every process below it (Linux /proc). */
function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch { /* gone meanwhile */ }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  return tree;
}

/** RSS and PSS (bytes) summed over a process tree. */
function treeMemory(pid: number): { rss: number; pss: number; processes: number } {
  let rss = 0;
  let pss = 0;
  const pids = processTree(pid);
  for (const p of pids) {
    try {
      const rollup = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch { /* gone meanwhile */ }
  }
  return { rss, pss, processes: pids.length };
}

interface Sample { wallMs: number; cpuMs: number; memory?: { rss: number; pss: number; processes: number } }

/**
 * Spawns `args`, waits for its "listening" log line, asks for a token: wall time from spawn to
 * the 201 and the CPU time the process used for it; with `idle`, then waits and reads memory.
 */
async function timeToToken(args: string[], env: NodeJS.ProcessEnv, idle = false): Promise<Sample> {
  const started = now();
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /"msg":"snapstack listening".*?"url":"([^"]+)"|"url":"([^"]+)".*?"msg":"snapstack listening"/.exec(out);
        if (m) resolve(m[1] ?? m[2]);
      });
      child.stderr!.on('data', (d) => { out += d; });
      child.on('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
    });
    const res = await fetch(`${url}/identity/v3/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: TOKEN_BODY });
    if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
    const sample: Sample = { wallMs: now() - started, cpuMs: cpuMs(child.pid) };
    if (idle) {
      await sleep(IDLE_SECONDS * 1000);
      sample.memory = treeMemory(child.pid!);
    }
    return sample;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

async function main(): Promise<void> {
  const bin = path.join(root, 'bin', 'snapstack.js');
  if (!fs.existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  const work = scratchDir('startup');
  // The reference server lives beside the runs, started before them (its start is not timed).
  const reference = DBS.includes('reference') ? await startEmbeddedPostgres(path.join(work, 'reference-pg')) : null;
  /** A fresh start on the reference: an empty database, as a fresh data directory is. */
  const resetReferenceDatabase = async () => {
    const client = new pg.Client(reference!.connection);
    await client.connect();
    try {
      await client.query('DROP DATABASE IF EXISTS bench WITH (FORCE)');
      await client.query('CREATE DATABASE bench');
    } finally {
      await client.end();
    }
  };
  if (reference) await resetReferenceDatabase();
  const env = (dataDir: string, db: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH, HOME: process.env.HOME, SNAPSTACK_PORT: '0', SNAPSTACK_DATA_DIR: dataDir,
    SNAPSTACK_DEMO_PASSWORD: DEMO_PASSWORD, SNAPSTACK_LOG_LEVEL: 'info',
    ...(db === 'reference' ? { DATABASE_URL: postgresUrl(reference!.connection, 'bench') } : { SNAPSTACK_DB: db }),
    ...(process.env.SNAPSTACK_DOCKER ? { SNAPSTACK_DOCKER: process.env.SNAPSTACK_DOCKER } : {}),
  });
  const bare: Sample[] = [];
  const fresh = new Map<string, Sample[]>(DBS.map((db) => [db, []]));
  const existing = new Map<string, Sample[]>(DBS.map((db) => [db, []]));
  try {
    for (const db of DBS) await timeToToken([bin, 'serve'], env(path.join(work, `kept-${db}`), db)); // makes the existing directory
    for (let i = 0; i < REPEATS; i++) {
      bare.push(await timeToToken(['-e', BARE_NODE], env(work, 'none')));
      for (const db of DBS) {
        if (db === 'reference') await resetReferenceDatabase(); // fresh: an empty database, as a fresh directory
        fresh.get(db)!.push(await timeToToken([bin, 'serve'], env(path.join(work, `fresh-${db}-${i}`), db), i === 0));
        if (db === 'reference') await resetReferenceDatabase();
        if (db !== 'reference') existing.get(db)!.push(await timeToToken([bin, 'serve'], env(path.join(work, `kept-${db}`), db)));
      }
    }
  } finally {
    await reference?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const wall = (xs: Sample[]) => median(xs.map((x) => x.wallMs));
  const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpuMs));
  const label: Record<string, string> = {
    postgres: 'embedded PostgreSQL (default)', pglite: 'embedded PGlite (SNAPSTACK_DB=pglite)', reference: 'PostgreSQL by DATABASE_URL (reference)',
  };
  const ref = fresh.get('reference');
  const refMem = ref?.[0]?.memory;
  const ratio = (x: number, r: number | undefined) => (r ? `${(x / r).toFixed(2)}x` : '-');
  const mib = (b: number) => `${(b / MiB).toFixed(0)} MiB`;
  const rows: string[][] = [['bare Node (start floor)', fmtMs(wall(bare)), '-', '-', fmtMs(cpu(bare)), '-', '-', '-']];
  for (const db of DBS) {
    const xs = fresh.get(db)!;
    const m = xs[0].memory!;
    const w = xs.map((x) => x.wallMs);
    rows.push([
      `${label[db] ?? db}, fresh data dir`, fmtMs(wall(xs)), `${fmtMs(Math.min(...w))} - ${fmtMs(Math.max(...w))}`, ratio(wall(xs), ref && wall(ref)), fmtMs(cpu(xs)),
      `${mib(m.rss)} (${m.processes} proc)`, mib(m.pss), ratio(m.rss, refMem?.rss),
    ]);
    const ex = existing.get(db)!;
    if (ex.length) rows.push([`${label[db] ?? db}, existing data dir`, fmtMs(wall(ex)), '-', ratio(wall(ex), ref && wall(ref)), fmtMs(cpu(ex)), '-', '-', '-']);
  }
  console.log(`\ncold start to first token (median of ${REPEATS}) and memory after start + one token + ${IDLE_SECONDS} s idle`);
  console.log(`(${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}; RSS/PSS: Snapstack and its child processes)\n`);
  printTable(['database', 'to first token', 'min - max', 'vs PostgreSQL', 'CPU time', 'idle RSS', 'idle PSS', 'RSS vs PostgreSQL'], rows);
  const def = fresh.get('postgres') ?? fresh.get(DBS[0])!;
  const startMet = wall(def) < 2000 ? 'met' : 'NOT met';
  const memMet = def[0].memory!.rss < 200 * MiB ? 'met' : 'NOT met';
  console.log(`\ntargets for the embedded default: first token under 2 s on a fresh data dir: ${startMet} (${fmtMs(wall(def))}); idle under 200 MiB: ${memMet} (${mib(def[0].memory!.rss)})`);
}

runMain(main);
