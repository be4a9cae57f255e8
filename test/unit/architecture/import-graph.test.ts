/**
 * The module boundaries, checked on every file of src/ (docs/architecture.md draws them):
 *
 * - A module is a top-level folder of src/ that is not a layer. Other modules import only its
 *   port, src/<module>/<module>-api.ts; inside a module any file imports any other.
 * - Layers (shared/, http/, db/, generated/, runtime/, faults/, metrics/) and the root files
 *   config.ts, logger.ts and version.ts are infrastructure: every file may import them. A
 *   layer imports only layers, never a module.
 * - Composition roots (src/app.ts, src/index.ts, src/embed.ts, and src/cli/main.ts whose
 *   `snapstack serve` starts the server) wire modules together and may import anything;
 *   nothing else imports them.
 * - dockerode is imported only by the Docker adapters (src/runtime/, a module's runtime/ or
 *   data/ driver folder), the *-module.ts files that hand the engine to them and src/testing/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { importViolations, type ImportRules, type SourceFile } from '../../support/import-graph';

const ROOT = path.resolve(__dirname, '../../..');

const RULES: ImportRules = {
  layers: ['shared', 'http', 'db', 'generated', 'runtime', 'faults', 'metrics'],
  sharedRootFiles: ['config', 'logger', 'version'],
  compositionRoots: ['src/app.ts', 'src/index.ts', 'src/embed.ts', 'src/cli/main.ts'],
  portOf: (module) => `${module}-api`,
  restrictedPackages: {
    dockerode: (file) => /^src\/(runtime|testing)\//.test(file) || /^src\/[^/]+\/(runtime|data)\//.test(file)
      || /-module\.ts$/.test(file),
  },
};

function sourcesUnder(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourcesUnder(rel));
    else if (e.name.endsWith('.ts')) out.push({ path: rel, source: fs.readFileSync(path.join(ROOT, rel), 'utf8') });
  }
  return out;
}

test('src/ keeps the module boundaries: other modules only through ports, layers only on layers', () => {
  const files = sourcesUnder('src');
  expect(files.length).toBeGreaterThan(100);
  expect(importViolations(files, RULES)).toEqual([]);
});

test('every module another one imports has its port file', () => {
  for (const m of ['identity', 'compute', 'volume', 'image', 'archive', 'jobs']) {
    expect(fs.existsSync(path.join(ROOT, 'src', m, `${m}-api.ts`))).toBe(true);
  }
});

describe('the checker fails on each kind of violation (a tiny tree)', () => {
  const tree = (files: Record<string, string>): SourceFile[] => Object.entries(files).map(([p, source]) => ({ path: p, source }));

  test('a module reaching into another module\'s files', () => {
    const v = importViolations(tree({
      'src/archive/archive-service.ts': "import type { VolumeDataDriver } from '../volume/data/volume-data-driver';\nimport { x } from './archive-format';",
      'src/volume/data/volume-data-driver.ts': '',
    }), RULES);
    expect(v).toEqual([{ file: 'src/archive/archive-service.ts', imports: '../volume/data/volume-data-driver', rule: 'module volume/ is imported only through its port src/volume/volume-api.ts' }]);
  });

  test('a dynamic import and a re-export count too', () => {
    const v = importViolations(tree({
      'src/compute/a.ts': "type T = import('../image/image-service').ImageService;\nexport { y } from '../identity/identity-store';",
    }), RULES);
    expect(v.map((x) => x.imports)).toEqual(['../image/image-service', '../identity/identity-store']);
  });

  test('a layer importing a module, a file importing the composition root, dockerode outside the adapters', () => {
    const v = importViolations(tree({
      'src/http/context.ts': "import { VolumeService } from '../volume/volume-api';",
      'src/image/image-service.ts': "import Docker from 'dockerode';\nimport { startSnapstack } from '../app';",
    }), RULES);
    expect(v.map((x) => `${x.file} -> ${x.imports}`)).toEqual([
      'src/http/context.ts -> ../volume/volume-api',
      'src/image/image-service.ts -> dockerode',
      'src/image/image-service.ts -> ../app',
    ]);
  });

  test('what the rules allow passes: ports, layers, own files, composition roots', () => {
    expect(importViolations(tree({
      'src/archive/archive-service.ts': "import { a } from '../volume/volume-api';\nimport { b } from '../shared/reverter';\nimport { c } from '../logger';\nimport { d } from './archive-format';\nimport Docker from 'node:fs';",
      'src/app.ts': "import { VolumeService } from './volume/volume-service';\nimport Docker from 'dockerode';",
      'src/runtime/docker-image-driver.ts': "import Docker from 'dockerode';\nimport { x } from '../shared/y';",
      'src/volume/data/docker-ops.ts': "import Docker from 'dockerode';",
    }), RULES)).toEqual([]);
  });
});
