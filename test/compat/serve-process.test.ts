import { spawn, ChildProcess } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { openstackJson, CLI_USERS } from '../support/openstack-cli';

const root = path.resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

interface Served { child: ChildProcess; url: string; logs: () => string; exited: Promise<number | null> }

/** `snapstack serve` as a user starts it: the built bin, configuration from the environment only. */
async function serve(env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'bin', 'snapstack.js'), 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, SNAPSTACK_PORT: String(port), SNAPSTACK_DOCKER: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/snapstack/v1/health`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`snapstack exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`snapstack did not answer in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, logs: () => out, exited };
}

describe('snapstack serve, as a process', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-serve-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('serves with nothing but a data dir (embedded PostgreSQL), keeps state across a restart, and stops cleanly on SIGTERM', async () => {
    const first = await serve({ SNAPSTACK_DATA_DIR: dataDir, SNAPSTACK_DEMO_PASSWORD: 'demo-secret' });
    const health = (await (await fetch(`${first.url}/snapstack/v1/health`)).json()) as { database: string };
    expect(health.database).toBe('embedded PostgreSQL');
    const token = await openstackJson(first.url, CLI_USERS.demo, ['token', 'issue']);
    expect(token.project_id).toMatch(/^[0-9a-f]{32}$/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.logs()).toContain('"msg":"snapstack stopped"');
    // one structured line per request, with its request id
    const line = first.logs().split('\n').find((l) => l.includes('"path":"/identity/v3/auth/tokens"'));
    expect(JSON.parse(line!)).toMatchObject({ method: 'POST', status: 201, request_id: expect.stringMatching(/^req-/), duration_ms: expect.any(Number) });

    const second = await serve({ SNAPSTACK_DATA_DIR: dataDir, SNAPSTACK_DEMO_PASSWORD: 'changed-later-is-ignored' });
    try {
      // the token issued before the restart is still valid
      const res = await fetch(`${second.url}/identity/v3/auth/projects`, { headers: { 'X-Auth-Token': token.id } });
      expect(res.status).toBe(200);
      // and the seeded password is the one from the first start
      const again = await openstackJson(second.url, CLI_USERS.demo, ['token', 'issue']);
      expect(again.project_id).toBe(token.project_id);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });

  it('prints its version and refuses unknown commands', async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(process.execPath, [path.join(root, 'bin', 'snapstack.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { out += d; });
      c.on('exit', (code) => resolve({ code, out }));
    });
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^snapstack \d+\.\d+\.\d+/);
    const bad = await run(['frobnicate']);
    expect(bad.code).not.toBe(0);
  });
});
