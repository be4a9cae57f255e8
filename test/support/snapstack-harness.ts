import fs from 'fs';
import os from 'os';
import path from 'path';
import { loadConfig, Config } from '../../src/config';
import { startSnapstack, Snapstack } from '../../src/app';
import { createLogger } from '../../src/logger';
import Docker from 'dockerode';
import { removeInstanceObjects } from '../../src/runtime/docker-engine';
import { testDbConfig } from './test-db-target';

/** Removes every container, volume and image this Snapstack instance made (labels say which). */
export async function purgeDockerObjects(instanceId: string): Promise<void> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  try {
    await docker.ping();
  } catch {
    return;
  }
  await removeInstanceObjects(docker, instanceId);
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface Session {
  token: string;
  projectId: string;
  userId: string;
  /** Relative paths are resolved against the Snapstack URL, e.g. `/compute/v2.1/servers`. */
  request<T = any>(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

export interface Harness {
  app: Snapstack;
  url: string;
  dataDir: string;
  login(user: 'admin' | 'demo' | 'alt_demo'): Promise<Session>;
  request<T = any>(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  stop(): Promise<void>;
}

/** The seeded users' passwords every test Snapstack (in-process or served) is started with. */
export const PASSWORDS: Record<string, string> = { admin: 'admin-secret', demo: 'demo-secret', alt_demo: 'alt-secret' };

export async function request<T = any>(baseUrl: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
  const url = urlPath.startsWith('http') ? urlPath : `${baseUrl}${urlPath}`;
  const init: RequestInit = { method, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || Buffer.isBuffer(body) ? (body as any) : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: any = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The body of `res`, which must have the status `status` (else its status and text are thrown). */
export function ok(res: ApiResponse, status: number): any {
  if (res.status !== status) throw new Error(`${res.status} ${res.text}`);
  return res.body;
}

/** A project-scoped token of `user` (its own project) through the Snapstack at `url`. */
export async function login(url: string, user: string, password = PASSWORDS[user]): Promise<{ token: string; projectId: string; userId: string }> {
  const res = await request(url, 'POST', '/identity/v3/auth/tokens', {
    auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, scope: { project: { name: user, domain: { name: 'Default' } } } },
  });
  if (res.status !== 201) throw new Error(`login ${user} failed: ${res.status} ${res.text}`);
  return { token: res.headers.get('x-subject-token')!, projectId: res.body.token.project.id as string, userId: res.body.token.user.id as string };
}

/** A session whose requests go to the Snapstack at `url` (or the one `url()` names for each request), `{project_id}` in paths filled in. */
export function sessionAt(url: string | (() => string), auth: { token: string; projectId: string; userId: string }): Session {
  const base = typeof url === 'string' ? () => url : url;
  return {
    ...auth,
    request: (method, p, body, headers = {}) => request(base(), method, p.replace('{project_id}', auth.projectId), body, { 'X-Auth-Token': auth.token, ...headers }),
  };
}

/**
 * Starts Snapstack in-process on an ephemeral port against the database target of this jest
 * project (a cloned PostgreSQL database, or a fresh embedded one) and a temp data dir.
 */
export async function startHarness(overrides: Partial<Config> = {}): Promise<Harness> {
  const db = await testDbConfig();
  const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ss-'));
  const config = loadConfig({}, {
    host: '127.0.0.1', port: 0, dataDir, databaseUrl: db.databaseUrl, embeddedDb: db.embeddedDb,
    adminPassword: PASSWORDS.admin, demoPassword: PASSWORDS.demo, altDemoPassword: PASSWORDS.alt_demo,
    ...overrides,
  });
  if (!db.databaseUrl) config.dataDir = overrides.dataDir ?? db.dataDir;
  const app = await startSnapstack(config, { logger: createLogger(process.env.SNAPSTACK_TEST_LOG_LEVEL || 'silent') });
  const url = app.url;
  return {
    app,
    url,
    dataDir: config.dataDir,
    request: (method, p, body, headers) => request(url, method, p, body, headers),
    login: async (user) => sessionAt(url, await login(url, user)),
    async stop() {
      await app.close();
      await purgeDockerObjects(app.instanceId);
      await db.cleanup();
      if (!overrides.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
