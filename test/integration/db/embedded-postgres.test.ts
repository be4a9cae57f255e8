/**
 * Issue 15: the embedded default database is PostgreSQL run as a child process. It dies with
 * Snapstack (kill -9 included), a server left behind anyway is stopped at the next start, and
 * the data directory's lock still keeps a second server out.
 */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import { alive, startEmbeddedPostgres } from '../../../src/db/embedded-postgres';
import { serveChild } from '../../support/serve-child';

const DEMO_PASSWORD = 'demo-secret';
const TOKEN_BODY = {
  auth: {
    identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: DEMO_PASSWORD } } },
    scope: { project: { name: 'demo', domain: { name: 'Default' } } },
  },
};

async function gone(pid: number, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const postmasterPid = (dir: string) => Number(fs.readFileSync(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('embedded PostgreSQL (the default without DATABASE_URL)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-embedded-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('dies with a Snapstack killed with SIGKILL; the next start on the directory serves the same data', async () => {
    const env = { SNAPSTACK_DATA_DIR: dataDir, SNAPSTACK_DOCKER: 'none', SNAPSTACK_DEMO_PASSWORD: DEMO_PASSWORD };
    const first = await serveChild(env);
    const health = (await (await fetch(`${first.url}/snapstack/v1/health`)).json()) as { database: string };
    expect(health.database).toBe('embedded PostgreSQL');
    const login = await fetch(`${first.url}/identity/v3/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(TOKEN_BODY) });
    expect(login.status).toBe(201);
    const token = login.headers.get('x-subject-token')!;
    const server = postmasterPid(dataDir);
    expect(alive(server)).toBe(true);

    first.child.kill('SIGKILL');
    await first.exited;
    expect(await gone(server)).toBe(true);

    const second = await serveChild(env);
    try {
      const res = await fetch(`${second.url}/identity/v3/auth/projects`, { headers: { 'X-Auth-Token': token } });
      expect(res.status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    }
    // A clean stop leaves no server either.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('stops a server a killed Snapstack left running before it starts its own', async () => {
    const dir = path.join(dataDir, 'leftover');
    // A process that starts the server, prints its pids and is then killed with everything but
    // the server (as when a whole process group but the server was killed).
    const starter = spawn(process.execPath, ['-e', `
      const { startEmbeddedPostgres } = require(${JSON.stringify(path.resolve(__dirname, '../../../dist/src/db/embedded-postgres.js'))});
      startEmbeddedPostgres(${JSON.stringify(dir)}).then((s) => console.log(JSON.stringify({ pid: s.pid })));
      setInterval(() => undefined, 60_000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { pid } = await new Promise<{ pid: number }>((resolve, reject) => {
      let out = '';
      starter.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) resolve(JSON.parse(out)); });
      starter.on('exit', (code) => reject(new Error(`starter exited ${code}`)));
    });
    // The watchdog shell first (its cat ending would stop the server), then its cat, then the starter.
    const shell = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const children = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => {
      try {
        return p !== pid && Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === shell;
      } catch {
        return false;
      }
    });
    process.kill(shell, 'SIGKILL');
    for (const p of children) process.kill(p, 'SIGKILL');
    starter.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(pid)).toBe(true); // left behind

    const server = await startEmbeddedPostgres(dir);
    try {
      expect(await gone(pid, 1000)).toBe(true);
      expect(server.pid).not.toBe(pid);
      const client = new pg.Client(server.connection);
      await client.connect();
      const { rows } = await client.query('SELECT 1 AS one');
      await client.end();
      expect(rows[0].one).toBe(1);
    } finally {
      await server.stop();
    }
    expect(alive(server.pid)).toBe(false);
  });
});
