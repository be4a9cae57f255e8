/**
 * Core snapshot rules at the service level, on the fakes (SNAPSTACK_DOCKER=fake: servers,
 * volume data and Docker images in memory) and an embedded PGlite store: no Docker engine, no
 * PostgreSQL server. The same rules run against the real drivers in test/integration/data.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSnapstack, type Snapstack } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import type { AuthContext } from '../../../src/http/context';
import { createLogger } from '../../../src/logger';
import { FakeServerRuntime } from '../../../src/compute/runtime/fake-server-runtime';
import type { CreateServerInput } from '../../../src/compute/server-create';

jest.setTimeout(60_000);

let app: Snapstack;
let dataDir: string;
let demo: AuthContext;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-fakes-'));
  app = await startSnapstack(loadConfig({}, { host: '127.0.0.1', port: 0, dataDir, dockerMode: 'fake' }), { logger: createLogger(process.env.SNAPSTACK_TEST_LOG_LEVEL || 'silent') });
  const res = await fetch(`${app.url}/identity/v3/auth/tokens`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'demo' } } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } } }),
  });
  demo = await app.identity.validate(res.headers.get('x-subject-token')!);
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const project = () => demo.projectId!;

async function until<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function volume(size = 1, extra: { imageId?: string } = {}) {
  const v = await app.volume.createVolume(project(), { size, name: 'v', ...extra });
  return app.volume.waitForVolume(project(), v.id, ['available']);
}

async function activeServer(input: CreateServerInput) {
  const { server } = await app.compute.servers.create(demo, input, null);
  return until(`server ${server.id} active`, () => app.compute.servers.get(demo, server.id), (s) => {
    if (s.vm_state === 'error') throw new Error(`server ${s.id} went to ERROR: ${JSON.stringify(s.fault)}`);
    return s.vm_state === 'active';
  });
}

test('the fakes are the registered drivers', () => {
  expect(app.compute.runtime).toBeInstanceOf(FakeServerRuntime);
  expect(app.docker).toBeNull();
});

describe('a volume-backed server (root and data volume)', () => {
  let serverId: string;
  let imageId: string;

  beforeAll(async () => {
    const busybox = (await app.image.listImages({ projectId: project(), isAdmin: false }, { name: 'busybox' })).images[0];
    const root = await volume(1, { imageId: busybox.id });
    const data = await volume(1);
    const server = await activeServer({
      name: 'vb', flavorRef: '2',
      block_device_mapping_v2: [
        { boot_index: 0, uuid: root.id, source_type: 'volume', destination_type: 'volume' },
        { boot_index: -1, uuid: data.id, source_type: 'volume', destination_type: 'volume' },
      ],
    });
    serverId = server.id;
  });

  test('an instance snapshot makes one volume snapshot per attached volume and a zero-size image', async () => {
    imageId = await app.compute.snapshots.createImage(serverId, 'snap', {});
    const image = await app.image.getImage({ projectId: project(), isAdmin: false }, imageId);
    expect(image).toMatchObject({ status: 'active', size: 0 });
    const mapping = JSON.parse(image.properties.block_device_mapping) as Array<{ snapshot_id: string; boot_index: number | null }>;
    const attached = (await app.compute.servers.blockDevices(serverId)).filter((b) => b.volume_id);
    expect(mapping).toHaveLength(attached.length);
    expect(mapping).toHaveLength(2);
    for (const m of mapping) {
      const s = await app.volume.getSnapshot(project(), m.snapshot_id);
      expect(s.status).toBe('available');
      expect(attached.map((b) => b.volume_id)).toContain(s.volumeId);
    }
  });

  test('launch from the snapshot: a flavor whose disk is below its min_disk is refused, one that fits boots', async () => {
    const image = await app.image.getImage({ projectId: project(), isAdmin: false }, imageId);
    expect(image.minDisk).toBeGreaterThan(1);
    await expect(app.compute.servers.create(demo, { name: 'small', flavorRef: '1', imageRef: imageId }, null)).rejects.toMatchObject({
      status: 400,
      message: `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${1024 ** 3} bytes, minimum size is ${image.minDisk * 1024 ** 3} bytes.`,
    });
    const server = await activeServer({ name: 'fits', flavorRef: '2', imageRef: imageId });
    const volumes = (await app.compute.servers.blockDevices(server.id)).filter((b) => b.volume_id);
    expect(volumes).toHaveLength(2);
  });
});

test('a volume with snapshots is not deleted (400, and it stays available)', async () => {
  const v = await volume();
  const s = await app.volume.createSnapshot(project(), { volumeId: v.id, name: 's' });
  await app.volume.waitForSnapshot(project(), s.id, ['available']);
  await expect(app.volume.deleteVolume(project(), v.id)).rejects.toMatchObject({ status: 400 });
  expect((await app.volume.getVolume(project(), v.id)).status).toBe('available');
});
