// docker-compose.yml as a user runs it (Debian's docker-compose, or the compose plugin): a unique
// project name and a random port, the image built from this checkout (snapstack-image.ts), up,
// healthy by the image's own check, a token from the real `openstack` client through the
// published port, the catalog on that same port; down, and nothing left.
import { execFile, spawnSync } from 'child_process';
import Docker from 'dockerode';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { pollUntil, randomName } from '../support/compute-helpers';
import { openstackJson } from '../support/openstack-cli';
import { snapstackTestImage } from '../support/snapstack-image';

const ROOT = path.resolve(__dirname, '..', '..');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** `docker compose` when the plugin is there, else Debian's `docker-compose`. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  throw new Error('neither `docker compose` nor `docker-compose` is installed (.ci/run installs docker-compose)');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const project = randomName('ss-compose').toLowerCase().replace(/[^a-z0-9]/g, '');
const dirs: string[] = [];
let env: NodeJS.ProcessEnv;
let compose: string[];

function run(args: string[]): Promise<string> {
  const [cmd, ...pre] = compose;
  return new Promise((resolve, reject) => {
    execFile(cmd, [...pre, '--project-name', project, '--file', path.join(ROOT, 'docker-compose.yml'), ...args], { cwd: ROOT, env, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${compose.join(' ')} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout.toString());
    });
  });
}

beforeAll(async () => {
  compose = composeCommand();
  const image = await snapstackTestImage();
  const tmp = () => {
    const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ss-compose-')));
    dirs.push(d);
    return d;
  };
  env = {
    PATH: process.env.PATH, HOME: process.env.HOME,
    SNAPSTACK_IMAGE: image, SNAPSTACK_PORT: String(await freePort()), SNAPSTACK_DATA_DIR: tmp(), SNAPSTACK_WORKSPACE_DIR: tmp(),
    SNAPSTACK_DEMO_PASSWORD: 'demo-secret',
  };
}, 20 * 60_000);

afterAll(async () => {
  if (compose) await run(['down', '--volumes', '--remove-orphans']).catch((err) => process.stderr.write(`${err}\n`));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}, 120_000);

test('docker-compose.yml: up on a chosen port, healthy, a token through it, catalog on that port, down leaves nothing', async () => {
  const port = env.SNAPSTACK_PORT!;
  await run(['up', '--detach', '--no-build']);
  const id = (await run(['ps', '--quiet', 'snapstack'])).trim();
  expect(id).toMatch(/^[0-9a-f]{12,}$/);
  const healthy = await pollUntil(() => docker.getContainer(id).inspect(), (c) => c.State.Health?.Status === 'healthy' || !c.State.Running, 150_000, 'healthy');
  expect(healthy.State.Health?.Status).toBe('healthy');
  expect(healthy.HostConfig.PortBindings).toEqual({ [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: port }] });
  expect(healthy.Config.Env).toContain('SNAPSTACK_WORKSPACE_DIR=/workspace');

  const url = `http://127.0.0.1:${port}`;
  const token = await openstackJson(url, { name: 'demo', password: 'demo-secret', project: 'demo' }, ['token', 'issue']);
  expect(token.project_id).toMatch(/^[0-9a-f]{32}$/);
  const auth = await fetch(`${url}/identity/v3/auth/tokens`, { headers: { 'X-Auth-Token': token.id, 'X-Subject-Token': token.id } });
  const catalog = ((await auth.json()) as { token: { catalog: { endpoints: { url: string }[] }[] } }).token.catalog;
  const urls = catalog.flatMap((s) => s.endpoints.map((e) => e.url));
  expect(urls.length).toBeGreaterThan(0);
  for (const u of urls) expect(u.startsWith(`${url}/`)).toBe(true);

  await run(['down', '--volumes', '--remove-orphans']);
  const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
  expect(left).toEqual([]);
}, 10 * 60_000);
