// No explicit `any` in Snapstack's own code (issue 14): API requests and answers take their
// types from src/generated, untrusted JSON is `unknown` and narrowed, database rows are mapped
// to their typed rows in the stores. src/generated is generated code and is not scanned; tests
// are not scanned either.
import fs from 'fs';
import os from 'os';
import path from 'path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const SCANNED = ['src', 'web/src'];
const EXCLUDED = ['src/generated'];

const relative = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!EXCLUDED.includes(relative(full))) out.push(...sourceFiles(full));
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** file:line of every `any` type keyword (comments and strings do not count). */
function anyKeywords(file: string): number[] {
  const text = fs.readFileSync(file, 'utf8');
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) lines.push(sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return lines;
}

describe('no explicit any outside generated code', () => {
  const found = new Map<string, number[]>();
  const scanned: string[] = [];
  for (const dir of SCANNED) {
    for (const file of sourceFiles(path.join(ROOT, dir))) {
      scanned.push(relative(file));
      const lines = anyKeywords(file);
      if (lines.length) found.set(relative(file), lines);
    }
  }

  it(`${SCANNED.join(', ')} (without ${EXCLUDED.join(', ')}) use no any`, () => {
    expect([...found].flatMap(([file, lines]) => lines.map((l) => `${file}:${l}`))).toEqual([]);
  });

  it('scans every module and layer, the dashboard, and not the generated types', () => {
    for (const f of ['src/http/context.ts', 'src/compute/server-create.ts', 'src/volume/volume-handlers.ts', 'src/jobs/job-runner.ts', 'src/db/database.ts']) {
      expect(scanned).toContain(f);
    }
    expect(scanned.some((f) => f.startsWith('web/src/'))).toBe(true);
    expect(scanned.filter((f) => f.startsWith('src/generated/'))).toEqual([]);
  });

  it('finds an any when there is one (the scan itself works)', () => {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'any-scan-')), 'probe.ts');
    fs.writeFileSync(tmp, '// any in a comment\nconst a: any = 1;\nconst s = "as any";\nexport const b = a as any;\n');
    expect(anyKeywords(tmp)).toEqual([2, 4]);
    fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
  });
});
