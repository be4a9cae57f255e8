/**
 * `npm run bench:startup`: cold start to first token. A `snapstack serve` process is spawned
 * (the built package, embedded PGlite, the Docker engine when it answers) and asked for a
 * Keystone token as soon as it listens; the time from spawn to the 201 is what a test suite
 * waits for. On a fresh data directory (each run its own) and on an existing one (the same
 * directory again). Beside it, the reference: a bare Node process that answers the same
 * request. Median of BENCH_REPEATS (default 5). Target (issue 13): under 2 s on a fresh
 * directory.
 */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DEMO_PASSWORD, fmtMs, median, now, printTable, runMain } from './bench-helpers';

const REPEATS = Number(process.env.BENCH_REPEATS || 5);
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

interface Sample { wallMs: number; cpuMs: number }

/**
 * Spawns `args`, waits for its "listening" log line, asks for a token: wall time from spawn to
 * the 201, and the CPU time the process used for it (less sensitive to a busy machine).
 */
async function timeToToken(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
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
    const wallMs = now() - started;
    return { wallMs, cpuMs: cpuMs(child.pid) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const bin = path.join(root, 'bin', 'snapstack.js');
  if (!fs.existsSync(path.join(root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-startup-'));
  const env = (dataDir: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH, HOME: process.env.HOME, SNAPSTACK_PORT: '0', SNAPSTACK_DATA_DIR: dataDir,
    SNAPSTACK_DEMO_PASSWORD: DEMO_PASSWORD, SNAPSTACK_LOG_LEVEL: 'info',
    ...(process.env.SNAPSTACK_DOCKER ? { SNAPSTACK_DOCKER: process.env.SNAPSTACK_DOCKER } : {}),
  });
  const bare: Sample[] = [];
  const fresh: Sample[] = [];
  const existing: Sample[] = [];
  try {
    const kept = path.join(work, 'kept');
    await timeToToken([bin, 'serve'], env(kept)); // makes the existing directory
    for (let i = 0; i < REPEATS; i++) {
      bare.push(await timeToToken(['-e', BARE_NODE], env(work)));
      fresh.push(await timeToToken([bin, 'serve'], env(path.join(work, `fresh-${i}`))));
      existing.push(await timeToToken([bin, 'serve'], env(kept)));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const wall = (xs: Sample[]) => median(xs.map((x) => x.wallMs));
  const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpuMs));
  const row = (label: string, xs: Sample[]) => {
    const w = xs.map((x) => x.wallMs);
    return [label, fmtMs(wall(xs)), `${fmtMs(Math.min(...w))} - ${fmtMs(Math.max(...w))}`, `${(wall(xs) / wall(bare)).toFixed(1)}x`, fmtMs(cpu(xs))];
  };
  console.log(`\ncold start to first token, median of ${REPEATS} (${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)})\n`);
  printTable(['process', 'median', 'min - max', 'vs bare Node', 'CPU time'], [
    row('bare Node (reference)', bare),
    row('snapstack serve, fresh data dir', fresh),
    row('snapstack serve, existing data dir', existing),
  ]);
  const verdict = wall(fresh) < 2000 ? 'met' : 'NOT met';
  console.log(`\ntarget: fresh data dir under 2 s: ${verdict} (wall ${fmtMs(wall(fresh))}, CPU ${fmtMs(cpu(fresh))})`);
}

runMain(main);
