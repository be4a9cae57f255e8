// The data path through the Cinder API, on PostgreSQL and a real Docker engine: files written
// through containers, snapshots, volumes from snapshots, chains, deletions in the middle,
// revert and a live (in-use) snapshot, checked by checksums read back through containers.
import { randomUUID } from 'crypto';
import Docker from 'dockerode';
import { startHarness, Harness, Session } from '../../support/snapstack-harness';
import { MV, V, createSnapshot, createVolume, roomyQuotas, waitFor } from '../api/volume/volume-test-helpers';

const IMAGE = process.env.SNAPSTACK_BASE_IMAGE || 'snapstack/busybox:latest';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
/** Every file under /data with its checksum, sorted: the volume's content as one string. */
const LISTING = 'cd /data && find . -type f | sort | xargs -r md5sum';

describe('volume data through the Cinder API (Docker)', () => {
  let h: Harness;
  let demo: Session;

  beforeAll(async () => {
    h = await startHarness(roomyQuotas());
    demo = await h.login('demo');
    expect(h.app.volume.driverKind).toBe('overlay-docker');
  });
  afterAll(async () => { await h.stop(); });

  /** Runs `script` in a throwaway busybox container with the volume at /data; returns stdout. */
  async function inVolume(volumeId: string, script: string): Promise<string> {
    const { dockerVolume } = await h.app.volume.prepareMount(demo.projectId, volumeId);
    const c = await docker.createContainer({
      Image: IMAGE, Cmd: ['sh', '-c', script], Tty: true,
      Labels: { 'snapstack.managed': 'true', 'snapstack.instance': h.app.instanceId, 'snapstack.role': 'test' },
      HostConfig: { Binds: [`${dockerVolume}:/data`] },
    });
    try {
      await c.start();
      const { StatusCode } = await c.wait();
      const out = (await c.logs({ stdout: true, stderr: true })).toString().replace(/\r/g, '');
      if (StatusCode !== 0) throw new Error(`container exited ${StatusCode}: ${out}`);
      return out;
    } finally {
      await c.remove({ force: true });
    }
  }

  const listing = (volumeId: string) => inVolume(volumeId, LISTING);
  const fromSnapshot = async (snapshotId: string) => createVolume(demo, { snapshot_id: snapshotId });

  it('a volume from a snapshot reads exactly the snapshot; later writes on either side stay apart', async () => {
    const v = await createVolume(demo);
    await inVolume(v.id, 'mkdir -p /data/dir && dd if=/dev/urandom of=/data/a bs=1k count=256 2>/dev/null && dd if=/dev/urandom of=/data/b bs=1k count=64 2>/dev/null && echo hello > /data/dir/c');
    const atSnapshot = await listing(v.id);
    expect(atSnapshot.split('\n').filter(Boolean)).toHaveLength(3);
    const s = await createSnapshot(demo, v.id);

    await inVolume(v.id, 'dd if=/dev/urandom of=/data/a bs=1k count=8 conv=notrunc 2>/dev/null && rm /data/b && echo new > /data/d');
    const changed = await listing(v.id);
    expect(changed).not.toBe(atSnapshot);

    const w = await fromSnapshot(s.id);
    expect(await listing(w.id)).toBe(atSnapshot);
    await inVolume(w.id, 'echo from-w > /data/w-only && rm /data/dir/c');
    expect(await listing(v.id)).toBe(changed);
    const again = await fromSnapshot(s.id);
    expect(await listing(again.id)).toBe(atSnapshot);
  });

  it.each([1, 2, 10])('a chain of %i snapshot(s): every snapshot reads back; deleting middle ones loses nothing', async (n) => {
    const v = await createVolume(demo);
    const snaps: Array<{ id: string; expected: string }> = [];
    for (let i = 0; i < n; i++) {
      await inVolume(v.id, `dd if=/dev/urandom of=/data/f${i} bs=1k count=${16 + i} 2>/dev/null && echo ${i} >> /data/log${i > 0 ? ` && rm -f /data/f${i - 1}` : ''}`);
      const expected = await listing(v.id);
      snaps.push({ id: (await createSnapshot(demo, v.id)).id, expected });
    }
    await inVolume(v.id, 'echo tail > /data/tail');
    const head = await listing(v.id);

    const restored = [];
    for (const s of snaps) {
      const r = await fromSnapshot(s.id);
      expect(await listing(r.id)).toBe(s.expected);
      restored.push({ id: r.id, expected: s.expected });
    }

    // Delete every snapshot but the first and the last (for n <= 2: the first one).
    const doomed = n <= 2 ? snaps.slice(0, 1) : snaps.slice(1, -1);
    for (const s of doomed) expect((await demo.request('DELETE', V(`/snapshots/${s.id}`))).status).toBe(202);
    for (const s of doomed) await waitFor(demo, 'snapshots', s.id, ['gone']);

    expect(await listing(v.id)).toBe(head);
    for (const r of restored) expect(await listing(r.id)).toBe(r.expected);
    for (const s of snaps.filter((x) => !doomed.includes(x))) {
      const r = await fromSnapshot(s.id);
      expect(await listing(r.id)).toBe(s.expected);
    }
  }, 240_000);

  it('revert (3.40) brings the volume back to its latest snapshot', async () => {
    const v = await createVolume(demo);
    await inVolume(v.id, 'dd if=/dev/urandom of=/data/keep bs=1k count=128 2>/dev/null && echo v1 > /data/version');
    const s = await createSnapshot(demo, v.id);
    const expected = await listing(v.id);
    await inVolume(v.id, 'echo v2 > /data/version && rm /data/keep && echo junk > /data/junk');
    expect(await listing(v.id)).not.toBe(expected);
    const res = await demo.request('POST', V(`/volumes/${v.id}/action`), { revert: { snapshot_id: s.id } }, MV('3.40'));
    expect(res.status).toBe(202);
    await waitFor(demo, 'volumes', v.id, ['available']);
    expect(await listing(v.id)).toBe(expected);
    expect((await inVolume(v.id, 'cat /data/version')).trim()).toBe('v1');
  });

  it('snapshots an in-use volume with force while a container runs on it', async () => {
    const v = await createVolume(demo);
    await inVolume(v.id, 'echo before > /data/before');
    const serverId = randomUUID();
    await h.app.volume.attachVolume(demo.projectId, v.id, { serverId, device: '/dev/vdb' });
    const { dockerVolume } = await h.app.volume.prepareMount(demo.projectId, v.id);
    const running = await docker.createContainer({
      Image: IMAGE, Cmd: ['sh', '-c', 'echo live > /data/live; sync; sleep 3600'],
      Labels: { 'snapstack.managed': 'true', 'snapstack.instance': h.app.instanceId, 'snapstack.role': 'test' },
      HostConfig: { Binds: [`${dockerVolume}:/data`] },
    });
    try {
      await running.start();
      for (let i = 0; i < 100; i++) {
        const exec = await running.exec({ Cmd: ['test', '-f', '/data/live'] });
        await exec.start({});
        if ((await exec.inspect()).ExitCode === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const refused = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id } });
      expect(refused.status).toBe(400);
      const s = await createSnapshot(demo, v.id, { force: true });
      expect((await running.inspect()).State.Status).toBe('running');
      const copy = await fromSnapshot(s.id);
      expect((await inVolume(copy.id, 'cat /data/before /data/live')).split('\n').filter(Boolean)).toEqual(['before', 'live']);
    } finally {
      await running.remove({ force: true });
      await h.app.volume.detachVolume(demo.projectId, v.id, serverId);
    }
  });

  it('cascade delete removes the volume, its snapshots and its Docker volume', async () => {
    const v = await createVolume(demo);
    await inVolume(v.id, 'echo x > /data/x');
    const s = await createSnapshot(demo, v.id);
    const { dockerVolume } = await h.app.volume.prepareMount(demo.projectId, v.id);
    expect((await docker.getVolume(dockerVolume).inspect()).Labels).toMatchObject({ 'snapstack.volume': v.id, 'snapstack.project': demo.projectId });
    expect((await demo.request('DELETE', V(`/volumes/${v.id}?cascade=true`))).status).toBe(202);
    await waitFor(demo, 'volumes', v.id, ['gone']);
    expect((await demo.request('GET', V(`/snapshots/${s.id}`))).status).toBe(404);
    await expect(docker.getVolume(dockerVolume).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
