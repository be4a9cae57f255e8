import fs from 'fs';
import path from 'path';
import yaml from 'js-yaml';
import { CONFIG_VARIABLES } from '../../../src/config';

const root = path.resolve(__dirname, '..', '..', '..');
const compose = yaml.load(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as any;

describe('docker-compose.yml', () => {
  const snapstack = compose.services.snapstack;

  it('builds Snapstack from the repo and runs it with PostgreSQL', () => {
    expect(snapstack.build).toBe('.');
    expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    expect(compose.services.postgres.image).toMatch(/^postgres:/);
    expect(snapstack.depends_on.postgres.condition).toBe('service_healthy');
  });

  it('sets only variables Snapstack reads, and the ones a container needs', () => {
    const names = Object.keys(snapstack.environment);
    for (const n of names) expect(CONFIG_VARIABLES).toContain(n);
    for (const needed of ['SNAPSTACK_HOST', 'SNAPSTACK_DATA_DIR', 'DATABASE_URL', 'SNAPSTACK_DOCKER_SOCKET']) expect(names).toContain(needed);
    expect(snapstack.environment.SNAPSTACK_HOST).toBe('0.0.0.0');
  });

  it('points DATABASE_URL at the postgres service with its credentials', () => {
    const url = new URL(snapstack.environment.DATABASE_URL);
    const pg = compose.services.postgres.environment;
    expect(url.hostname).toBe('postgres');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it('mounts the Docker socket it is told to use, and the data directory at the same path inside and outside', () => {
    const mounts: string[] = snapstack.volumes;
    expect(mounts).toContain(`${snapstack.environment.SNAPSTACK_DOCKER_SOCKET}:${snapstack.environment.SNAPSTACK_DOCKER_SOCKET}`);
    const dataDir = snapstack.environment.SNAPSTACK_DATA_DIR;
    expect(mounts).toContain(`${dataDir}:${dataDir}`);
  });

  it('publishes the port Snapstack listens on', () => {
    const [published] = snapstack.ports;
    expect(String(published).split(':').pop()).toBe(String(snapstack.environment.SNAPSTACK_PORT));
  });

  it('the README documents every configuration variable', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const n of CONFIG_VARIABLES) expect(readme).toContain(n);
  });
});
