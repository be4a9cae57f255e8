import fs from 'fs';
import path from 'path';
import knexFactory, { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import { migrations } from '../../migrations';
import type { EmbeddedDb } from '../config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { PG_TYPES } from './pg-type-parsers';
import { installResultShapes } from './pg-result-shapes';
import { copyPgliteTemplate, templateDir } from './pglite-template';

export interface DatabaseConfig {
  /** PostgreSQL server; when absent, an embedded database under dataDir. */
  databaseUrl?: string;
  /** Which embedded database (SNAPSTACK_DB); unset: the one the data directory holds, else PostgreSQL. */
  embeddedDb?: EmbeddedDb;
  dataDir: string;
}

/** The folder of each embedded database inside the data directory. */
const EMBEDDED_DIRS: Record<EmbeddedDb, string> = { postgres: 'postgres', pglite: 'pglite' };

/**
 * The embedded database a data directory uses: SNAPSTACK_DB when set; otherwise the one it
 * already holds (a directory made by an earlier version keeps its PGlite); otherwise PostgreSQL.
 */
export function embeddedDbOf(cfg: DatabaseConfig): EmbeddedDb {
  if (cfg.embeddedDb) return cfg.embeddedDb;
  const holds = (db: EmbeddedDb) => fs.existsSync(path.join(cfg.dataDir, EMBEDDED_DIRS[db], 'PG_VERSION'));
  if (!holds('postgres') && holds('pglite')) return 'pglite';
  return 'postgres';
}

/**
 * pg when DATABASE_URL is set; otherwise the embedded database under the data directory:
 * PostgreSQL run as a child process (the default; knex.destroy() stops it) or PGlite in the
 * process. A fresh directory starts from the build's migrated template instead of an initdb.
 */
export async function createKnex(cfg: DatabaseConfig): Promise<Knex> {
  installResultShapes();
  if (cfg.databaseUrl) {
    return knexFactory({ client: 'pg', connection: { connectionString: cfg.databaseUrl, types: PG_TYPES }, pool: { min: 0, max: 10 } });
  }
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  const engine = embeddedDbOf(cfg);
  const dir = path.join(cfg.dataDir, EMBEDDED_DIRS[engine]);
  if (engine === 'postgres') {
    const server = await startEmbeddedPostgres(dir, { template: templateDir('postgres'), dataDir: cfg.dataDir });
    // Idle connections close after 10 s: each is a server process (~10 MiB) an idle instance keeps.
    const knex = knexFactory({ client: 'pg', connection: { ...server.connection, types: PG_TYPES }, pool: { min: 0, max: 10, idleTimeoutMillis: 10_000 } });
    // The server is the knex's: whoever closes the database stops it (app close, tests, tools).
    // knex.destroy() is the client's destroy (knex's own property is read-only).
    const client = knex.client as { destroy(callback?: (err?: unknown) => void): Promise<void> };
    const destroy = client.destroy.bind(client);
    client.destroy = async (callback) => {
      try {
        await destroy();
      } finally {
        await server.stop();
      }
      callback?.();
    };
    return knex;
  }
  copyPgliteTemplate(dir);
  fs.mkdirSync(dir, { recursive: true });
  const pglite = new PGlite(dir, PGLITE_OPTIONS);
  return pgliteKnex(pglite);
}

/**
 * knex on a PGlite database. knex-pglite's client and its `{ pglite }` connection are outside
 * knex's own config types, hence the one cast here.
 */
export function pgliteKnex(pglite: PGlite): Knex {
  const config = { client: ClientPgLite, dialect: 'postgres', connection: { pglite } };
  return knexFactory(config as unknown as Knex.Config);
}

/**
 * PGlite with smaller memory settings (its buffers live in its WebAssembly heap): 330 MiB idle
 * instead of 420 MiB, the same start time (bench/startup-bench.ts, docs/performance.md).
 */
const PGLITE_OPTIONS = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'wal_buffers=1MB', '-c', 'work_mem=1MB', '-c', 'temp_buffers=1MB', '-c', 'maintenance_work_mem=4MB'],
};

const migrationSource: Knex.MigrationSource<(typeof migrations)[number]> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

/** One set of migrations for both engines, listed statically so compiled and test runs agree. */
export async function migrateLatest(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource });
}

/** Undoes every migration: an ephemeral instance on a PostgreSQL server leaves no table behind. */
export async function dropSchema(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource }, true);
  await knex.schema.dropTableIfExists('knex_migrations');
  await knex.schema.dropTableIfExists('knex_migrations_lock');
}

/** The database in words; `where: false` leaves out the file path (for answers, which never carry one). */
export function describeDatabase(cfg: DatabaseConfig, opts: { where?: boolean } = {}): string {
  if (!cfg.databaseUrl) {
    const engine = embeddedDbOf(cfg);
    const name = engine === 'postgres' ? 'embedded PostgreSQL' : 'embedded PostgreSQL (PGlite)';
    return opts.where === false ? name : `${name} in ${path.join(cfg.dataDir, EMBEDDED_DIRS[engine])}`;
  }
  try {
    const u = new URL(cfg.databaseUrl);
    return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}
