// Snapstack in another project's tests: only the package's public exports (`snapstack`, i.e.
// its package.json main, the built dist/), the real `openstack` client configured by the
// clouds.yaml the package writes, and Docker checked afterwards.
import { execFile } from 'child_process';
import fs from 'fs';
import Docker from 'dockerode';
import { startSnapstack, type RunningSnapstack } from 'snapstack';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

describe('startSnapstack() from the package, as another project uses it', () => {
  let cloud: RunningSnapstack | undefined;
  afterAll(async () => {
    await cloud?.stop();
  });

  it('starts, runs a snapshot flow with openstack, resets, fails a snapshot on demand, and stops leaving nothing in Docker', async () => {
    cloud = await startSnapstack({ port: 0 });
    const { instanceId, dataDir } = cloud;
    expect(cloud.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.authUrl).toBe(`${cloud.url}/identity/v3`);
    const cloudsYaml = cloud.writeCloudsYaml();

    const openstack = (args: string[]): Promise<any> => new Promise((resolve, reject) => {
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: 'snapstack' };
      execFile('openstack', [...args, '-f', 'json'], { env, timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`openstack ${args.join(' ')}: ${stderr}`));
        else resolve(stdout.trim() ? JSON.parse(stdout) : undefined);
      });
    });
    const until = async (args: string[], statuses: string[]) => {
      for (let i = 0; i < 120; i++) {
        const shown = await openstack(args);
        if (statuses.includes(shown.status)) return shown.status;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${args.join(' ')} never reached ${statuses.join('/')}`);
    };

    // a snapshot flow: volume, snapshot, a volume from the snapshot
    await openstack(['volume', 'create', '--size', '1', 'data']);
    expect(await until(['volume', 'show', 'data'], ['available', 'error'])).toBe('available');
    await openstack(['volume', 'snapshot', 'create', '--volume', 'data', 'data-snap']);
    expect(await until(['volume', 'snapshot', 'show', 'data-snap'], ['available', 'error'])).toBe('available');
    await openstack(['volume', 'create', '--snapshot', 'data-snap', '--size', '1', 'restored']);
    expect(await until(['volume', 'show', 'restored'], ['available', 'error'])).toBe('available');
    expect(await dockerObjects(instanceId)).toBeGreaterThan(0);

    // reset: back to the seed, nothing of the flow left
    const report = await cloud.reset();
    expect(report.rows).toMatchObject({ volumes: 2, snapshots: 1 });
    expect(await openstack(['volume', 'list'])).toEqual([]);
    expect(await dockerObjects(instanceId)).toBe(0);

    // a snapshot failure on demand: the client sees `error`
    await cloud.faults.add({ target: 'snapshot.create', action: 'fail' });
    await openstack(['volume', 'create', '--size', '1', 'data']);
    expect(await until(['volume', 'show', 'data'], ['available', 'error'])).toBe('available');
    await openstack(['volume', 'snapshot', 'create', '--volume', 'data', 'doomed']);
    expect(await until(['volume', 'snapshot', 'show', 'doomed'], ['available', 'error'])).toBe('error');

    await cloud.stop();
    cloud = undefined;
    expect(await dockerObjects(instanceId)).toBe(0);
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 600_000);
});

async function dockerObjects(instanceId: string): Promise<number> {
  const filters = JSON.stringify({ label: [`snapstack.instance=${instanceId}`] });
  const [c, v, i] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listImages({ filters })]);
  return c.length + (v.Volumes ?? []).length + i.length;
}
