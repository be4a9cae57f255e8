/**
 * Snapstack inside another project's tests: `startSnapstack()` from the package starts one on
 * an ephemeral port and a throwaway data directory and hands back what a client needs.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'js-yaml';
import { startSnapstack as startApp, Snapstack } from './app';
import { loadConfig } from './config';
import { createLogger } from './logger';

export interface SnapstackOptions {
  /** Listen port; default 0 (an ephemeral one, see `url`). */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Data directory (embedded database, volume layers); default a new temporary one. */
  dataDir?: string;
  /** A PostgreSQL server instead of embedded PGlite. */
  databaseUrl?: string;
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

export type SeededUser = 'admin' | 'demo' | 'alt_demo';

export interface Credentials {
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

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
  /** Stops the server; an ephemeral instance also removes everything it made. */
  stop(): Promise<void>;
}

export const CLOUD_NAMES: Record<SeededUser, string> = { demo: 'snapstack', admin: 'snapstack-admin', alt_demo: 'snapstack-alt-demo' };

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
  const user = (name: SeededUser, password: string): Credentials => ({
    username: name, password, projectName: name, userDomainName: 'Default', projectDomainName: 'Default',
  });
  const credentials: Record<SeededUser, Credentials> = {
    admin: user('admin', passwords.admin), demo: user('demo', passwords.demo), alt_demo: user('alt_demo', passwords.altDemo),
  };
  const authUrl = `${app.url}/identity/v3`;
  const cloudsYaml = () => yaml.dump({
    clouds: Object.fromEntries((Object.keys(CLOUD_NAMES) as SeededUser[]).map((u) => [CLOUD_NAMES[u], {
      auth: {
        auth_url: authUrl, username: credentials[u].username, password: credentials[u].password, project_name: credentials[u].projectName,
        user_domain_name: 'Default', project_domain_name: 'Default',
      },
      region_name: 'RegionOne', identity_api_version: 3, interface: 'public',
    }])),
  });
  return {
    url: app.url,
    authUrl,
    instanceId: app.instanceId,
    dataDir: config.dataDir,
    ephemeral,
    credentials,
    env: (u = 'demo') => ({
      OS_AUTH_URL: authUrl, OS_USERNAME: credentials[u].username, OS_PASSWORD: credentials[u].password, OS_PROJECT_NAME: credentials[u].projectName,
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3', OS_REGION_NAME: 'RegionOne',
    }),
    cloudsYaml,
    writeCloudsYaml(file = path.join(config.dataDir, 'clouds.yaml')) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, cloudsYaml(), { mode: 0o600 });
      return file;
    },
    stop: () => app.close(),
  };
}
