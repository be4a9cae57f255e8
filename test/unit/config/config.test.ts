import fs from 'fs';
import path from 'path';
import { loadConfig, CONFIG_VARIABLES } from '../../../src/config';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8700, publicUrl: 'http://127.0.0.1:8700', tokenTtlSeconds: 3600, adminPassword: 'admin', demoPassword: 'demo', altDemoPassword: 'alt_demo', dockerMode: 'auto', snapshotConsistency: 'pause', minDiskRule: 'flavor' });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir.endsWith('/data')).toBe(true);
  });

  it('reads every variable', () => {
    const c = loadConfig({ SNAPSTACK_HOST: '0.0.0.0', SNAPSTACK_PORT: '9000', SNAPSTACK_DATA_DIR: '/tmp/x', DATABASE_URL: 'postgres://u@h/d', SNAPSTACK_TOKEN_TTL: '60', SNAPSTACK_SNAPSHOT_CONSISTENCY: 'stopped', SNAPSTACK_MIN_DISK_RULE: 'nova' });
    expect(c).toMatchObject({ host: '0.0.0.0', port: 9000, publicUrl: 'http://127.0.0.1:9000', dataDir: '/tmp/x', databaseUrl: 'postgres://u@h/d', tokenTtlSeconds: 60, snapshotConsistency: 'stopped', minDiskRule: 'nova' });
  });

  it("takes Glance's per-image limits: 128 each unless told, -1 unlimited", () => {
    expect(loadConfig({}).imageQuotas).toEqual({ tags: 128, properties: 128, members: 128 });
    expect(loadConfig({ SNAPSTACK_IMAGE_TAG_QUOTA: '-1', SNAPSTACK_IMAGE_PROPERTY_QUOTA: '5', SNAPSTACK_IMAGE_MEMBER_QUOTA: '0' }).imageQuotas).toEqual({ tags: -1, properties: 5, members: 0 });
    expect(() => loadConfig({ SNAPSTACK_IMAGE_MEMBER_QUOTA: '-2' })).toThrow('SNAPSTACK_IMAGE_MEMBER_QUOTA');
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(() => loadConfig({ SNAPSTACK_PORT: 'abc' })).toThrow('SNAPSTACK_PORT');
    expect(() => loadConfig({ SNAPSTACK_SNAPSHOT_CONSISTENCY: 'maybe' })).toThrow('SNAPSTACK_SNAPSHOT_CONSISTENCY');
  });

  it('lists every variable it reads in CONFIG_VARIABLES (the README and compose are checked against it)', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env(?:\.|, ')((?:SNAPSTACK_|DATABASE_)[A-Z_]+)/g)].map((m) => m[1]));
    expect(read.size).toBeGreaterThan(15);
    for (const name of read) expect(CONFIG_VARIABLES).toContain(name);
  });
});
