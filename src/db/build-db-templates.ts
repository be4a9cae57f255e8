/** `node dist/src/db/build-db-templates.js` (part of `npm run build`): the embedded databases' templates. */
import fs from 'fs';
import path from 'path';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { Knex } from 'knex';
import { migrations } from '../../migrations';
import { migrateLatest, pgliteKnex } from './database';
import { initCluster, postgresBinDir, serverUser, startEmbeddedPostgres } from './embedded-postgres';
import { pgliteTemplateDir, templateDir } from './pglite-template';

/** Which migrations (and PostgreSQL binaries) a template holds, beside it; a build with the same keeps the template. */
const stampOf = (dir: string) => `${dir}.json`;
const currentStamp = (extra: Record<string, string> = {}) => JSON.stringify({ migrations: migrations.map((m) => m.name), ...extra });

/** Makes a template into `dir` with `fill` (into a sibling, then renamed), unless it is there already; true when made. */
async function buildTemplate(dir: string, stamp: string, fill: (partial: string) => Promise<void>): Promise<boolean> {
  if (fs.existsSync(path.join(dir, 'PG_VERSION')) && fs.existsSync(stampOf(dir)) && fs.readFileSync(stampOf(dir), 'utf8') === stamp) return false;
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(partial), { recursive: true });
  try {
    await fill(partial);
  } catch (err) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw err;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  fs.writeFileSync(stampOf(dir), stamp);
  return true;
}

async function migrated(knex: Knex): Promise<void> {
  try {
    await migrateLatest(knex);
    await knex.raw('CHECKPOINT');
  } finally {
    await knex.destroy();
  }
}

/** PGlite's: initdb and every migration. */
export function buildPgliteTemplate(dir = pgliteTemplateDir()): Promise<boolean> {
  return buildTemplate(dir, currentStamp(), async (partial) => {
    const pglite = new PGlite(partial);
    await migrated(pgliteKnex(pglite));
  });
}

/** The embedded PostgreSQL's: initdb, every migration, a clean shutdown; null without binaries. */
export async function buildPostgresTemplate(dir = templateDir('postgres')): Promise<boolean | null> {
  const bin = postgresBinDir();
  if (!bin) return null;
  const version = fs.readFileSync(path.join(bin, '..', '..', 'package.json'), 'utf8');
  return buildTemplate(dir, currentStamp({ postgres: JSON.parse(version).version }), async (partial) => {
    const cluster = path.join(partial, 'cluster');
    fs.mkdirSync(partial, { recursive: true });
    const user = serverUser();
    if (user) fs.chmodSync(partial, 0o711);
    initCluster(cluster, { user });
    const server = await startEmbeddedPostgres(cluster, { dataDir: partial });
    await migrated(knexFactory({ client: 'pg', connection: server.connection }));
    await server.stop();
    // The template is the cluster itself, without the files of its one run.
    for (const f of ['postmaster.opts', 'postmaster.pid']) fs.rmSync(path.join(cluster, f), { force: true });
    const staged = `${partial}-cluster`;
    fs.renameSync(cluster, staged);
    fs.rmSync(partial, { recursive: true, force: true });
    fs.renameSync(staged, partial);
  });
}

if (require.main === module) {
  const run = async (name: string, build: () => Promise<boolean | null>, dir: string) => {
    const started = Date.now();
    const made = await build();
    const what = made === null ? 'skipped (no PostgreSQL binaries for this platform)' : made ? 'made' : 'up to date';
    process.stdout.write(`${name} template ${what} in ${dir} (${Date.now() - started} ms)\n`);
  };
  (async () => {
    // Without its template the embedded PostgreSQL still starts (initdb, about a second more):
    // a machine where it cannot run here (no user to run it as) still builds.
    await run('PostgreSQL', () => buildPostgresTemplate(), templateDir('postgres')).catch((err) => {
      process.stderr.write(`PostgreSQL template not made (a fresh data directory will run initdb): ${err?.message ?? err}\n`);
    });
    await run('PGlite', () => buildPgliteTemplate(), pgliteTemplateDir());
  })().catch((err) => {
    process.stderr.write(`database template failed: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  });
}
