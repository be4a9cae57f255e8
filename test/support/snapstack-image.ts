// Snapstack's container image for the tests that run it (testcontainers, docker-compose): built
// once per content, tagged snapstack/snapstack:test-<hash of the build context>, so a second
// test file, or a rerun with unchanged sources, reuses it. Test files building at once wait on
// one lock. Images built here carry TEST_IMAGE_LABEL (their build stages snapstack.build-stage);
// building one prunes the older ones that are unused and over an hour old. No registry: the base is scripts/build-node-base-image.sh's local
// Node image, unless SNAPSTACK_NODE_BASE_IMAGE names another (e.g. node:20-bookworm-slim).
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

export const TEST_IMAGE_LABEL = 'snapstack.test-image';
const ROOT = path.resolve(__dirname, '..', '..');
const LOCK_STALE_MS = 20 * 60_000;
/** What the Dockerfile copies (see .dockerignore), plus the Dockerfile itself. */
const CONTEXT = ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'migrations', 'openapi', 'bin'];

function log(msg: string): void {
  process.stderr.write(`[snapstack image] ${msg}\n`);
}

function docker(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('docker', args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }).trim();
}

function imageId(ref: string): string | undefined {
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function listFiles(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return [];
  if (!fs.statSync(abs).isDirectory()) return [rel];
  return fs.readdirSync(abs).sort().flatMap((name) => listFiles(path.join(rel, name)));
}

/** The base image: the one named by SNAPSTACK_NODE_BASE_IMAGE, or the local one (made when missing). */
function baseImage(): string {
  const named = process.env.SNAPSTACK_NODE_BASE_IMAGE;
  if (named) return named;
  execFileSync('bash', [path.join(ROOT, 'scripts', 'build-node-base-image.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return 'snapstack/node-base:20';
}

function contextHash(base: string): string {
  const hash = createHash('sha256').update(`${base}\0${imageId(base) ?? ''}\0`);
  for (const file of CONTEXT.flatMap(listFiles)) hash.update(`${file}\0`).update(fs.readFileSync(path.join(ROOT, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

async function withLock<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = path.join(os.tmpdir(), `${name}.lock`);
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** The tag of an image built from this checkout's sources, building it when there is none yet. */
export async function snapstackTestImage(): Promise<string> {
  const base = baseImage();
  const tag = `snapstack/snapstack:test-${contextHash(base)}`;
  return withLock(`snapstack-image-${tag.split(':')[1]}`, () => {
    if (imageId(tag)) return tag;
    const t0 = Date.now();
    log(`building ${tag} on ${base}`);
    // The classic builder: BuildKit needs buildx, which Debian's docker.io lacks.
    const built = spawnSync('docker', ['build', '--force-rm', '--build-arg', `BASE_IMAGE=${base}`, '--label', `${TEST_IMAGE_LABEL}=true`, '-t', tag, ROOT], {
      encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024,
    });
    if (built.status !== 0) throw new Error(`docker build failed (exit ${built.status}):\n${(built.stdout + built.stderr).slice(-4000)}`);
    log(`built ${tag} in ${Math.round((Date.now() - t0) / 1000)} s`);
    // Test images of other sources, unused and over an hour old (a parallel checkout's stay).
    for (const label of [`${TEST_IMAGE_LABEL}=true`, 'snapstack.build-stage=true']) {
      docker(['image', 'prune', '--all', '--force', '--filter', `label=${label}`, '--filter', 'until=1h']);
    }
    return tag;
  });
}
