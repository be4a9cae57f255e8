/**
 * An archive import through one served replica reusing a layer, while the other deletes the last
 * snapshot holding it (two `snapstack serve` processes, SNAPSTACK_REPLICA=1, one PostgreSQL, one
 * data directory, the Docker engine). The import is held mid-way by a delay rule (an
 * archive.import delay waits once the base layers are found and held); the delete through the
 * other replica then waits for it (seen in pg_locks), and once the rules are cleared the import
 * ends with a whole snapshot: restorable, its data readable. Then the deleted snapshot is gone.
 * A snapshot of the restored volume past SNAPSTACK_MAX_CHAIN_DEPTH is flattened in the
 * background by a replica, every chain then whole.
 */
import fs from 'fs';
import path from 'path';
import { login, ok, sessionAt, type Session } from '../../support/snapstack-harness';
import { pollUntil, waitForSnapshot, waitForVolume } from '../../support/compute-helpers';
import { exportAndWait, onDockerVolume, SS, VOL } from '../../support/archive-helpers';
import { advisoryLockSessions, ServedReplicas, VOLUME_DATA_LOCKS } from '../../support/replica-helpers';
import { cloneSourceKey } from '../../../src/volume/data/volume-data-driver';

jest.setTimeout(240_000);

describe('an archive import across served replicas', () => {
  const served = new ServedReplicas();
  const { dataDir } = served;

  beforeAll(() => served.setup());
  afterAll(() => served.teardown());

  /** Sessions holding the advisory lock `clone-source:<id>` (granted) or waiting for it, in PostgreSQL. */
  const cloneSourceHolds = (snapshotId: string, granted: boolean) => advisoryLockSessions(served.db, VOLUME_DATA_LOCKS + cloneSourceKey(snapshotId), granted);

  const gone = (s: Session, url: string) => pollUntil(() => s.request('GET', url), (r) => r.status === 404, 120_000, `${url} deleted`);

  it('a delete of the last snapshot holding a layer through B waits for the import reusing it through A, which ends whole', async () => {
    const a = await served.serve({ SNAPSTACK_MAX_CHAIN_DEPTH: '2' });
    const b = await served.serve({ SNAPSTACK_MAX_CHAIN_DEPTH: '2' });
    const { instanceId } = served;
    const me = await login(a.url, 'demo');
    const admin = sessionAt(b.url, await login(b.url, 'admin'));
    const onA = sessionAt(a.url, me);
    const onB = sessionAt(b.url, me);
    const write = (volumeId: string, script: string) => onDockerVolume(instanceId, `snapstack-${instanceId}-${volumeId}`, `set -e; cd /data; ${script}`);

    // A volume, two snapshots of it, and their archives: the second incremental over the first.
    const vol = ok(await onA.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: 'source' } }), 202).volume.id;
    await waitForVolume(onA, vol, ['available']);
    await write(vol, 'echo base > base; mkdir d; echo one > d/one');
    const s1 = ok(await onA.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: vol, name: 's1' } }), 202).snapshot.id;
    await waitForSnapshot(onA, s1, ['available']);
    await write(vol, 'echo top > top; rm d/one');
    const s2 = ok(await onA.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: vol, name: 's2' } }), 202).snapshot.id;
    await waitForSnapshot(onA, s2, ['available']);
    const base = await exportAndWait(onA, `${SS}/snapshots/${s1}/export`, { file_name: 'base.tar' });
    const top = await exportAndWait(onA, `${SS}/snapshots/${s2}/export`, { file_name: 'top.tar', base_archive: base });

    // The base imported (its layer copied, under the archive's layer id), the originals deleted:
    // the imported snapshot is the last one holding the layer the incremental archive reuses.
    const holder = ok(await onA.request('POST', `${SS}/archives/import`, { file: base }), 201).import.snapshots[0].id;
    for (const id of [s2, s1]) {
      ok(await onB.request('DELETE', `${VOL}/snapshots/${id}`), 202);
      await gone(onA, `${VOL}/snapshots/${id}`);
    }
    ok(await onB.request('DELETE', `${VOL}/volumes/${vol}`), 202);
    await gone(onA, `${VOL}/volumes/${vol}`);

    // The incremental import through A, held once it holds the layer (a delay rule, any replica's).
    ok(await admin.request('POST', `${SS}/faults`, { fault: { target: 'archive.import', action: 'delay', delay_ms: 600_000, project_id: me.projectId } }), 201);
    const importing = onA.request('POST', `${SS}/archives/import`, { file: top });
    await pollUntil(() => cloneSourceHolds(holder, true), (n) => n > 0, 60_000, 'the import holding the base snapshot');
    // B deletes that snapshot: its job waits for the import.
    ok(await onB.request('DELETE', `${VOL}/snapshots/${holder}`), 202);
    await pollUntil(() => cloneSourceHolds(holder, false), (n) => n > 0, 60_000, 'the delete waiting for the import');
    expect(ok(await onB.request('GET', `${VOL}/snapshots/${holder}`), 200).snapshot.status).toBe('deleting');
    expect(fs.existsSync(path.join(dataDir, 'cow', 'snapshots', `${holder}.json`))).toBe(true);

    // Cleared through B: the import goes on and ends whole; then the delete goes through.
    ok(await admin.request('DELETE', `${SS}/faults`), 204);
    const imported = ok(await importing, 201).import.snapshots[0].id;
    await gone(onA, `${VOL}/snapshots/${holder}`);
    const chain: string[] = JSON.parse(fs.readFileSync(path.join(dataDir, 'cow', 'snapshots', `${imported}.json`), 'utf8')).chain;
    expect(chain).toHaveLength(2);
    for (const layer of chain) expect([layer, fs.existsSync(path.join(dataDir, 'cow', 'l', layer))]).toEqual([layer, true]);

    // Restorable through either replica, its data readable: the base layer's and the top one's.
    const restored = ok(await onB.request('POST', `${VOL}/volumes`, { volume: { snapshot_id: imported, name: 'restored' } }), 202).volume.id;
    await waitForVolume(onA, restored, ['available']);
    expect(await write(restored, 'cat base top; ls d | wc -l')).toBe('base\ntop\n0\n');

    // One layer more than SNAPSTACK_MAX_CHAIN_DEPTH: flattened in the background by the replica
    // that snapshots it (its turn and the chains' locks in PostgreSQL), the data unchanged.
    await write(restored, 'echo more > more');
    const s3 = ok(await onA.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: restored, name: 's3' } }), 202).snapshot.id;
    await waitForSnapshot(onB, s3, ['available']);
    const manifestOf = (kind: string, id: string) => JSON.parse(fs.readFileSync(path.join(dataDir, 'cow', kind, `${id}.json`), 'utf8'));
    // The volume's chain is rewritten first, then the snapshot's (each under its own lock): both waited for.
    const lengths = async () => [manifestOf('volumes', restored).chain.length, manifestOf('snapshots', s3).chain.length];
    await pollUntil(lengths, (n) => n.every((l) => l === 1), 120_000, 'the restored volume and its snapshot flattened');
    const merged = manifestOf('volumes', restored).chain;
    expect(manifestOf('snapshots', s3).chain).toEqual(merged);
    expect(manifestOf('snapshots', imported).chain).toEqual(chain);
    for (const layer of [...merged, ...chain]) expect([layer, fs.existsSync(path.join(dataDir, 'cow', 'l', layer))]).toEqual([layer, true]);
    const again = ok(await onB.request('POST', `${VOL}/volumes`, { volume: { snapshot_id: s3, name: 'again' } }), 202).volume.id;
    await waitForVolume(onA, again, ['available']);
    expect(await write(again, 'cat base top more; ls d | wc -l')).toBe('base\ntop\nmore\n0\n');
  });
});
