import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import Docker from 'dockerode';

const root = path.resolve(__dirname, '..', '..');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

async function instanceObjects(instanceId: string): Promise<number> {
  const filters = JSON.stringify({ label: [`snapstack.instance=${instanceId}`] });
  const [containers, volumes, images] = await Promise.all([
    docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listImages({ filters }),
  ]);
  return containers.length + (volumes.Volumes ?? []).length + images.length;
}

describe('snapstack serve --ephemeral', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('removes its data directory and every Docker object it made on %s', async (signal) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'snapstack.js'), 'serve', '--ephemeral'], {
      cwd: root,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, SNAPSTACK_PORT: '0', SNAPSTACK_DEMO_PASSWORD: 'demo-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr!.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const listening = await new Promise<{ url: string; data_dir: string; instance_id: string }>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.includes('"msg":"snapstack listening"'));
        if (line) resolve(JSON.parse(line));
      });
      child.on('exit', () => reject(new Error(`exited before listening:\n${out}`)));
    });
    try {
      expect(fs.existsSync(listening.data_dir)).toBe(true);
      // make a Docker object of this instance: a volume
      const auth = await fetch(`${listening.url}/identity/v3/auth/tokens`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'demo-secret' } } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } } }),
      });
      expect(auth.status).toBe(201);
      const token = auth.headers.get('x-subject-token')!;
      const projectId = ((await auth.json()) as any).token.project.id;
      const headers = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };
      const created = await fetch(`${listening.url}/volume/v3/${projectId}/volumes`, { method: 'POST', headers, body: JSON.stringify({ volume: { size: 1, name: 'eph' } }) });
      expect(created.status).toBe(202);
      const id = ((await created.json()) as any).volume.id;
      for (let status = ''; status !== 'available';) {
        const got = (await (await fetch(`${listening.url}/volume/v3/${projectId}/volumes/${id}`, { headers })).json()) as any;
        status = got.volume.status;
        expect(status).not.toMatch(/^error/);
        if (status !== 'available') await new Promise((r) => setTimeout(r, 50));
      }
      expect(await instanceObjects(listening.instance_id)).toBeGreaterThan(0);
    } finally {
      child.kill(signal);
    }
    expect(await exited).toBe(0);
    expect(fs.existsSync(listening.data_dir)).toBe(false);
    expect(await instanceObjects(listening.instance_id)).toBe(0);
  });
});
