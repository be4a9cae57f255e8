/**
 * The import-graph checker behind test/unit/architecture/import-graph.test.ts: which file of
 * src/ imports which, judged against declared rules. Imports are read by TypeScript's own
 * pre-processor (static, `export … from`, dynamic `import()` and `require`).
 */
import * as path from 'node:path';
import ts from 'typescript';

export interface ImportRules {
  /** Top-level folders of src/ every file may import (infrastructure, not modules). */
  layers: string[];
  /** Top-level files of src/ (without .ts) every file may import. */
  sharedRootFiles: string[];
  /** Files that may import anything: where modules are wired together. */
  compositionRoots: string[];
  /** A module's port, from its folder name: the only file of it other modules import. */
  portOf(module: string): string;
  /** Files (repo-relative) allowed to import these packages; every other file may not. */
  restrictedPackages: Record<string, (file: string) => boolean>;
}

export interface SourceFile {
  /** Repo-relative, with forward slashes: src/archive/archive-service.ts */
  path: string;
  source: string;
}

export interface Violation {
  file: string;
  imports: string;
  rule: string;
}

/** `src/<first>/...` -> first; `src/app.ts` -> null (a root file). */
function topOf(file: string): { folder: string | null; rootFile: string | null } {
  const parts = file.split('/');
  if (parts[0] !== 'src') return { folder: null, rootFile: null };
  return parts.length > 2 ? { folder: parts[1], rootFile: null } : { folder: null, rootFile: parts[1].replace(/\.ts$/, '') };
}

export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

export function importViolations(files: SourceFile[], rules: ImportRules): Violation[] {
  const out: Violation[] = [];
  for (const f of files) {
    const from = topOf(f.path);
    const isRoot = rules.compositionRoots.includes(f.path);
    const fromLayer = from.folder !== null && rules.layers.includes(from.folder);
    for (const spec of importsOf(f.source)) {
      if (!spec.startsWith('.')) {
        const allowed = rules.restrictedPackages[spec];
        if (allowed && !isRoot && !allowed(f.path)) out.push({ file: f.path, imports: spec, rule: `only the Docker adapters and composition roots import ${spec}` });
        continue;
      }
      if (isRoot) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f.path), spec)).replace(/\.ts$/, '');
      const to = topOf(`${target}.ts`);
      if (to.rootFile !== null) {
        if (!rules.sharedRootFiles.includes(to.rootFile)) out.push({ file: f.path, imports: spec, rule: `src/${to.rootFile}.ts is a composition root: nothing imports it` });
        continue;
      }
      if (to.folder === null || to.folder === from.folder || rules.layers.includes(to.folder)) continue;
      if (fromLayer) {
        out.push({ file: f.path, imports: spec, rule: `layer ${from.folder}/ imports module ${to.folder}/: layers import only layers` });
        continue;
      }
      const port = `src/${to.folder}/${rules.portOf(to.folder)}`;
      if (target !== port) out.push({ file: f.path, imports: spec, rule: `module ${to.folder}/ is imported only through its port ${port}.ts` });
    }
  }
  return out;
}
