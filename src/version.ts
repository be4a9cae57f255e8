import fs from 'fs';
import path from 'path';

/** The package version, found from src/ (tests) and dist/src/ (built) alike. */
function readVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')).version;
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export const VERSION = readVersion();
