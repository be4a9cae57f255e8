// The testcontainers module as another project uses it: SnapstackContainer starts the image
// (built from this checkout, see snapstack-image.ts), the real `openstack` client reads the
// clouds.yaml it writes, and a snapshot carries data written in one server to a volume booted
// in another. stop() leaves nothing: no container, no Docker volume, no data directory.
// Ryuk, testcontainers' reaper, needs an image from a registry: it is off, and stop() cleans.
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

import { execFile, execFileSync } from 'child_process';
import Docker from 'dockerode';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { SnapstackContainer, type StartedSnapstackContainer } from '../../src/testing/snapstack-container';
import { containerOf, dockerExec, pollUntil, randomName } from '../support/compute-helpers';
import { snapstackTestImage } from '../support/snapstack-image';

const ROOT = path.resolve(__dirname, '..', '..');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let image: string;
let workDir: string;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-tc-'));
  image = await snapstackTestImage();
}, 20 * 60_000);
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** The `openstack` client with nothing but OS_CLOUD and the container's clouds.yaml. */
function openstack(cloudsFile: string, args: string[]): Promise<any> {
  const env = { PATH: process.env.PATH, HOME: workDir, LANG: 'C.UTF-8', OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLOUD: 'snapstack', OS_COMPUTE_API_VERSION: '2.37' };
  return new Promise((resolve, reject) => {
    execFile('openstack', [...args, '-f', 'json'], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`openstack ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.toString()));
    });
  });
}

async function labelled(instanceId: string): Promise<{ containers: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`snapstack.instance=${instanceId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  const { Volumes } = await docker.listVolumes({ filters });
  return { containers: containers.length, volumes: (Volumes ?? []).length };
}

test('the package exports SnapstackContainer as snapstack/testcontainers (built)', () => {
  const out = execFileSync(process.execPath, ['-p', "typeof require('snapstack/testcontainers').SnapstackContainer"], { cwd: ROOT, encoding: 'utf8' });
  expect(out.trim()).toBe('function');
});

test('SnapstackContainer: start, openstack via clouds.yaml, data through a snapshot into a new volume, stop leaves nothing', async () => {
  let ss: StartedSnapstackContainer | undefined = await new SnapstackContainer(image).withPasswords({ demo: 'demo-tc' }).start();
  const { instanceId, dataDir, containerId } = { instanceId: ss.getInstanceId(), dataDir: ss.getDataDir(), containerId: ss.getId() };
  try {
    expect(ss.getAuthUrl()).toBe(`${ss.getUrl()}/identity/v3`);
    expect(ss.getCredentials('demo')).toMatchObject({ username: 'demo', password: 'demo-tc', projectName: 'demo' });
    // Published on loopback only, on the port the catalog names.
    const inspect = await docker.getContainer(containerId).inspect();
    expect(Object.values(inspect.HostConfig.PortBindings ?? {}).flat()).toEqual([
      expect.objectContaining({ HostIp: '127.0.0.1', HostPort: new URL(ss.getUrl()).port }),
    ]);
    const cloudsFile = ss.writeCloudsYaml(path.join(workDir, 'clouds.yaml'));
    expect((fs.statSync(cloudsFile).mode & 0o777).toString(8)).toBe('600');

    const token = await openstack(cloudsFile, ['token', 'issue']);
    expect(token.project_id).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(await openstack(cloudsFile, ['catalog', 'list']))).toContain(`${ss.getUrl()}/volume/v3/${token.project_id}`);

    const volName = randomName('tc-vol');
    await openstack(cloudsFile, ['volume', 'create', '--size', '1', '--bootable', volName]);
    await pollUntil(() => openstack(cloudsFile, ['volume', 'show', volName]), (v) => v.status === 'available', 60_000, 'volume available');
    const s1 = await openstack(cloudsFile, ['server', 'create', '--volume', volName, '--flavor', 'm1.zero', '--network', 'none', '--wait', randomName('tc-s1')]);
    const c1 = await containerOf(instanceId, s1.id);
    await dockerExec(c1!.Id, 'echo "written in a container-run Snapstack" > /mnt/vda/hello && sync');

    const snapName = randomName('tc-snap');
    await openstack(cloudsFile, ['volume', 'snapshot', 'create', '--volume', volName, '--force', snapName]);
    await pollUntil(() => openstack(cloudsFile, ['volume', 'snapshot', 'show', snapName]), (s) => s.status === 'available', 60_000, 'snapshot available');
    const restored = randomName('tc-restored');
    await openstack(cloudsFile, ['volume', 'create', '--snapshot', snapName, '--size', '1', '--bootable', restored]);
    await pollUntil(() => openstack(cloudsFile, ['volume', 'show', restored]), (v) => v.status === 'available', 60_000, 'volume from snapshot');
    const s2 = await openstack(cloudsFile, ['server', 'create', '--volume', restored, '--flavor', 'm1.zero', '--network', 'none', '--wait', randomName('tc-s2')]);
    const c2 = await containerOf(instanceId, s2.id);
    expect(await dockerExec(c2!.Id, 'cat /mnt/vda/hello')).toBe('written in a container-run Snapstack\n');
    expect(await labelled(instanceId)).toMatchObject({ containers: 2 });
  } finally {
    await ss?.stop();
    ss = undefined;
  }
  expect(await labelled(instanceId)).toEqual({ containers: 0, volumes: 0 });
  expect((await docker.listContainers({ all: true, filters: JSON.stringify({ id: [containerId] }) })).length).toBe(0);
  expect(fs.existsSync(dataDir)).toBe(false);
}, 10 * 60_000);

test('a Snapstack that cannot start fails start() at once, with its last log lines, and leaves no container', async () => {
  const before = (await docker.listContainers({ all: true, filters: JSON.stringify({ ancestor: [image] }) })).length;
  const t0 = Date.now();
  const err = await new SnapstackContainer(image).withEnvironment({ SNAPSTACK_SNAPSHOT_CONSISTENCY: 'sometimes' }).start().then(
    () => { throw new Error('started'); },
    (e: Error) => e,
  );
  expect(err.message).toContain('exited');
  expect(err.message).toContain('SNAPSTACK_SNAPSHOT_CONSISTENCY must be one of');
  expect(Date.now() - t0).toBeLessThan(60_000); // not the 180 s startup timeout
  expect((await docker.listContainers({ all: true, filters: JSON.stringify({ ancestor: [image] }) })).length).toBe(before);
}, 5 * 60_000);
