/**
 * Reset, module by module, on the fakes (SNAPSTACK_DOCKER=fake: servers, volume data and Docker
 * images in memory) and PGlite: each port's resetToSeed removes its own part and keeps the
 * seed; the orchestrator runs them in dependency order under the job runner's quiesce.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { startSnapstack, type Snapstack } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import type { AuthContext } from '../../../src/http/context';
import { createLogger } from '../../../src/logger';
import { DEFAULT_FLAVORS } from '../../../src/compute/compute-api';
import { InstanceReset, RESET_ORDER, type ResetParts } from '../../../src/snapstack/instance-reset';
import { emptyOutcome, type ResetOutcome } from '../../../src/shared/module-reset';

jest.setTimeout(60_000);

let app: Snapstack;
let dataDir: string;
let demo: AuthContext;
let admin: AuthContext;
let demoToken: string;

async function login(name: string): Promise<string> {
  const res = await fetch(`${app.url}/identity/v3/auth/tokens`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name, domain: { name: 'Default' }, password: name } } }, scope: { project: { name, domain: { name: 'Default' } } } } }),
  });
  return res.headers.get('x-subject-token')!;
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-reset-fakes-'));
  app = await startSnapstack(loadConfig({}, { host: '127.0.0.1', port: 0, dataDir, dockerMode: 'fake' }), { logger: createLogger(process.env.SNAPSTACK_TEST_LOG_LEVEL || 'silent') });
  demoToken = await login('demo');
  demo = await app.identity.validate(demoToken);
  admin = await app.identity.validate(await login('admin'));
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const project = () => demo.projectId!;

async function availableVolume(): Promise<string> {
  const v = await app.volume.createVolume(project(), { size: 1, name: 'v' });
  await app.volume.waitForVolume(project(), v.id, ['available']);
  return v.id;
}

async function activeServer(): Promise<string> {
  const { server } = await app.compute.servers.create(demo, { name: 's', flavorRef: '1', imageRef: (await app.image.listImages(demo, { name: 'busybox' })).images[0].id }, null);
  for (let i = 0; i < 400; i++) {
    const s = await app.compute.servers.get(demo, server.id);
    if (s.vm_state === 'active') return s.id;
    if (s.vm_state === 'error') throw new Error(`server ${s.id} went to ERROR`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('server never active');
}

afterEach(async () => {
  await app.reset.reset(); // each test starts from the seed
});

test('compute: server containers and rows go, flavors are the defaults again', async () => {
  const serverId = await activeServer();
  await app.compute.flavors.create(admin, { name: 'custom', ram: 64, vcpus: 1, disk: 1 });
  await app.compute.flavors.delete(admin, '1');
  const out = await app.reset.parts.compute.resetToSeed();
  expect(out.docker.containers).toBe(1);
  expect(out.rows).toMatchObject({ servers: 1, flavors: 1 });
  expect(await app.compute.runtime.listServerContainers()).toEqual([]);
  await expect(app.compute.servers.get(demo, serverId)).rejects.toMatchObject({ status: 404 });
  const flavors = (await app.compute.flavors.list(admin, {})).flavors.map((f) => f.id).sort();
  expect(flavors).toEqual(DEFAULT_FLAVORS.map((f) => f.id).sort());
});

test('volume: data and rows go (volumes, snapshots, quotas), nothing of them is left in the driver', async () => {
  const volumeId = await availableVolume();
  const s = await app.volume.createSnapshot(project(), { volumeId, name: 's' });
  await app.volume.waitForSnapshot(project(), s.id, ['available']);
  const out = await app.reset.parts.volume.resetToSeed();
  expect(out.rows).toMatchObject({ volumes: 1, snapshots: 1 });
  expect(out.docker.volumes).toBe(0); // the fake holds no Docker volumes
  // Data left behind without its row would be stray data to the start-up reconcile.
  expect(await app.volume.reconcile()).toMatchObject({ strayData: [], missingData: [] });
  await expect(app.volume.getVolume(project(), volumeId)).rejects.toMatchObject({ status: 404 });
});

test('image: a project\'s images go, the seeded ones stay with their ids', async () => {
  const seeded = (await app.image.listImages(admin, {})).images.map((i) => i.id).sort();
  const made = await app.image.createImage(demo, { name: 'mine', diskFormat: 'raw', containerFormat: 'bare' });
  const out = await app.reset.parts.image.resetToSeed();
  expect(out.rows).toEqual({ images: 1 });
  expect((await app.image.listImages(admin, {})).images.map((i) => i.id).sort()).toEqual(seeded);
  await expect(app.image.getImage(admin, made.id)).rejects.toMatchObject({ status: 404 });
});

test('image: this instance\'s Docker images no kept image accounts for go; what a kept one names stays', async () => {
  const made = await app.image.createImage(demo, { name: 'mine', diskFormat: 'raw', containerFormat: 'bare' });
  const runtime = app.compute.runtime;
  await runtime.commit('c1', app.image.snapshotDockerImageName(made.id), {}); // the image's data, labelled as this instance's
  await runtime.commit('c2', 'snapstack/stray:latest', {}); // what a crash left
  const workspace = await app.image.createImage(admin, { name: 'ws', diskFormat: 'raw', containerFormat: 'bare', owner: 'workspace' });
  await runtime.commit('c3', app.image.snapshotDockerImageName(workspace.id), {}); // part of the seed: stays
  expect(await runtime.ownImages()).toHaveLength(3);
  const out = await app.reset.parts.image.resetToSeed();
  expect(out.docker.images).toBe(2);
  expect((await runtime.ownImages()).flatMap((i) => i.tags)).toEqual([app.image.snapshotDockerImageName(workspace.id)]);
  expect((await app.image.getImage(admin, workspace.id)).id).toBe(workspace.id);
  expect(await runtime.imageExists('snapstack/busybox:latest')).toBe(true); // the seed's, not this instance's
});

test('identity: projects and users made go, the seed stays and its tokens keep working', async () => {
  const p = await app.identity.createProject(admin, { name: 'extra' });
  await app.identity.createUser(admin, { name: 'someone', password: 'pw', default_project_id: p.id });
  const out = await app.reset.parts.identity.resetToSeed();
  expect(out.rows).toMatchObject({ projects: 1, users: 1 });
  expect((await app.identity.validate(demoToken)).projectId).toBe(demo.projectId);
  expect((await app.identity.listProjects(admin, {})).map((x) => x.name).sort()).toEqual(['admin', 'alt_demo', 'demo']);
});

test('jobs: every job row goes', async () => {
  await availableVolume(); // its create ran as a job
  const out = await app.jobs.quiesce(() => app.reset.parts.jobs.resetToSeed());
  expect(out.rows.jobs).toBeGreaterThanOrEqual(1);
});

test('archive: every project\'s snapshots folder goes', async () => {
  const folder = path.join(app.archives.folders.root, project());
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'old.tar'), 'x');
  await app.reset.parts.archive.resetToSeed();
  expect(fs.existsSync(folder)).toBe(false);
});

test('archive: a file removed after the folder was read (a concurrent delete) is 404 to show and left out of a list, not a 500', async () => {
  const caller = { projectId: project(), projectName: 'demo', userId: demo.userId, isAdmin: false };
  const ghost = { name: 'gone.tar', path: path.join(dataDir, 'no-such-folder', 'gone.tar'), size: 1, modifiedAt: new Date() };
  const find = jest.spyOn(app.archives.folders, 'find').mockResolvedValueOnce(ghost);
  const list = jest.spyOn(app.archives.folders, 'list').mockResolvedValueOnce([ghost]);
  try {
    await expect(app.archives.show(caller, 'namespace', 'gone.tar')).rejects.toMatchObject({ status: 404 });
    await expect(app.archives.list(caller, 'namespace')).resolves.toEqual([]);
  } finally {
    find.mockRestore();
    list.mockRestore();
  }
});

test('the whole reset on fakes: every kind of resource gone in one call, rows and objects summed', async () => {
  await activeServer();
  await availableVolume();
  await app.image.createImage(demo, { name: 'mine', diskFormat: 'raw', containerFormat: 'bare' });
  const report = await app.reset.reset();
  expect(report.rows).toMatchObject({ servers: 1, volumes: 1, images: 1 });
  expect(report.docker.containers).toBe(1);
  expect(await app.volume.createVolume(project(), { size: 1 })).toMatchObject({ status: 'creating' }); // and it works as before
});

describe('the orchestrator', () => {
  const part = (name: string, calls: string[], outcome: Partial<ResetOutcome> = {}) => ({
    resetToSeed: async () => {
      calls.push(name);
      return { ...emptyOutcome(), ...outcome };
    },
  });

  test('runs each module\'s part once, in dependency order, inside quiesce, and sums what they removed', async () => {
    const calls: string[] = [];
    const parts: ResetParts = {
      jobs: part('jobs', calls, { rows: { jobs: 2 } }),
      compute: part('compute', calls, { rows: { servers: 1 }, docker: { containers: 1, volumes: 0, images: 1 } }),
      archive: part('archive', calls),
      volume: part('volume', calls, { rows: { volumes: 3 }, docker: { containers: 0, volumes: 3, images: 0 } }),
      image: part('image', calls, { rows: { images: 1 }, docker: { containers: 0, volumes: 0, images: 2 } }),
      identity: part('identity', calls, { rows: { projects: 1 } }),
    };
    let quiesced = false;
    const reset = new InstanceReset({
      jobs: { quiesce: async (fn, prepare) => { quiesced = true; calls.push('quiesce'); await prepare?.(); return fn(); } },
      parts, onReset: [() => { calls.push('hook'); }], log: pino({ level: 'silent' }),
    });
    const report = await reset.reset();
    expect(quiesced).toBe(true);
    // The hooks (fault rules cleared) once claims stopped, inside quiesce, before the parts.
    expect(calls).toEqual(['quiesce', 'hook', ...RESET_ORDER]);
    expect(RESET_ORDER).toEqual(['jobs', 'compute', 'archive', 'volume', 'image', 'identity']);
    expect(report.rows).toEqual({ jobs: 2, servers: 1, volumes: 3, images: 1, projects: 1 });
    expect(report.docker).toEqual({ containers: 1, volumes: 3, images: 3 });
    expect(report.duration_ms).toBeGreaterThanOrEqual(0);
  });

  test('a part that fails stops the reset there, and the error is the caller\'s', async () => {
    const calls: string[] = [];
    const parts: ResetParts = {
      jobs: part('jobs', calls), compute: { resetToSeed: async () => { throw new Error('engine gone'); } }, archive: part('archive', calls),
      volume: part('volume', calls), image: part('image', calls), identity: part('identity', calls),
    };
    const reset = new InstanceReset({ jobs: { quiesce: (fn) => fn() }, parts, onReset: [], log: pino({ level: 'silent' }) });
    await expect(reset.reset()).rejects.toThrow('engine gone');
    expect(calls).toEqual(['jobs']);
  });
});
