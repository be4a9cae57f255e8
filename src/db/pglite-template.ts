/**
 * Migrated database templates, made once at build time (`npm run build`) and copied into every
 * fresh data directory: the embedded PostgreSQL's cluster (dist/postgres-template) and PGlite's
 * (dist/pglite-template). PGlite's initdb takes seconds (7 s and more on a small machine),
 * PostgreSQL's initdb and migrations about one; a copy takes a fraction of either. Migrations
 * newer than a template still run at start. build-db-templates.ts makes them.
 */
import fs from 'fs';
import path from 'path';

/** The package's root: the nearest folder upwards holding package.json (src/ and dist/src/ alike). */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..');
    dir = up;
  }
  return dir;
}

/** Where the build puts an embedded database's template. */
export function templateDir(engine: 'postgres' | 'pglite'): string {
  return path.join(packageRoot(), 'dist', `${engine}-template`);
}

export function pgliteTemplateDir(): string {
  return templateDir('pglite');
}

/** Copies the template into `dir` when `dir` holds no database yet; false when there is no template. */
export function copyPgliteTemplate(dir: string, template = pgliteTemplateDir()): boolean {
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return false;
  if (!fs.existsSync(path.join(template, 'PG_VERSION'))) return false;
  // Into a sibling first, then renamed: an interrupted copy never looks like a database.
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(template, partial, { recursive: true, mode: fs.constants.COPYFILE_FICLONE });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  return true;
}
