/**
 * A snapshot read as a clone source, across replicas: two overlay drivers on one data directory
 * and one Docker engine, each with its own advisory locks on one PostgreSQL (as two replicas'
 * volume modules are). A clone in progress through one holds the snapshot (shared), and so does an
 * export; a delete through the other waits for them, then removes the snapshot: what one process does.
 */
import fs from 'fs';
import path from 'path';
import { cloneSourceKey } from '../../../src/volume/data/volume-data-driver';
import { DataNotFoundError } from '../../../src/volume/data/volume-data-errors';
import { describeWithDocker, newId } from '../volume-data/volume-data-harness';
import { ReplicaDrivers, gateMethod } from './replica-drivers';

jest.setTimeout(120_000);

describeWithDocker('clone sources across replicas', () => {
  const replicas = new ReplicaDrivers();
  const h = replicas.h;

  beforeAll(() => replicas.setup());
  afterAll(() => replicas.teardown());

  it('a delete through one replica waits for a clone in progress through the other, then removes the snapshot', async () => {
    const a = await replicas.driver();
    const b = await replicas.driver();
    const vol = newId('vol');
    await a.createVolume(vol, { projectId: 'p1' });
    await h.write(a, vol, 'echo one > a; mkdir d; echo two > d/b');
    const fp = await h.fingerprint(a, vol);
    const snap = newId('snap');
    await a.createSnapshot(snap, vol, { projectId: 'p1' });
    const snapFile = path.join(h.dataDir, 'cow', 'snapshots', `${snap}.json`);
    expect(fs.existsSync(snapFile)).toBe(true);

    // A's clone stops half-way (its source held) until the gate opens.
    const copying = gateMethod(a, 'cloneInto');
    const clone = newId('clone');
    const cloning = a.createVolume(clone, { projectId: 'p1', fromSnapshotId: snap });
    await copying.reached;

    let deleted = false;
    const deleting = b.deleteSnapshot(snap).then(() => void (deleted = true));
    await replicas.waitingFor(cloneSourceKey(snap));
    expect(deleted).toBe(false);
    expect(fs.existsSync(snapFile)).toBe(true);

    copying.open();
    await cloning;
    await deleting;
    copying.restore();
    expect(fs.existsSync(snapFile)).toBe(false);
    expect(b.listSnapshotIds()).not.toContain(snap);
    // The clone has all of the snapshot's data: no layer of it was collected under it.
    expect(await h.fingerprint(b, clone)).toEqual(fp);
    // A clone after the delete finds the snapshot gone, in either replica.
    await expect(b.createVolume(newId('late'), { projectId: 'p1', fromSnapshotId: snap })).rejects.toBeInstanceOf(DataNotFoundError);
    await expect(a.createVolume(newId('late'), { projectId: 'p1', fromSnapshotId: snap })).rejects.toBeInstanceOf(DataNotFoundError);
  });

  it('a delete through one replica waits for an export of the snapshot open in the other', async () => {
    const a = await replicas.driver();
    const b = await replicas.driver();
    const vol = newId('vol');
    await a.createVolume(vol, { projectId: 'p1' });
    await h.write(a, vol, 'echo exported > e');
    const snap = newId('snap');
    await a.createSnapshot(snap, vol, { projectId: 'p1' });
    const ex = await a.openExport([snap]);
    const [layer] = ex.chains.get(snap)!;
    let deleted = false;
    const deleting = b.deleteSnapshot(snap).then(() => void (deleted = true));
    await replicas.waitingFor(cloneSourceKey(snap));
    expect(deleted).toBe(false);
    // The export still reads every layer of it.
    expect((await ex.entries(layer.id)).length).toBeGreaterThan(0);
    ex.release();
    await deleting;
    expect(a.listSnapshotIds()).not.toContain(snap);
  });
});
