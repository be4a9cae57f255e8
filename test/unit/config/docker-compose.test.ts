import fs from 'fs';
import path from 'path';
import yaml from 'js-yaml';
import { CONFIG_VARIABLES } from '../../../src/config';

const root = path.resolve(__dirname, '..', '..', '..');
const load = (file: string) => yaml.load(fs.readFileSync(path.join(root, file), 'utf8')) as any;
const compose = load('docker-compose.yml');
const withPostgres = load('docker-compose.postgres.yml');

describe('docker-compose.yml', () => {
  const snapstack = compose.services.snapstack;

  it('builds Snapstack from the repo, on node:20-bookworm-slim unless told another base', () => {
    expect(snapstack.build.context).toBe('.');
    expect(snapstack.build.args.BASE_IMAGE).toBe('${SNAPSTACK_BUILD_BASE_IMAGE:-node:20-bookworm-slim}');
    expect(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(/^ARG BASE_IMAGE=node:20-bookworm-slim$/m);
  });

  it('sets only variables Snapstack reads, and the ones a container needs', () => {
    const names = [...Object.keys(snapstack.environment), ...Object.keys(withPostgres.services.snapstack.environment)];
    for (const n of names) expect(CONFIG_VARIABLES).toContain(n);
    for (const needed of ['SNAPSTACK_HOST', 'SNAPSTACK_PORT', 'SNAPSTACK_DATA_DIR', 'SNAPSTACK_DOCKER_SOCKET', 'SNAPSTACK_WORKSPACE_DIR']) expect(names).toContain(needed);
    expect(snapstack.environment.SNAPSTACK_HOST).toBe('0.0.0.0');
  });

  it('with docker-compose.postgres.yml: DATABASE_URL names the postgres service with its credentials, started first', () => {
    const url = new URL(withPostgres.services.snapstack.environment.DATABASE_URL);
    const pg = withPostgres.services.postgres.environment;
    expect(withPostgres.services.postgres.image).toMatch(/^postgres:/);
    expect(withPostgres.services.snapstack.depends_on.postgres.condition).toBe('service_healthy');
    expect(url.hostname).toBe('postgres');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it('mounts the Docker socket it is told to use, the data directory at the same path inside and outside, and the workspace folder', () => {
    const mounts: string[] = snapstack.volumes;
    expect(mounts).toContain(`${snapstack.environment.SNAPSTACK_DOCKER_SOCKET}:${snapstack.environment.SNAPSTACK_DOCKER_SOCKET}`);
    const dataDir = snapstack.environment.SNAPSTACK_DATA_DIR;
    expect(mounts).toContain(`${dataDir}:${dataDir}`);
    expect(mounts).toContain(`\${SNAPSTACK_WORKSPACE_DIR:-./workspace}:${snapstack.environment.SNAPSTACK_WORKSPACE_DIR}`);
  });

  it('publishes SNAPSTACK_PORT on 127.0.0.1 only, the same port inside, and lets the public URL follow it', () => {
    expect(snapstack.ports).toEqual([`127.0.0.1:${snapstack.environment.SNAPSTACK_PORT}:${snapstack.environment.SNAPSTACK_PORT}`]);
    expect(snapstack.environment.SNAPSTACK_PORT).toBe('${SNAPSTACK_PORT:-8700}');
    // Empty unless set: Snapstack then advertises http://127.0.0.1:<SNAPSTACK_PORT>.
    expect(snapstack.environment.SNAPSTACK_PUBLIC_URL).toBe('${SNAPSTACK_PUBLIC_URL:-}');
  });

  it('has a healthcheck (the image\'s GET /snapstack/v1/health) and leaves host state out of the build context', () => {
    expect(snapstack.healthcheck).toMatchObject({ interval: expect.any(String) });
    expect(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(/HEALTHCHECK[\s\S]*\/snapstack\/v1\/health/);
    const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'data', '.git', 'workspace']) expect(ignored).toContain(p);
  });

  it('the README documents every configuration variable', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const n of CONFIG_VARIABLES) expect(readme).toContain(n);
  });
});
