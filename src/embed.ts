/**
 * Snapstack inside another project's tests: `startSnapstack()` from the package starts one on
 * an ephemeral port and a throwaway data directory and hands back what a client needs.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startSnapstack as startApp, Snapstack } from './app';
import { loadConfig } from './config';
import { createLogger } from './logger';
import type { ResetReport } from './snapstack/instance-reset';
import type { FaultRules } from './faults/fault-rules';
import { clientAccess, type Credentials, type SeededUser } from './testing/client-access';

export interface SnapstackOptions {
  /** Listen port; default 0 (an ephemeral one, see `url`). */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Data directory (embedded database, volume layers); default a new temporary one. */
  dataDir?: string;
  /** A PostgreSQL server instead of the embedded database. */
  databaseUrl?: string;
  /** Which embedded database without databaseUrl (SNAPSTACK_DB): 'postgres' (default, a child process) or 'pglite'. */
  embeddedDb?: 'postgres' | 'pglite';
  /**
   * stop() removes everything the instance made: its Docker containers, volumes and images, its
   * rows and its data directory. Default: true when no dataDir is given.
   */
  ephemeral?: boolean;
  /** Passwords of the seeded users (first start of a data directory); defaults admin, demo, alt_demo. */
  passwords?: { admin?: string; demo?: string; altDemo?: string };
  /** 'auto' (default) uses the Docker engine when it answers; 'none' plain directories. */
  docker?: 'auto' | 'none';
  /** pino level; default 'warn'. */
  logLevel?: string;
  /** Other SNAPSTACK_* settings, read as the server reads its environment; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export type { Credentials, SeededUser } from './testing/client-access';
export { CLOUD_NAMES } from './testing/client-access';

export interface RunningSnapstack {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Keystone v3, what OS_AUTH_URL is set to. */
  authUrl: string;
  instanceId: string;
  dataDir: string;
  ephemeral: boolean;
  credentials: Record<SeededUser, Credentials>;
  /** The OS_* variables of the `openstack` client for a seeded user (default demo). */
  env(user?: SeededUser): Record<string, string>;
  /** clouds.yaml text: clouds `snapstack` (demo), `snapstack-admin` and `snapstack-alt-demo`. */
  cloudsYaml(): string;
  /** Writes clouds.yaml to `file` (default <dataDir>/clouds.yaml); returns its path (OS_CLIENT_CONFIG_FILE). */
  writeCloudsYaml(file?: string): string;
  /** Fault injection and pace rules (as /snapstack/v1/faults; in the database): add, list, get, remove, clear, each a promise. */
  faults: Pick<FaultRules, 'add' | 'list' | 'get' | 'remove' | 'clear'>;
  /** Back to the seeded state (as POST /snapstack/v1/reset): every resource and Docker object it made goes. */
  reset(): Promise<ResetReport>;
  /** Stops the server; an ephemeral instance also removes everything it made. */
  stop(): Promise<void>;
}

/** Starts a Snapstack in this process; for jest/vitest global setup, or any script. */
export async function startSnapstack(options: SnapstackOptions = {}): Promise<RunningSnapstack> {
  const ephemeral = options.ephemeral ?? !options.dataDir;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-'));
  const passwords = { admin: 'admin', demo: 'demo', altDemo: 'alt_demo', ...options.passwords };
  const config = loadConfig(options.env ?? process.env, {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    dataDir: path.resolve(dataDir),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.embeddedDb ? { embeddedDb: options.embeddedDb } : {}),
    ...(options.docker ? { dockerMode: options.docker } : {}),
    adminPassword: passwords.admin,
    demoPassword: passwords.demo,
    altDemoPassword: passwords.altDemo,
  });
  if (config.port === 0) config.publicUrl = `http://${config.host}:0`;
  let app: Snapstack;
  try {
    app = await startApp(config, { ephemeral, logger: createLogger(options.logLevel ?? 'warn') });
  } catch (err) {
    if (ephemeral && !options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const access = clientAccess(app.url, passwords);
  return {
    url: app.url,
    authUrl: access.authUrl,
    instanceId: app.instanceId,
    dataDir: config.dataDir,
    ephemeral,
    credentials: access.credentials,
    env: access.env,
    cloudsYaml: access.cloudsYaml,
    writeCloudsYaml: (file = path.join(config.dataDir, 'clouds.yaml')) => access.writeCloudsYaml(file),
    faults: app.faults,
    reset: () => app.reset.reset(),
    stop: () => app.close(),
  };
}
