// jest globalSetup for the projects that need services (integration-*, compat).
// PostgreSQL: TEST_DATABASE_URL's server, or a throwaway cluster; one template
// database migrated once. Docker: must answer under CI. A missing service in
// CI is a failure, never a skip.
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { createKnex, migrateLatest } from '../../src/db/database';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster';
import {
  ADMIN_URL_ENV,
  RUN_ID_ENV,
  TEMPLATE_DATABASE,
  databaseUrl,
  quoteIdent,
  withAdminClient,
} from './test-database';

/** Built from the host's busybox by scripts/build-base-image.sh (no registry needed). */
export const BASE_IMAGE = process.env.SNAPSTACK_BASE_IMAGE || 'snapstack/busybox:latest';

/** What globalTeardown needs; both hooks run in jest's main process. */
export interface GlobalTestState {
  cluster?: PostgresCluster;
  adminUrl: string;
  runId: string;
}

const STATE_KEY = Symbol.for('snapstack.test.globalState');

export function globalTestState(): GlobalTestState | undefined {
  return (globalThis as Record<symbol, GlobalTestState | undefined>)[STATE_KEY];
}

function setGlobalTestState(state: GlobalTestState | undefined): void {
  (globalThis as Record<symbol, GlobalTestState | undefined>)[STATE_KEY] = state;
}

const isCI = () => process.env.CI === 'true' || process.env.CI === '1';

function log(msg: string): void {
  process.stderr.write(`[test setup] ${msg}\n`);
}

/** Drops (if left by an earlier run) and re-creates the template, then migrates it once. */
async function prepareTemplate(admin: string): Promise<void> {
  await withAdminClient(admin, async (client) => {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE_DATABASE]);
    if (existing.rowCount) {
      await client.query(`ALTER DATABASE ${quoteIdent(TEMPLATE_DATABASE)} WITH IS_TEMPLATE false`);
      await client.query(`DROP DATABASE ${quoteIdent(TEMPLATE_DATABASE)} WITH (FORCE)`);
    }
    await client.query(`CREATE DATABASE ${quoteIdent(TEMPLATE_DATABASE)} TEMPLATE template0 ENCODING 'UTF8'`);
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-template-'));
  const knex = await createKnex({ databaseUrl: databaseUrl(admin, TEMPLATE_DATABASE), dataDir });
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  // No one may connect to it any more: a connection would block every clone.
  await withAdminClient(admin, (client) =>
    client.query(`ALTER DATABASE ${quoteIdent(TEMPLATE_DATABASE)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
  );
}

function dockerSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return process.env.SNAPSTACK_DOCKER_SOCKET || '/var/run/docker.sock';
}

/** GET on the engine's socket: the HTTP status, or undefined when nothing answers. */
function dockerGet(socketPath: string, urlPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: urlPath, method: 'GET', timeout: 5000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function checkDocker(): Promise<void> {
  const socket = dockerSocketPath();
  const ping = await dockerGet(socket, '/_ping');
  if (ping !== 200) {
    const msg = `the Docker engine does not answer on ${socket} (ping: ${ping ?? 'no answer'})`;
    if (isCI()) throw new Error(`${msg}; CI needs it (.ci/run starts dockerd)`);
    log(`WARNING: ${msg}; tests that need Docker will fail`);
    return;
  }
  const image = await dockerGet(socket, `/images/${encodeURIComponent(BASE_IMAGE)}/json`);
  if (image === 200) return;
  log(`${BASE_IMAGE} is missing: running scripts/build-base-image.sh`);
  const script = path.resolve(__dirname, '../../scripts/build-base-image.sh');
  const built = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0) {
    const msg = `scripts/build-base-image.sh failed (exit ${built.status ?? built.signal})`;
    if (isCI()) throw new Error(msg);
    log(`WARNING: ${msg}; tests that start servers will fail`);
  }
}

async function startDatabase(): Promise<GlobalTestState> {
  const runId = randomBytes(4).toString('hex');
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    log(`PostgreSQL: TEST_DATABASE_URL (${new URL(external).host})`);
    return { adminUrl: external, runId };
  }
  const t0 = Date.now();
  // Throws with a clear message when initdb is missing: CI or not, no database is a failure.
  const cluster = await startPostgresCluster();
  log(`PostgreSQL: throwaway cluster on 127.0.0.1:${cluster.port} (${Date.now() - t0} ms)`);
  return { cluster, adminUrl: cluster.url, runId };
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const state = await startDatabase();
  setGlobalTestState(state);
  try {
    await prepareTemplate(state.adminUrl);
    await checkDocker();
  } catch (err) {
    // jest does not run globalTeardown when globalSetup throws.
    await state.cluster?.stop();
    setGlobalTestState(undefined);
    throw err;
  }
  process.env[ADMIN_URL_ENV] = state.adminUrl;
  process.env[RUN_ID_ENV] = state.runId;
  log(`ready in ${Date.now() - t0} ms`);
}
