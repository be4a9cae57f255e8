// What any volume data driver must do to data, checked through containers on a
// real Docker engine: the overlay driver and the directory fallback alike.
import { DataExistsError, DataNotFoundError, type VolumeDataDriver } from '../../../src/volume/data/volume-data-driver';
import type { KeyedMutex } from '../../../src/shared/keyed-mutex';
import { VolumeDataHarness, describeWithDocker, newId, type DriverKind } from './volume-data-harness';

jest.setTimeout(120_000);

const kinds: DriverKind[] = ['overlay-docker', 'directory'];

describeWithDocker.each(kinds)('volume data semantics (%s)', (kind) => {
  const h = new VolumeDataHarness();
  let driver: VolumeDataDriver;

  beforeAll(async () => {
    await h.setup();
    driver = await h.driver(kind);
  });
  afterAll(() => h.teardown());

  it('refuses a volume from a snapshot and a volume at once, before it locks or makes anything', async () => {
    const vol = newId('vol');
    await expect(driver.createVolume(vol, { projectId: 'p1', fromSnapshotId: newId('snap'), fromVolumeId: newId('vol') }))
      .rejects.toThrow('a volume comes from a snapshot or a volume, not both');
    expect(driver.listVolumeIds()).not.toContain(vol);
  });

  it('a volume made from a snapshot reads exactly the snapshot, whatever changed after', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p1' });
    await h.write(
      driver,
      vol,
      `echo one > a; mkdir -p d/e; echo two > d/e/b; echo gone > d/old; ln -s a link; chmod 640 a;
       chown 1000:1000 d/e/b; head -c 100000 /dev/urandom > big; chmod 1777 /data; chown 7:7 /data`,
    );
    const before = await h.fingerprint(driver, vol);
    expect(before).toContain('./a|regular file|640|0|0|');
    expect(before).toContain('.|directory|1777|7|7');

    const snap = newId('snap');
    await driver.createSnapshot(snap, vol, { projectId: 'p1' });
    // Change, delete, and delete-then-recreate a directory (overlay: opaque dir).
    await h.write(driver, vol, `echo changed > a; rm big link; rm -rf d; mkdir d; echo new > d/new; chmod 755 /data`);
    const after = await h.fingerprint(driver, vol);
    expect(after).toContain('./d/new|');
    expect(after).not.toContain('./d/old|');
    expect(after).not.toContain('./big|');

    const clone = newId('clone');
    await driver.createVolume(clone, { projectId: 'p1', fromSnapshotId: snap });
    expect(await h.fingerprint(driver, clone)).toEqual(before);
    expect(await h.fingerprint(driver, vol)).toEqual(after);

    // Writes to either side are never seen by the other.
    await h.write(driver, clone, 'echo clone-only > c');
    await h.write(driver, vol, 'echo vol-only > v');
    expect(await h.fingerprint(driver, vol)).not.toContain('./c|');
    expect(await h.fingerprint(driver, clone)).not.toContain('./v|');
    expect(await h.snapshotFingerprint(driver, snap)).toEqual(before);
  });

  it.each([1, 2, 10])('a chain of %i snapshots: each reads back, also after deleting some in the middle', async (n) => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p1' });
    const snaps: Array<{ id: string; fp: string }> = [];
    for (let i = 1; i <= n; i++) {
      await h.write(driver, vol, `echo ${i} > f${i}; echo step${i} >> log; rm -f f${i - 2}; mkdir -p dir${i % 3}; echo ${i} > dir${i % 3}/x`);
      const id = newId('snap');
      await driver.createSnapshot(id, vol, { projectId: 'p1' });
      snaps.push({ id, fp: await h.fingerprint(driver, vol) });
    }
    await h.write(driver, vol, 'echo after > after');
    const volumeFp = await h.fingerprint(driver, vol);
    // A volume made from the middle snapshot, written to: it must survive the deletions too.
    const mid = snaps[Math.floor((n - 1) / 2)];
    const clone = newId('clone');
    await driver.createVolume(clone, { projectId: 'p1', fromSnapshotId: mid.id });
    await h.write(driver, clone, 'echo mine > mine');
    const cloneFp = await h.fingerprint(driver, clone);

    for (const s of snaps) expect(await h.snapshotFingerprint(driver, s.id)).toEqual(s.fp);

    const doomed = n === 1 ? [snaps[0]] : snaps.filter((_, i) => i % 3 === 1 || i === Math.floor(n / 2));
    for (const s of doomed) await driver.deleteSnapshot(s.id);
    for (const s of snaps.filter((x) => !doomed.includes(x))) expect(await h.snapshotFingerprint(driver, s.id)).toEqual(s.fp);
    expect(await h.fingerprint(driver, vol)).toEqual(volumeFp);
    expect(await h.fingerprint(driver, clone)).toEqual(cloneFp);
  });

  it('a volume made from a volume copies it at that moment, then both go their own way', async () => {
    const src = newId('vol');
    await driver.createVolume(src, { projectId: 'p1' });
    await h.write(driver, src, 'echo a > a; mkdir d; echo b > d/b');
    const fp = await h.fingerprint(driver, src);
    const copy = newId('copy');
    await driver.createVolume(copy, { projectId: 'p2', fromVolumeId: src });
    expect(await h.fingerprint(driver, copy)).toEqual(fp);
    await h.write(driver, src, 'rm -rf d; echo src > s');
    expect(await h.fingerprint(driver, copy)).toEqual(fp);
    await h.write(driver, copy, 'echo c > c');
    expect(await h.fingerprint(driver, src)).not.toContain('./c|');
  });

  it('revert brings back the snapshot; the volume stays writable; the snapshot stays intact', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p1' });
    await h.write(driver, vol, 'echo one > a; mkdir d; echo x > d/x');
    const fp = await h.fingerprint(driver, vol);
    const snap = newId('snap');
    await driver.createSnapshot(snap, vol, { projectId: 'p1' });
    await h.write(driver, vol, 'echo two > a; rm -rf d; echo more > b');
    await driver.revertVolume(vol, snap);
    expect(await h.fingerprint(driver, vol)).toEqual(fp);
    await h.write(driver, vol, 'echo three > a');
    expect(await h.snapshotFingerprint(driver, snap)).toEqual(fp);
    await driver.revertVolume(vol, snap);
    expect(await h.fingerprint(driver, vol)).toEqual(fp);
    await driver.deleteSnapshot(snap);
    expect(await h.fingerprint(driver, vol)).toEqual(fp);
  });

  it('snapshots outlive their volume; deletes are idempotent', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p1' });
    await h.write(driver, vol, 'echo keep > k');
    const fp = await h.fingerprint(driver, vol);
    const snap = newId('snap');
    await driver.createSnapshot(snap, vol, { projectId: 'p1' });
    await driver.deleteVolume(vol);
    await driver.deleteVolume(vol);
    expect(await h.snapshotFingerprint(driver, snap)).toEqual(fp);
    await driver.deleteSnapshot(snap);
    await driver.deleteSnapshot(snap);
    await expect(driver.snapshotLayers(snap)).rejects.toBeInstanceOf(DataNotFoundError);
  });

  it('concurrent snapshots, clones and deletes on one volume all see the same data', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p1' });
    await h.write(driver, vol, 'echo base > a; mkdir d; echo x > d/x');
    const fp = await h.fingerprint(driver, vol);
    const snaps = [1, 2, 3, 4, 5].map(() => newId('snap'));
    await Promise.all(snaps.map((id) => driver.createSnapshot(id, vol, { projectId: 'p1' })));
    const clones = [1, 2, 3, 4].map(() => newId('clone'));
    await Promise.all([
      driver.createVolume(clones[0], { projectId: 'p1', fromSnapshotId: snaps[0] }),
      driver.createVolume(clones[1], { projectId: 'p1', fromSnapshotId: snaps[1] }),
      driver.createVolume(clones[2], { projectId: 'p1', fromSnapshotId: snaps[2] }),
      driver.createVolume(clones[3], { projectId: 'p1', fromVolumeId: vol }),
      driver.deleteSnapshot(snaps[3]),
      driver.deleteSnapshot(snaps[4]),
    ]);
    for (const c of clones) expect(await h.fingerprint(driver, c)).toEqual(fp);
    for (const s of snaps.slice(0, 3)) expect(await h.snapshotFingerprint(driver, s)).toEqual(fp);
    expect(await h.fingerprint(driver, vol)).toEqual(fp);
  });

  it('clones of one snapshot never wait for its volume; deleting the snapshot waits for clones in flight', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p1' });
    await h.write(driver, vol, 'echo one > a; mkdir d; echo two > d/b');
    const fp = await h.fingerprint(driver, vol);
    const snap = newId('snap');
    await driver.createSnapshot(snap, vol, { projectId: 'p1' });
    const clone = (id: string) => driver.createVolume(id, { projectId: 'p1', fromSnapshotId: snap });

    // Whatever holds the source volume (a capture, a revert) does not hold up clones of its snapshots.
    const locks = (driver as unknown as { locks: KeyedMutex }).locks;
    const first = [1, 2, 3, 4].map(() => newId('clone'));
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('stuck behind the volume lock'), 60_000)));
    const underLock = locks.withLock(vol, () => Promise.race([Promise.all(first.map(clone)).then(() => 'made'), stuck]));
    expect(await underLock).toBe('made');
    clearTimeout(timer);

    const order: string[] = [];
    const more = [1, 2, 3, 4].map(() => newId('clone'));
    const cloning = more.map((id) => clone(id).then(() => order.push('clone')));
    await new Promise((r) => setImmediate(r)); // the clones have started
    const deleting = driver.deleteSnapshot(snap).then(() => order.push('delete'));
    await Promise.all([...cloning, deleting]);
    expect(order).toEqual(['clone', 'clone', 'clone', 'clone', 'delete']);
    expect(driver.listSnapshotIds()).not.toContain(snap);
    await expect(clone(newId('late'))).rejects.toBeInstanceOf(DataNotFoundError);
    for (const c of [...first, ...more]) expect(await h.fingerprint(driver, c)).toEqual(fp);
  });

  it('throws typed errors for unknown and duplicate ids', async () => {
    const vol = newId('vol');
    await expect(driver.createSnapshot(newId('snap'), vol, { projectId: 'p' })).rejects.toBeInstanceOf(DataNotFoundError);
    await expect(driver.createVolume(newId('v'), { projectId: 'p', fromSnapshotId: 'nope' })).rejects.toBeInstanceOf(DataNotFoundError);
    await expect(driver.createVolume(newId('v'), { projectId: 'p', fromVolumeId: 'nope' })).rejects.toBeInstanceOf(DataNotFoundError);
    await expect(driver.prepareMount(vol)).rejects.toBeInstanceOf(DataNotFoundError);
    await driver.createVolume(vol, { projectId: 'p' });
    await expect(driver.createVolume(vol, { projectId: 'p' })).rejects.toBeInstanceOf(DataExistsError);
    await expect(driver.revertVolume(vol, 'nope')).rejects.toBeInstanceOf(DataNotFoundError);
  });

  it('a restarted driver finds every volume and snapshot', async () => {
    const vol = newId('vol');
    await driver.createVolume(vol, { projectId: 'p1' });
    await h.write(driver, vol, 'echo 1 > a');
    const snap = newId('snap');
    await driver.createSnapshot(snap, vol, { projectId: 'p1' });
    const snapFp = await h.fingerprint(driver, vol);
    await h.write(driver, vol, 'echo 2 > b; chmod 1777 /data');
    const volFp = await h.fingerprint(driver, vol);

    const restarted = await h.driver(kind);
    expect(restarted.listSnapshotIds()).toContain(snap);
    expect(restarted.listVolumeIds()).toContain(vol);
    expect(await h.fingerprint(restarted, vol)).toEqual(volFp);
    expect(await h.snapshotFingerprint(restarted, snap)).toEqual(snapFp);
    driver = restarted;
  });
});
