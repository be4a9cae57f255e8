#!/usr/bin/env node
'use strict';
// Generates src/generated/<service>.ts from openapi/<service>.yaml with openapi-typescript.
// With --check, fails (exit 1) when a committed file differs from what the spec generates.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const specDir = path.join(root, 'openapi');
const outDir = path.join(root, 'src', 'generated');
const check = process.argv.includes('--check');
const cli = path.join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-types-'));
const stale = [];

for (const file of fs.readdirSync(specDir).filter((f) => f.endsWith('.yaml')).sort()) {
  const name = file.replace(/\.yaml$/, '');
  const target = path.join(check ? tmp : outDir, `${name}.ts`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  execFileSync(process.execPath, [cli, path.join(specDir, file), '-o', target, '--alphabetize'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const header = `// Generated from openapi/${file} by \`npm run gen:types\`. Do not edit.\n`;
  const body = header + fs.readFileSync(target, 'utf8');
  fs.writeFileSync(target, body);
  if (check) {
    const committed = path.join(outDir, `${name}.ts`);
    if (!fs.existsSync(committed) || fs.readFileSync(committed, 'utf8') !== body) stale.push(`src/generated/${name}.ts`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
if (check) {
  if (stale.length) {
    console.error(`Generated types are stale; run \`npm run gen:types\`: ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log('Generated types are up to date.');
}
