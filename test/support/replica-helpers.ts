// Fixtures of the replicas tests (test/integration/replicas/): the database replicas share, served
// replicas (`snapstack serve` children), job runners as replicas, their logs and the locks they wait for.
import fs from 'fs';
import os from 'os';
import path from 'path';
import knex, { type Knex } from 'knex';
import { createKnex, migrateLatest } from '../../src/db/database';
import { JobRunner } from '../../src/jobs/job-runner';
import { ReplicaRegistry } from '../../src/jobs/replicas';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testDbConfig, type TestDbConfig } from './test-db-target';
import { serveChild, type ServedChild } from './serve-child';
import { PASSWORDS, purgeDockerObjects } from './snapstack-harness';

/** The JSON lines of a served child's output. */
export function logLines(out: string): Array<Record<string, any>> {
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return {};
    }
  });
}

export type ReplicaDatabase = TestDbConfig & { databaseUrl: string };

/** This test's own PostgreSQL database (replicas share one server; the embedded database serves one process). */
export async function replicaDatabase(): Promise<ReplicaDatabase> {
  const cfg = await testDbConfig();
  if (!cfg.databaseUrl) {
    await cfg.cleanup();
    throw new Error('replicas need PostgreSQL (integration-pg)');
  }
  return { ...cfg, databaseUrl: cfg.databaseUrl };
}

/** The namespace of the volume data's advisory locks in a replica (src/app.ts). */
export const VOLUME_DATA_LOCKS = 'snapstack:volume-data:';

/** How many sessions hold (`granted`) or wait for the advisory lock `key` (namespace included) in PostgreSQL. */
export async function advisoryLockSessions(db: Knex, key: string, granted: boolean): Promise<number> {
  const res = await db.raw(
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted = ?
        AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(?, 0)`,
    [granted, key],
  );
  return res.rows.length;
}

/** What a fixture's `setup()` made (it throws before then). */
function setUp<T>(made: T | undefined): T {
  if (made === undefined) throw new Error('call the fixture\'s setup() first (in beforeAll)');
  return made;
}

/**
 * `snapstack serve` replicas (SNAPSTACK_REPLICA=1) as users start them: one cloned PostgreSQL
 * database, one data directory, the Docker engine. `teardown` kills every child, removes the
 * Docker objects of their instance, drops the database and removes the directory.
 */
export class ServedReplicas {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-replicas-'));
  /** Every child `serve` started, in order (killed ones too). */
  readonly children: ServedChild[] = [];
  private database?: TestDatabase;
  private knex?: Knex;

  async setup(): Promise<void> {
    this.database = await createTestDatabase();
    this.knex = knex({ client: 'pg', connection: this.database.url, pool: { min: 0, max: 2 } });
  }

  get databaseUrl(): string {
    return setUp(this.database).url;
  }

  /** The replicas' database, read directly (jobs, rules, pg_locks). */
  get db(): Knex {
    return setUp(this.knex);
  }

  /** The instance the replicas serve (all of them one). */
  get instanceId(): string {
    return String(this.children[0]?.listening.instance_id ?? '');
  }

  /** A replica's environment: the shared database and data directory, the test passwords, info logs; then `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      SNAPSTACK_DATA_DIR: this.dataDir, DATABASE_URL: this.databaseUrl, SNAPSTACK_REPLICA: '1', SNAPSTACK_LOG_LEVEL: 'info',
      SNAPSTACK_DEMO_PASSWORD: PASSWORDS.demo, SNAPSTACK_ADMIN_PASSWORD: PASSWORDS.admin, ...extra,
    };
  }

  /** Starts one more replica (`env(extra)`) and waits until it answers. */
  async serve(extra: Record<string, string> = {}): Promise<ServedChild> {
    const child = await serveChild(this.env(extra));
    this.children.push(child);
    return child;
  }

  async teardown(): Promise<void> {
    for (const r of this.children) r.child.kill('SIGKILL');
    await Promise.all(this.children.map((r) => r.exited));
    await this.knex?.destroy();
    if (this.instanceId) await purgeDockerObjects(this.instanceId);
    await this.database?.drop().catch(() => undefined);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A replica at the job runner's level: its own pool, registry and runner, as a separate process has. */
export interface RunnerReplica {
  name: string;
  runner: JobRunner;
  replicas: ReplicaRegistry;
}

/**
 * Job runners as replicas on one migrated PostgreSQL database (heartbeat 100 ms, TTL 600 ms,
 * three workers polling every 100 ms). `teardown` stops them (last first) and drops the database.
 */
export class RunnerReplicas {
  readonly log = createLogger('silent');
  private cfg?: ReplicaDatabase;
  private knex?: Knex;
  private readonly stops: Array<() => Promise<void>> = [];

  async setup(): Promise<void> {
    this.cfg = await replicaDatabase();
    this.knex = await createKnex(this.cfg);
    await migrateLatest(this.knex);
  }

  get databaseUrl(): string {
    return setUp(this.cfg).databaseUrl;
  }

  /** The database, read directly. */
  get db(): Knex {
    return setUp(this.knex);
  }

  /** Runs `stop` at teardown, before the replicas started so far stop. */
  onTeardown(...stops: Array<() => Promise<void>>): void {
    this.stops.push(...stops);
  }

  /** Starts a replica whose runner `register` gives its kinds of job. */
  async start(name: string, register: (runner: JobRunner) => void, opts: { resetTimeoutMs?: number } = {}): Promise<RunnerReplica> {
    const own = await createKnex(setUp(this.cfg));
    const replicas = new ReplicaRegistry(own, this.log, { heartbeatMs: 100, ttlMs: 600 });
    const runner = new JobRunner(own, this.log, {}, { replicas, workers: 3, pollMs: 100, ...opts });
    register(runner);
    await replicas.start();
    await runner.recover();
    this.stops.push(async () => {
      await runner.drain(2_000);
      await own.destroy();
    });
    return { name, runner, replicas };
  }

  async teardown(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop();
    await this.knex?.destroy();
    await this.cfg?.cleanup();
  }
}
