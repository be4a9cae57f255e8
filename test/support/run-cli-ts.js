'use strict';
// Runs `snapstack` straight from src/ (no build, so tests never see a stale dist/):
// `node test/support/run-cli-ts.js <args>` is `snapstack <args>`. .ts files are transpiled
// with TypeScript's transpileModule (no type check; `npm run typecheck` does that) and
// cached under the temp dir by path, size and mtime, so only the first run pays for it.
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const cacheDir = path.join(os.tmpdir(), `snapstack-cli-ts-${typeof process.getuid === 'function' ? process.getuid() : 'u'}`);
let ts;

require.extensions['.ts'] = (module, filename) => {
  const stat = fs.statSync(filename);
  const key = crypto.createHash('sha1').update(`${filename}\0${stat.size}\0${stat.mtimeMs}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    ts = ts || require(path.join(root, 'node_modules', 'typescript'));
    code = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true, inlineSourceMap: true },
    }).outputText;
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
  }
  module._compile(code, filename);
};

require(path.join(root, 'src', 'cli', 'main.ts')).main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`snapstack: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
