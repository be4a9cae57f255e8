/**
 * What the benchmarks share: a Snapstack started in-process on a throwaway data directory,
 * an HTTP client logged in as demo, helper containers, medians and tables.
 */
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { randomUUID } from 'crypto';
import Docker from 'dockerode';
import type { Knex } from 'knex';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startSnapstack, Snapstack } from '../src/app';
import { removeInstanceObjects } from '../src/runtime/docker-engine';

export const MiB = 1024 * 1024;
/** Password of the seeded admin, demo and alt_demo users in benchmark runs. */
export const DEMO_PASSWORD = 'bench-demo-secret';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const now = () => performance.now();
export const fmtMs = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(1)} ms`);

export const COMPUTE = '/compute/v2.1';
/** Nova microversion headers the server benchmarks send. */
export const MV = { 'OpenStack-API-Version': 'compute 2.45', 'X-OpenStack-Nova-API-Version': '2.45' };

/**
 * The benchmarks' client: node:http on kept-alive sockets. It shares Snapstack's process and its
 * two cores, standing in for clients that run elsewhere, so it should cost little: `fetch` (undici)
 * cost this process ~0.4-0.5 ms of CPU more per request than the request itself (~0.7 ms).
 */
const agent = new http.Agent({ keepAlive: true });

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export class Api {
  constructor(private readonly base: string, private token = '', readonly projectId = '') {}

  static async login(base: string, user: 'admin' | 'demo' | 'alt_demo' = 'demo'): Promise<Api> {
    const res = await send(`${base}/identity/v3/auth/tokens`, 'POST', { 'Content-Type': 'application/json' }, JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password: DEMO_PASSWORD } } },
        scope: { project: { name: user, domain: { name: 'Default' } } },
      },
    }));
    if (res.status !== 201) throw new Error(`login: ${res.status} ${res.text}`);
    return new Api(base, String(res.headers['x-subject-token']), JSON.parse(res.text).token.project.id);
  }

  /** Any service: `p` starts at the service prefix, e.g. /compute/v2.1/servers. */
  async request(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const go = () => send(`${this.base}${p}`, method, {
      'X-Auth-Token': this.token, 'Content-Type': 'application/json', Accept: 'application/json', ...headers,
    }, body === undefined ? undefined : JSON.stringify(body));
    // A kept-alive socket the server closed just then (a busy machine): a GET is safe to send again.
    const res = await go().catch((err) => (method === 'GET' && err?.code === 'ECONNRESET' ? go() : Promise.reject(err)));
    return { status: res.status, body: res.text ? JSON.parse(res.text) : undefined };
  }

  /** Cinder, in the demo project. */
  call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    return this.request(method, `/volume/v3/${this.projectId}${p}`, body);
  }

  /** POST, then GET every `pollMs` (default: as fast as a client may poll), until `available`: the time a user waits. */
  async createAndWait(kind: 'volumes' | 'snapshots', body: unknown, pollMs = 2): Promise<{ id: string; ms: number }> {
    const key = kind === 'volumes' ? 'volume' : 'snapshot';
    const started = now();
    const created = await this.call('POST', `/${kind}`, body);
    if (created.status !== 202) throw new Error(`create ${key}: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body[key].id;
    for (;;) {
      const got = await this.call('GET', `/${kind}/${id}`);
      const status = got.body?.[key]?.status;
      if (status === 'available') return { id, ms: now() - started };
      if (!status || status.startsWith('error')) throw new Error(`${key} ${id}: ${JSON.stringify(got.body)}`);
      await sleep(pollMs);
    }
  }

  /** Deletes every volume of the project (with its snapshots) and waits until none is left. */
  async purgeVolumes(): Promise<void> {
    const list = await this.call('GET', '/volumes/detail');
    for (const v of list.body.volumes) await this.call('DELETE', `/volumes/${v.id}?cascade=True`);
    for (;;) {
      const left = await this.call('GET', '/volumes');
      if (left.body.volumes.length === 0) return;
      await sleep(50);
    }
  }
}

/** Runs `script` in a throwaway container of `image` with `binds`; its output, or an error. */
export async function runContainer(docker: Docker, image: string, instanceId: string, binds: string[], script: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image, Cmd: ['sh', '-c', script], Tty: true,
    Labels: { 'snapstack.managed': 'true', 'snapstack.instance': instanceId, 'snapstack.role': 'bench' },
    HostConfig: { Binds: binds },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const out = (await c.logs({ stdout: true, stderr: true })).toString();
    if (StatusCode !== 0) throw new Error(`container exited ${StatusCode}: ${out}`);
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

/** Runs `script` inside a running container (docker exec); its output, or an error. */
export async function execIn(docker: Docker, containerId: string, script: string): Promise<string> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['/bin/sh', '-c', script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.demuxStream(stream, { write: (c: Buffer) => out.push(c) } as any, { write: (c: Buffer) => out.push(c) } as any);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const text = Buffer.concat(out).toString('utf8');
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`exec exited ${ExitCode}: ${text}`);
  return text;
}

export interface BenchEnv {
  app: Snapstack;
  api: Api;
  docker: Docker;
  /** Scratch directory (data dir inside), removed at the end. */
  work: string;
}

/**
 * A new scratch directory under the system's temporary folder. The embedded PostgreSQL runs as
 * postgres when we are root: it must pass through (not read) the directory to its data below.
 */
export function scratchDir(name: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `snapstack-${name}-`));
  fs.chmodSync(work, 0o711);
  return work;
}

/**
 * Starts Snapstack (copy-on-write driver required, no quotas), logs in as demo, runs `body`,
 * then removes everything: the app, its containers and volumes, the scratch directory.
 */
export async function withSnapstack(name: string, body: (env: BenchEnv) => Promise<void>): Promise<void> {
  const work = scratchDir(name);
  const config = loadConfig(process.env, {
    host: '127.0.0.1', port: 0, dataDir: path.join(work, 'data'), adminPassword: DEMO_PASSWORD, demoPassword: DEMO_PASSWORD, altDemoPassword: DEMO_PASSWORD,
    volumeQuotas: { ...loadConfig(process.env).volumeQuotas, volumes: -1, snapshots: -1, gigabytes: -1 },
  });
  const app = await startSnapstack(config, { logger: createLogger(process.env.SNAPSTACK_LOG_LEVEL || 'warn') });
  const docker = new Docker({ socketPath: config.dockerSocket });
  try {
    if (app.volume.driverKind !== 'overlay-docker') throw new Error(`needs Docker (the copy-on-write driver); got ${app.volume.driverKind}`);
    const api = await Api.login(app.url);
    console.log(`Snapstack at ${app.url}, data in ${config.dataDir}`);
    await body({ app, api, docker, work });
  } finally {
    await app.close();
    await removeInstanceObjects(docker, app.instanceId);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Compute (servers) through the API. */
export async function serverStatus(api: Api, id: string): Promise<any> {
  return (await api.request('GET', `${COMPUTE}/servers/${id}`, undefined, MV)).body?.server;
}

/** POST, then GET every `pollMs` (default: as fast as a client may poll), until ACTIVE: the time a user waits. */
export async function bootAndWait(api: Api, body: Record<string, unknown>, pollMs = 2): Promise<{ id: string; ms: number }> {
  const started = now();
  const res = await api.request('POST', `${COMPUTE}/servers`, { server: { networks: 'none', ...body } }, MV);
  if (res.status !== 202) throw new Error(`server create: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.server.id;
  for (;;) {
    const s = await serverStatus(api, id);
    if (s?.status === 'ACTIVE') return { id, ms: now() - started };
    if (!s || s.status === 'ERROR') throw new Error(`server ${id}: ${JSON.stringify(s?.fault ?? s)}`);
    await sleep(pollMs);
  }
}

/** The server, then its volumes (delete_on_termination is false, Nova's default). */
export async function deleteAndWait(api: Api, id: string, volumeIds: string[]): Promise<void> {
  await api.request('DELETE', `${COMPUTE}/servers/${id}`);
  for (const v of volumeIds) {
    while ((await api.call('GET', `/volumes/${v}`)).body.volume.status !== 'available') await sleep(20);
    await api.call('DELETE', `/volumes/${v}`);
  }
  for (const v of volumeIds) {
    while ((await api.call('GET', `/volumes/${v}`)).status !== 404) await sleep(20);
  }
}

export const containerOf = async (docker: Docker, app: Snapstack, serverId: string) =>
  (await docker.listContainers({ filters: JSON.stringify({ label: [`snapstack.instance=${app.instanceId}`, `snapstack.server=${serverId}`] }) }))[0];

const stampAt = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000);

/** How many rows of each kind seedRows inserts. */
export interface RowCounts { images: number; volumes: number; snapshots: number; servers: number }

/**
 * Rows straight into the tables for one project (listing needs no containers): `n.images`
 * images img-<i> (every tenth shared), volumes vol-<i>, snapshots snap-<i> of them, servers
 * srv-<i> (ACTIVE, no container), created one second apart; then ANALYZE.
 */
export async function seedRows(db: Knex, projectId: string, userId: string, n: RowCounts): Promise<void> {
  const images = Array.from({ length: n.images }, (_, i) => ({
    id: randomUUID(), name: `img-${i}`, status: 'active', visibility: i % 10 === 0 ? 'shared' : 'private', owner: projectId,
    size: 1024 * (i % 97), disk_format: 'raw', container_format: 'bare', properties: JSON.stringify({ hw_disk_bus: 'virtio' }),
    created_at: stampAt(i), updated_at: stampAt(i),
  }));
  const volumes = Array.from({ length: n.volumes }, (_, i) => ({
    id: randomUUID(), project_id: projectId, user_id: userId, name: `vol-${i}`, size: 1, status: 'available',
    volume_type: '__DEFAULT__', availability_zone: 'nova', metadata: '{}', created_at: stampAt(i), updated_at: stampAt(i),
  }));
  const snapshots = Array.from({ length: n.snapshots }, (_, i) => ({
    id: randomUUID(), project_id: projectId, user_id: userId, volume_id: volumes[i % volumes.length].id, name: `snap-${i}`, size: 1,
    status: 'available', metadata: '{}', created_at: stampAt(i), updated_at: stampAt(i),
  }));
  const flavor = JSON.stringify({ id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, ephemeral: 0, swap: 0, extra_specs: {} });
  const servers = Array.from({ length: n.servers }, (_, i) => ({
    id: randomUUID(), project_id: projectId, user_id: userId, name: `srv-${i}`, image_ref: images[0].id, flavor_id: '1', flavor,
    vm_state: 'active', power_state: 1, networks: 'none', ip_address: `10.0.${i >> 8}.${i & 255}`, created_at: stampAt(i), updated_at: stampAt(i),
  }));
  await db.batchInsert('images', images, 500);
  await db.batchInsert('volumes', volumes, 500);
  await db.batchInsert('snapshots', snapshots, 500);
  await db.batchInsert('servers', servers, 500);
  await db.raw('analyze');
}

/** A markdown table, columns padded. */
export function printTable(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}

export function runMain(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
