/**
 * Layers shared between manifests, across replicas: two overlay drivers on one data directory
 * and one Docker engine, each with its own advisory locks on one PostgreSQL (replica-drivers.ts).
 * An archive import through one that reuses a layer holds it while the other deletes the last
 * snapshot holding it; a flatten through one rewrites a chain the other is changing only under
 * that volume's lock, re-reading it there. The interleavings are fixed by gates inside the
 * operations and by waiting for a waiter to show in pg_locks, not by sleeps.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ArchiveManifest } from '../../../src/archive/archive-format';
import type { OverlayDockerDriver } from '../../../src/volume/data/overlay-docker-driver';
import { FLATTEN_TURN } from '../../../src/volume/data/overlay-flattener';
import { cloneSourceKey, requireCapability } from '../../../src/volume/data/volume-data-driver';
import { describeWithDocker, newId } from '../volume-data/volume-data-harness';
import { asImported, exportSnapshot, importArchive } from '../volume-data/volume-data-archives';
import { ReplicaDrivers, gateMethod } from './replica-drivers';

jest.setTimeout(180_000);

describeWithDocker('layers shared across replicas', () => {
  const replicas = new ReplicaDrivers();
  const h = replicas.h;
  let a: OverlayDockerDriver;
  let b: OverlayDockerDriver;

  beforeAll(async () => {
    await replicas.setup();
    a = await replicas.driver();
    b = await replicas.driver();
  });
  afterAll(() => replicas.teardown());

  const cow = (...parts: string[]) => path.join(h.dataDir, 'cow', ...parts);
  const manifest = (kind: 'volumes' | 'snapshots', id: string): { chain: string[]; upper?: string } =>
    JSON.parse(readFileSync(cow(kind, `${id}.json`), 'utf8'));

  /** Every layer some manifest names is on disk. */
  async function expectNoMissingLayer(): Promise<void> {
    for (const kind of ['volumes', 'snapshots'] as const) {
      for (const file of await fs.readdir(cow(kind))) {
        if (!file.endsWith('.json')) continue;
        const m = manifest(kind, file.slice(0, -'.json'.length));
        for (const layer of [...m.chain, ...(m.upper ? [m.upper] : [])]) expect([file, layer, existsSync(cow('l', layer))]).toEqual([file, layer, true]);
      }
    }
  }

  /**
   * s1 (one layer) is left the last holder of its layer; an archive incremental over s1's
   * export (one layer more) and the data a snapshot of it reads.
   */
  async function incrementalOverLastHolder(): Promise<{ s1: string; file: string; fp: string }> {
    const vol = newId('vol');
    await a.createVolume(vol, { projectId: 'p1' });
    await h.write(a, vol, 'echo base > base; mkdir d; echo one > d/one');
    const s1 = newId('s1');
    await a.createSnapshot(s1, vol, { projectId: 'p1' });
    await h.write(a, vol, 'echo top > top; rm d/one');
    const s2 = newId('s2');
    await a.createSnapshot(s2, vol, { projectId: 'p1' });
    const fp = await h.snapshotFingerprint(a, s2);
    const dir = await fs.mkdtemp(path.join(h.dataDir, 'out-'));
    const full: ArchiveManifest = await exportSnapshot(a, s1, path.join(dir, 's1.tar'));
    const file = path.join(dir, 's2-incr.tar');
    const incr = await exportSnapshot(a, s2, file, full);
    expect(incr.base?.layer_ids).toHaveLength(1);
    await a.deleteSnapshot(s2);
    await a.deleteVolume(vol);
    return { s1, file, fp };
  }

  it('an import reusing a layer holds it: a delete of its last snapshot through the other replica waits, and the import is whole', async () => {
    const { s1, file, fp } = await incrementalOverLastHolder();
    const s1Layer = manifest('snapshots', s1).chain[0];
    let deleting: Promise<void> | undefined;
    // Once A's import has found (and holds) s1's layer, B deletes s1; that delete waits for it.
    const imported = await importArchive(a, file, 'p1', async () => {
      deleting = b.deleteSnapshot(s1);
      await replicas.waitingFor(cloneSourceKey(s1));
      expect(existsSync(cow('snapshots', `${s1}.json`))).toBe(true);
    });
    await deleting;
    expect(existsSync(cow('snapshots', `${s1}.json`))).toBe(false);
    expect(a.listSnapshotIds()).not.toContain(s1);
    // The imported snapshot keeps the reused layer (not collected with s1) and reads whole, in both replicas.
    expect(manifest('snapshots', imported).chain).toContain(s1Layer);
    await expectNoMissingLayer();
    expect(await h.snapshotFingerprint(b, imported)).toEqual(asImported(fp));
    expect(await h.snapshotFingerprint(a, imported)).toEqual(asImported(fp));
    await b.deleteSnapshot(imported);
  });

  it('an import that finds the layer while a delete through the other replica removes its last snapshot fails cleanly', async () => {
    const { s1, file } = await incrementalOverLastHolder();
    // B's delete holds s1 (exclusive) and stops before removing it.
    const removal = gateMethod((b as unknown as { store: object }).store, 'removeSnapshot');
    try {
      const deleting = b.deleteSnapshot(s1);
      await removal.reached;
      // A's import sees s1 (its file is still there) and waits to hold it; then B goes on.
      const importing = importArchive(a, file, 'p1');
      await replicas.waitingFor(cloneSourceKey(s1));
      removal.open();
      await deleting;
      await expect(importing).rejects.toThrow(/base layers missing/);
    } finally {
      removal.restore();
    }
    // Nothing half-made: no snapshot over a missing layer, nothing left staged.
    await expectNoMissingLayer();
    expect(await fs.readdir(cow('staging'))).toEqual([]);
  });

  it('a flatten through one replica while the other snapshots a volume sharing the chain leaves every manifest consistent', async () => {
    const vol = newId('vol');
    await a.createVolume(vol, { projectId: 'p1' });
    const snaps: Array<{ id: string; fp: string }> = [];
    for (let i = 1; i <= 4; i++) {
      await h.write(a, vol, `echo ${i} > f${i}; rm -f f${i - 1}; echo ${i} >> log`);
      const id = newId('snap');
      await a.createSnapshot(id, vol, { projectId: 'p1' });
      snaps.push({ id, fp: await h.snapshotFingerprint(a, id) });
    }
    const suffix = manifest('volumes', vol).chain;
    expect(suffix).toHaveLength(4);
    const volFp = await h.fingerprint(a, vol);
    // A clone of the last snapshot: its chain is the same four layers.
    const clone = newId('clone');
    await b.createVolume(clone, { projectId: 'p1', fromSnapshotId: snaps[3].id });
    await h.write(b, clone, 'echo clone > c; rm log');

    // A's flatten stops once the merged layer is written, before any chain is rewritten.
    const copied = gateMethod((a as unknown as { flattener: object }).flattener, 'rewriteAll');
    // B's snapshot of the clone stops inside the clone's lock, before its capture.
    const capturing = gateMethod(b, 'capture');
    const cloneSnap = newId('csnap');
    try {
      const flattening = requireCapability(a, 'flatten').flatten(vol);
      await copied.reached;
      const snapshotting = b.createSnapshot(cloneSnap, clone, { projectId: 'p1' });
      await capturing.reached;
      // A rewrites the volume, then waits for the clone's lock that B holds.
      copied.open();
      await replicas.waitingFor(clone);
      expect(manifest('volumes', vol).chain).toHaveLength(1);
      capturing.open();
      await snapshotting;
      await flattening;
    } finally {
      copied.restore();
      capturing.restore();
    }

    // B's snapshot froze the clone's upper on top of its chain; A's rewrite kept it (re-read under the lock).
    const merged = manifest('volumes', vol).chain[0];
    const cloneChain = manifest('volumes', clone).chain;
    expect(cloneChain).toHaveLength(2);
    expect(cloneChain[1]).toBe(merged);
    expect(manifest('snapshots', cloneSnap).chain).toEqual(cloneChain);
    expect(manifest('snapshots', snaps[3].id).chain).toEqual([merged]);
    await expectNoMissingLayer();
    expect(await h.fingerprint(b, vol)).toEqual(volFp);
    for (const s of snaps) expect(await h.snapshotFingerprint(b, s.id)).toEqual(s.fp);
    const cloneFp = await h.fingerprint(a, clone);
    expect(cloneFp).toContain('./c|');
    expect(cloneFp).not.toContain('./log|');
    expect(await h.snapshotFingerprint(a, cloneSnap)).toEqual(cloneFp);
  });

  it('flattens take turns across replicas, and a snapshot being read keeps its chain', async () => {
    const vol = newId('vol');
    await a.createVolume(vol, { projectId: 'p1' });
    for (let i = 1; i <= 3; i++) {
      await h.write(a, vol, `echo ${i} > f${i}`);
      await a.createSnapshot(newId('chain'), vol, { projectId: 'p1' });
    }
    const snap = newId('snap');
    await a.createSnapshot(snap, vol, { projectId: 'p1' });
    const fp = await h.snapshotFingerprint(a, snap);
    const chain = manifest('snapshots', snap).chain;
    // A's flatten holds the turn (stopped after its copy); B's flatten of the same volume waits for it.
    const copied = gateMethod((a as unknown as { flattener: object }).flattener, 'rewriteAll');
    // An export through B reads the snapshot (holds it shared) meanwhile.
    const ex = await requireCapability(b, 'archives').openExport([snap]);
    try {
      const first = requireCapability(a, 'flatten').flatten(vol);
      await copied.reached;
      const second = requireCapability(b, 'flatten').flatten(vol);
      await replicas.waitingFor(FLATTEN_TURN);
      copied.open();
      await first;
      await second;
      // The volume is merged; the snapshot the export reads kept its chain, every layer of it there.
      expect(manifest('volumes', vol).chain).toHaveLength(1);
      expect(manifest('snapshots', snap).chain).toEqual(chain);
      for (const l of ex.chains.get(snap)!) expect((await ex.entries(l.id)).length).toBeGreaterThan(0);
    } finally {
      copied.restore();
      ex.release();
    }
    await expectNoMissingLayer();
    expect(await h.snapshotFingerprint(b, snap)).toEqual(fp);
  });
});
