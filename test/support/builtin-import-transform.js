'use strict';
// Jest transform for PGlite's CommonJS build, which loads Node built-ins with
// dynamic import() (`await import("fs/promises")`). Inside jest's vm that needs
// node --experimental-vm-modules; rewritten to require() it needs nothing.
// Only built-in specifiers are touched.
const { builtinModules } = require('module');
const crypto = require('crypto');

const builtins = new Set(builtinModules);
const IMPORT_CALL = /(?<![.\w$])import\(\s*(["'])([^"']+)\1\s*\)/g;
const HELPER =
  'function __snapstackImportBuiltin(s){return Promise.resolve().then(function(){' +
  'var m=require(s);return Object.assign(Object.create(m),{default:m});});}\n';
const VERSION = '1';

function process(sourceText) {
  let touched = false;
  const code = sourceText.replace(IMPORT_CALL, (call, _quote, spec) => {
    if (!builtins.has(spec.replace(/^node:/, ''))) return call;
    touched = true;
    return `__snapstackImportBuiltin(${JSON.stringify(spec)})`;
  });
  // Appended (function declarations hoist) so line numbers stay as they were.
  return { code: touched ? `${code}\n${HELPER}` : sourceText };
}

function getCacheKey(sourceText, sourcePath) {
  return crypto.createHash('sha1').update(VERSION).update('\0').update(sourcePath).update('\0').update(sourceText).digest('hex');
}

module.exports = { process, getCacheKey };
