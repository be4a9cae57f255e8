// What only the overlay driver has: live capture under pause, stale Docker
// volumes, flattening, layer sharing and collection, reconcile.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { LABELS, managedLabels } from '../../../src/runtime/docker-engine';
import { DataBusyError, requireCapability, type VolumeDataDriver } from '../../../src/volume/data/volume-data-driver';
import { VolumeDataHarness, describeWithDocker, newId } from './volume-data-harness';

jest.setTimeout(120_000);

/** Reads container events between two instants (the stream ends at `until`). */
async function containerEvents(docker: Docker, id: string, since: number, until: number): Promise<string[]> {
  const stream = await docker.getEvents({ since: Math.floor(since / 1000), until: Math.ceil(until / 1000) + 1, filters: { container: [id] } });
  let raw = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) raw += chunk.toString('utf8');
  return raw
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { Action: string }).Action);
}

async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await fn().catch((err: unknown) => void (last = err));
    if (v !== undefined && ok(v)) return v;
    if (v !== undefined) last = v;
    if (Date.now() > deadline) throw new Error(`condition not met in time; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeWithDocker('overlay-docker volume data', () => {
  const h = new VolumeDataHarness();
  let driver: VolumeDataDriver;

  beforeAll(async () => {
    await h.setup();
    driver = await h.driver('overlay-docker');
  });
  afterAll(() => h.teardown());

  // Writer: counter is replaced atomically, then the log appended; a consistent
  // capture has counter - last(log) in {0, 1} and a gap-free log.
  const WRITER = `rm -rf /data/d; mkdir /data/d; echo new > /data/d/new; i=0
    while true; do i=$((i+1)); echo $i > /data/tmp; mv /data/tmp /data/counter; echo $i >> /data/log; usleep 1000; done`;
  const CHECK = `cd /data; c=$(cat counter); l=$(tail -n 1 log); n=$(wc -l < log); echo "counter=$c last=$l lines=$n"; ls d; cat base`;

  it.each(['host', 'helper'] as const)('snapshots a volume a running container writes to, pausing it (%s file ops)', async (fileOps) => {
    const d = fileOps === 'host' ? driver : await h.isolatedDriver('overlay-docker', { fileOps });
    const vol = newId('vol');
    await d.createVolume(vol, { projectId: 'p' });
    await h.write(d, vol, 'mkdir d; echo old > d/old; echo base > base');
    await d.createSnapshot(newId('snap'), vol, { projectId: 'p' }); // d/old now sits in a read-only layer
    const chainBefore = (await h.volumeManifest(vol)).chain;

    const { dockerVolume } = await d.prepareMount(vol);
    const writer = await h.createContainer(dockerVolume, WRITER);
    await writer.start();
    try {
      await poll(() => h.run(dockerVolume, 'cat /data/counter'), (out) => Number(out) >= 50);
      const snap = newId('snap');
      const since = Date.now();
      await d.createSnapshot(snap, vol, { projectId: 'p' });
      const events = await containerEvents(h.docker, writer.id, since, Date.now());
      expect(events).toEqual(expect.arrayContaining(['pause', 'unpause']));
      const state = (await writer.inspect()).State;
      expect(state.Running && !state.Paused).toBe(true);

      // The live upper was copied; the volume keeps its chain and its Docker volume.
      expect((await h.volumeManifest(vol)).chain).toEqual(chainBefore);
      expect(await d.snapshotLayers(snap)).toHaveLength(chainBefore.length + 1);

      const probe = newId('probe');
      await d.createVolume(probe, { projectId: 'p', fromSnapshotId: snap });
      const out = await h.run((await d.prepareMount(probe)).dockerVolume, CHECK);
      const m = /counter=(\d+) last=(\d+) lines=(\d+)/.exec(out);
      expect(m).not.toBeNull();
      const [counter, last, lines] = m!.slice(1).map(Number);
      expect(counter - last).toBeGreaterThanOrEqual(0);
      expect(counter - last).toBeLessThanOrEqual(1);
      expect(lines).toBe(last);
      expect(out).toContain('new'); // the re-created directory hides the frozen d/old (opaque xattr copied)
      expect(out).not.toContain('old');
      expect(out).toContain('base');
      await d.deleteVolume(probe);
    } finally {
      await writer.remove({ force: true });
    }
    // Stopped: the next snapshot freezes, and every layer goes once nothing needs it.
    const last = newId('snap');
    await d.createSnapshot(last, vol, { projectId: 'p' });
    expect(await h.snapshotFingerprint(d, last)).toEqual(await h.fingerprint(d, vol));
  });

  it('a stale Docker volume cannot be mounted; prepareMount re-creates it once no container references it', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p' });
    await h.write(driver, vol, 'echo 1 > a');
    const name = (await driver.prepareMount(vol)).dockerVolume;
    const stopped = await h.createContainer(name, 'echo hello > /data/b');

    const snap = newId('snap');
    await driver.createSnapshot(snap, vol, { projectId: 'p' }); // frozen: the Docker volume is stale
    await expect(stopped.start()).rejects.toThrow(/no such file or directory/);
    await expect(driver.prepareMount(vol)).rejects.toBeInstanceOf(DataBusyError);
    await expect(driver.deleteVolume(vol)).rejects.toBeInstanceOf(DataBusyError);
    await expect(driver.revertVolume(vol, snap)).rejects.toBeInstanceOf(DataBusyError);
    await stopped.remove({ force: true });

    await h.write(driver, vol, 'echo 2 > b');
    expect(await h.fingerprint(driver, vol)).toContain('./b|');
    expect(await h.snapshotFingerprint(driver, snap)).not.toContain('./b|');
  });

  it('a snapshot with nothing written since the last one adds no layer', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p' });
    await h.write(driver, vol, 'echo 1 > a');
    const [s1, s2] = [newId('snap'), newId('snap')];
    await driver.createSnapshot(s1, vol, { projectId: 'p' });
    const layers = await h.layerCount();
    await driver.createSnapshot(s2, vol, { projectId: 'p' });
    expect(await driver.snapshotLayers(s2)).toEqual(await driver.snapshotLayers(s1));
    expect(await h.layerCount()).toBe(layers);
  });

  it('flatten merges a chain without changing any data; layers are collected when nothing needs them', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p' });
    const snaps: Array<{ id: string; fp: string }> = [];
    for (let i = 1; i <= 6; i++) {
      await h.write(driver, vol, `echo ${i} > f${i}; rm -f f${i - 1}; mkdir -p d; echo ${i} >> d/log; chmod 70${i} /data`);
      const id = newId('snap');
      await driver.createSnapshot(id, vol, { projectId: 'p' });
      snaps.push({ id, fp: await h.fingerprint(driver, vol) });
    }
    await h.write(driver, vol, 'echo top > top');
    const volFp = await h.fingerprint(driver, vol);
    expect((await h.volumeManifest(vol)).chain).toHaveLength(6);

    await requireCapability(driver, 'flatten').flatten(vol);
    expect((await h.volumeManifest(vol)).chain).toHaveLength(1);
    expect(await driver.snapshotLayers(snaps[5].id)).toHaveLength(1); // same chain as the volume: shares the merge
    expect(await h.fingerprint(driver, vol)).toEqual(volFp);
    for (const s of snaps) expect(await h.snapshotFingerprint(driver, s.id)).toEqual(s.fp);

    const before = await h.layerCount();
    for (const s of snaps) await driver.deleteSnapshot(s.id);
    expect(await h.layerCount()).toBeLessThan(before);
    await driver.deleteVolume(vol);
    const names = (await h.dockerVolumes()).map((v) => v.Name);
    expect(names).not.toContain(driver.dockerVolumeName(vol));
  });

  it('chains deeper than maxChainDepth are flattened in the background', async () => {
    const d = await h.isolatedDriver('overlay-docker', { maxChainDepth: 3 });
    const vol = newId('vol');
    await d.createVolume(vol, { projectId: 'p' });
    const snaps: Array<{ id: string; fp: string }> = [];
    for (let i = 1; i <= 5; i++) {
      await h.write(d, vol, `echo ${i} > f${i}`);
      const id = newId('snap');
      await d.createSnapshot(id, vol, { projectId: 'p' });
      snaps.push({ id, fp: await h.fingerprint(d, vol) });
    }
    await d.whenIdle!();
    expect((await h.volumeManifest(vol)).chain.length).toBeLessThanOrEqual(3);
    for (const s of snaps) expect(await h.snapshotFingerprint(d, s.id)).toEqual(s.fp);
  });

  it('a chain whose mount options would not fit is flattened before mounting', async () => {
    const d = await h.isolatedDriver('overlay-docker', { maxMountOptionsLength: 300 });
    const vol = newId('vol');
    await d.createVolume(vol, { projectId: 'p' });
    const snaps: Array<{ id: string; fp: string }> = [];
    for (let i = 1; i <= 6; i++) {
      await h.write(d, vol, `echo ${i} > f${i}`);
      const id = newId('snap');
      await d.createSnapshot(id, vol, { projectId: 'p' });
      snaps.push({ id, fp: await h.fingerprint(d, vol) });
    }
    const info = await h.docker.getVolume(d.dockerVolumeName(vol)).inspect();
    expect((info.Options as Record<string, string>).o.length).toBeLessThanOrEqual(300);
    for (const s of snaps) expect(await h.snapshotFingerprint(d, s.id)).toEqual(s.fp);
  });

  it('a restart removes what a crash left half-made and keeps the rest', async () => {
    const instance = h.newInstance();
    const { dataDir } = instance;
    const d = await h.driver('overlay-docker', instance);
    const vol = newId('vol');
    await d.createVolume(vol, { projectId: 'p' });
    await h.write(d, vol, 'echo 1 > a');
    const snap = newId('snap');
    await d.createSnapshot(snap, vol, { projectId: 'p' });
    const fp = await h.fingerprint(d, vol);
    const layers = await h.layerCount(dataDir);
    // A layer being built, and a manifest being written, when the process died.
    await fs.mkdir(path.join(dataDir, 'cow', 'l', 'deadbeef', 'sub'), { recursive: true });
    await fs.writeFile(path.join(dataDir, 'cow', 'volumes', `${vol}.json.1.abcd.tmp`), '{"trunc');

    const restarted = await h.driver('overlay-docker', instance);
    expect(await h.layerCount(dataDir)).toBe(layers);
    expect(await fs.readdir(path.join(dataDir, 'cow', 'volumes'))).toEqual([`${vol}.json`]);
    expect(await h.fingerprint(restarted, vol)).toEqual(fp);
    expect(await h.snapshotFingerprint(restarted, snap)).not.toEqual('');
  });

  it('reconcile re-creates missing Docker volumes and reports (and removes) unused ones without data', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p' });
    await h.write(driver, vol, 'echo 1 > a');
    const fp = await h.fingerprint(driver, vol);
    await h.docker.getVolume(driver.dockerVolumeName(vol)).remove();
    const ghost = newId('ghost');
    await h.docker.createVolume({
      Name: `snapstack-${h.instanceId}-${ghost}`,
      Labels: managedLabels(h.instanceId, { [LABELS.volume]: ghost }),
    });

    const result = await driver.reconcile();
    expect(result.repaired).toEqual([vol]);
    expect(result.orphans).toEqual([ghost]);
    expect((await h.dockerVolumes()).map((v) => v.Name)).not.toContain(`snapstack-${h.instanceId}-${ghost}`);
    expect(await h.fingerprint(driver, vol)).toEqual(fp);
    expect(await driver.reconcile()).toEqual({ repaired: [], orphans: [] });
  });
});
