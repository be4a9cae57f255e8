/** `node dist/src/db/build-pglite-template.js` (part of `npm run build`): the PGlite template. */
import fs from 'fs';
import path from 'path';
import { PGlite } from '@electric-sql/pglite';
import knexFactory from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrations } from '../../migrations';
import { migrateLatest } from './database';
import { pgliteTemplateDir } from './pglite-template';

/** Which migrations a template holds, beside it; a build with the same list keeps the template. */
const stampOf = (dir: string) => `${dir}.json`;
const currentStamp = () => JSON.stringify({ migrations: migrations.map((m) => m.name) });

/** Makes the template (initdb and every migration) into `dir`, unless it is there already; true when made. */
export async function buildPgliteTemplate(dir = pgliteTemplateDir()): Promise<boolean> {
  const stamp = stampOf(dir);
  if (fs.existsSync(path.join(dir, 'PG_VERSION')) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === currentStamp()) return false;
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(partial), { recursive: true });
  const pglite = new PGlite(partial);
  const knex = knexFactory({ client: ClientPgLite as any, dialect: 'postgres', connection: { pglite } } as any);
  try {
    await migrateLatest(knex);
    await knex.raw('CHECKPOINT');
  } finally {
    await knex.destroy();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  fs.writeFileSync(stamp, currentStamp());
  return true;
}

if (require.main === module) {
  const started = Date.now();
  buildPgliteTemplate().then(
    (made) => process.stdout.write(`PGlite template ${made ? 'made' : 'up to date'} in ${pgliteTemplateDir()} (${Date.now() - started} ms)\n`),
    (err) => {
      process.stderr.write(`PGlite template failed: ${err?.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
