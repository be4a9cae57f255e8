import fs from 'fs';
import path from 'path';
import knexFactory, { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrations } from '../../migrations';
import { copyPgliteTemplate } from './pglite-template';

export interface DatabaseConfig {
  /** PostgreSQL server; when absent, embedded PostgreSQL (PGlite) under dataDir. */
  databaseUrl?: string;
  dataDir: string;
}

/** pg when DATABASE_URL is set, otherwise embedded PGlite under <dataDir>/pglite. */
export async function createKnex(cfg: DatabaseConfig): Promise<Knex> {
  if (cfg.databaseUrl) {
    return knexFactory({ client: 'pg', connection: cfg.databaseUrl, pool: { min: 0, max: 10 } });
  }
  const dir = path.join(cfg.dataDir, 'pglite');
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  // A fresh directory starts from the build's migrated template instead of a slow initdb.
  copyPgliteTemplate(dir);
  fs.mkdirSync(dir, { recursive: true });
  return knexFactory({ client: ClientPgLite as any, dialect: 'postgres', connection: { filename: dir } } as any);
}

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
  if (!cfg.databaseUrl) return opts.where === false ? 'embedded PostgreSQL (PGlite)' : `embedded PostgreSQL (PGlite) in ${path.join(cfg.dataDir, 'pglite')}`;
  try {
    const u = new URL(cfg.databaseUrl);
    return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}
