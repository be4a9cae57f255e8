import path from 'path';

/** Every setting Snapstack reads, with its environment variable. The README lists them all. */
export interface Config {
  host: string;
  port: number;
  /** What clients are told to use in the catalog and links; defaults to http://host:port. */
  publicUrl: string;
  dataDir: string;
  databaseUrl?: string;
  /** Without databaseUrl: the embedded database; unset = what the data directory holds, else 'postgres'. */
  embeddedDb?: EmbeddedDb;
  tokenTtlSeconds: number;
  adminPassword: string;
  demoPassword: string;
  altDemoPassword: string;
  logLevel: string;
  dockerSocket: string;
  /**
   * 'auto' uses Docker when it answers, 'none' forces plain directories; 'fake' runs servers,
   * volume data and Docker images in memory (units, demos: nothing is kept, nothing runs).
   */
  dockerMode: 'auto' | 'none' | 'fake';
  helperImage: string;
  defaultServerImage: string;
  maxChainDepth: number;
  /** 'pause' (default): a running server is paused while its volumes are captured; 'stopped': createImage needs a stopped server. */
  snapshotConsistency: 'pause' | 'stopped';
  /** 'flavor' (default): flavor disk checked against image min_disk; 'nova': Nova's volume-size rule for volume-backed boots. */
  minDiskRule: 'flavor' | 'nova';
  workspaceDir?: string;
  /** Largest snapshot archive a client may upload (PUT /snapstack/v1/archives/{name}), in bytes. */
  maxUploadBytes: number;
  /** Cinder's default quotas per project (os-quota-sets defaults, GET /limits); -1 is unlimited. */
  volumeQuotas: VolumeQuotaDefaults;
  /** Glance's per-image limits (image_tag_quota, image_property_quota, image_member_quota); -1 is unlimited. */
  imageQuotas: ImageQuotas;
  /** SNAPSTACK_REPLICA=1 with DATABASE_URL: one of several processes on one database and data directory (docs/replicas.md). */
  replica: boolean;
  /** Jobs of each lane one process runs at once; the rest wait queued in the database. */
  jobWorkers: number;
}

/**
 * Jobs of each lane one process runs at once unless told (SNAPSTACK_JOB_WORKERS). A batch of ten
 * boots (issue 15's target) runs in one wave, each build beside its volume's job: with 8, the
 * last two builds waited for the first ones to end. Jobs mostly wait on Docker and the database,
 * so the engine, not this pool, bounds how much runs at once; the pool keeps that finite.
 */
export const DEFAULT_JOB_WORKERS = 16;

/** The embedded databases (SNAPSTACK_DB): PostgreSQL binaries run as a child process, or PGlite in the process. */
export type EmbeddedDb = 'postgres' | 'pglite';

/** Glance's per-image limits; -1 is unlimited. */
export interface ImageQuotas {
  tags: number;
  properties: number;
  members: number;
}

export interface VolumeQuotaDefaults {
  volumes: number;
  snapshots: number;
  gigabytes: number;
  perVolumeGigabytes: number;
  backups: number;
  backupGigabytes: number;
  groups: number;
}

/** An integer of -1 (unlimited) or more: quota limits. */
function quotaEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < -1) throw new Error(`${name} must be an integer of -1 (unlimited) or more, got "${raw}"`);
  return n;
}

/** Every environment variable Snapstack reads (the README and docker-compose.yml are checked against it). */
export const CONFIG_VARIABLES = [
  'SNAPSTACK_HOST', 'SNAPSTACK_PORT', 'SNAPSTACK_PUBLIC_URL', 'SNAPSTACK_DATA_DIR', 'DATABASE_URL', 'SNAPSTACK_DB', 'SNAPSTACK_TOKEN_TTL',
  'SNAPSTACK_ADMIN_PASSWORD', 'SNAPSTACK_DEMO_PASSWORD', 'SNAPSTACK_ALT_DEMO_PASSWORD', 'SNAPSTACK_LOG_LEVEL',
  'SNAPSTACK_DOCKER_SOCKET', 'SNAPSTACK_DOCKER', 'SNAPSTACK_HELPER_IMAGE', 'SNAPSTACK_SERVER_IMAGE',
  'SNAPSTACK_MAX_CHAIN_DEPTH', 'SNAPSTACK_SNAPSHOT_CONSISTENCY', 'SNAPSTACK_MIN_DISK_RULE', 'SNAPSTACK_WORKSPACE_DIR', 'SNAPSTACK_MAX_UPLOAD_BYTES',
  'SNAPSTACK_QUOTA_VOLUMES', 'SNAPSTACK_QUOTA_SNAPSHOTS', 'SNAPSTACK_QUOTA_GIGABYTES', 'SNAPSTACK_QUOTA_PER_VOLUME_GIGABYTES',
  'SNAPSTACK_QUOTA_BACKUPS', 'SNAPSTACK_QUOTA_BACKUP_GIGABYTES', 'SNAPSTACK_QUOTA_GROUPS',
  'SNAPSTACK_IMAGE_TAG_QUOTA', 'SNAPSTACK_IMAGE_PROPERTY_QUOTA', 'SNAPSTACK_IMAGE_MEMBER_QUOTA',
  'SNAPSTACK_REPLICA', 'SNAPSTACK_JOB_WORKERS',
] as const;

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const host = env.SNAPSTACK_HOST || '127.0.0.1';
  const port = intEnv(env, 'SNAPSTACK_PORT', 8700);
  const base: Omit<Config, 'replica' | 'jobWorkers'> = {
    host,
    port,
    publicUrl: (env.SNAPSTACK_PUBLIC_URL || `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(/\/+$/, ''),
    dataDir: path.resolve(env.SNAPSTACK_DATA_DIR || 'data'),
    databaseUrl: env.DATABASE_URL || undefined,
    ...(env.SNAPSTACK_DB ? { embeddedDb: oneOf(env, 'SNAPSTACK_DB', ['postgres', 'pglite'] as const, 'postgres') } : {}),
    tokenTtlSeconds: intEnv(env, 'SNAPSTACK_TOKEN_TTL', 3600),
    adminPassword: env.SNAPSTACK_ADMIN_PASSWORD || 'admin',
    demoPassword: env.SNAPSTACK_DEMO_PASSWORD || 'demo',
    altDemoPassword: env.SNAPSTACK_ALT_DEMO_PASSWORD || 'alt_demo',
    logLevel: env.SNAPSTACK_LOG_LEVEL || 'info',
    dockerSocket: env.SNAPSTACK_DOCKER_SOCKET || '/var/run/docker.sock',
    dockerMode: oneOf(env, 'SNAPSTACK_DOCKER', ['auto', 'none', 'fake'] as const, 'auto'),
    helperImage: env.SNAPSTACK_HELPER_IMAGE || 'snapstack/busybox:latest',
    defaultServerImage: env.SNAPSTACK_SERVER_IMAGE || 'snapstack/busybox:latest',
    maxChainDepth: intEnv(env, 'SNAPSTACK_MAX_CHAIN_DEPTH', 16),
    snapshotConsistency: oneOf(env, 'SNAPSTACK_SNAPSHOT_CONSISTENCY', ['pause', 'stopped'] as const, 'pause'),
    minDiskRule: oneOf(env, 'SNAPSTACK_MIN_DISK_RULE', ['flavor', 'nova'] as const, 'flavor'),
    workspaceDir: env.SNAPSTACK_WORKSPACE_DIR || undefined,
    maxUploadBytes: intEnv(env, 'SNAPSTACK_MAX_UPLOAD_BYTES', 64 * 1024 ** 3),
    volumeQuotas: {
      volumes: quotaEnv(env, 'SNAPSTACK_QUOTA_VOLUMES', 10),
      snapshots: quotaEnv(env, 'SNAPSTACK_QUOTA_SNAPSHOTS', 10),
      gigabytes: quotaEnv(env, 'SNAPSTACK_QUOTA_GIGABYTES', 1000),
      perVolumeGigabytes: quotaEnv(env, 'SNAPSTACK_QUOTA_PER_VOLUME_GIGABYTES', -1),
      backups: quotaEnv(env, 'SNAPSTACK_QUOTA_BACKUPS', 10),
      backupGigabytes: quotaEnv(env, 'SNAPSTACK_QUOTA_BACKUP_GIGABYTES', 1000),
      groups: quotaEnv(env, 'SNAPSTACK_QUOTA_GROUPS', 10),
    },
    imageQuotas: {
      tags: quotaEnv(env, 'SNAPSTACK_IMAGE_TAG_QUOTA', 128),
      properties: quotaEnv(env, 'SNAPSTACK_IMAGE_PROPERTY_QUOTA', 128),
      members: quotaEnv(env, 'SNAPSTACK_IMAGE_MEMBER_QUOTA', 128),
    },
  };
  const replica = oneOf(env, 'SNAPSTACK_REPLICA', ['0', '1'] as const, '0') === '1';
  if (replica && !base.databaseUrl) throw new Error('SNAPSTACK_REPLICA=1 needs DATABASE_URL: replicas share one PostgreSQL server (the embedded database serves one process)');
  const jobWorkers = intEnv(env, 'SNAPSTACK_JOB_WORKERS', DEFAULT_JOB_WORKERS);
  if (jobWorkers < 1) throw new Error('SNAPSTACK_JOB_WORKERS must be 1 or more');
  return { ...base, replica, jobWorkers, ...overrides };
}
