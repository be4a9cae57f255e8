/**
 * Snapshots that snapshot archives bring in (src/archive). Their data is already in place
 * (the data driver committed it) when they are recorded, so they are born `available`. They
 * have no volume here: volume_id names a volume that never existed on this machine.
 *
 * Workspace snapshots belong to the pseudo-project `workspace` and are `shared`: every project
 * sees them (SnapshotStore's reads) and may make volumes from them; only an admin changes or
 * deletes them (SnapshotService's writes); they count in nobody's quota.
 */
import { Forbidden } from '../http/faults';
import type { ImportedSnapshotItem, ImportedSnapshotOwner, SnapshotRecord } from './volume-api';
import type { QuotaService } from './volume-quotas';
import { toSnapshotRecord } from './volume-records';
import type { SnapshotRow, SnapshotStore } from './snapshot-store';
import type { VolumeStore } from './volume-store';

export const WORKSPACE_PROJECT = 'workspace';
/** Snapshot metadata: whether the volume the snapshot was taken from was bootable (a volume made from it is). */
export const BOOTABLE_METADATA_KEY = 'snapstack_bootable';

/** An imported snapshot's row, without its layers (the driver has them already). */
export type ImportedSnapshotInput = Omit<ImportedSnapshotItem, 'chain'>;

export type { ImportedSnapshotOwner };

export interface ImportedSnapshotDeps {
  volumes: VolumeStore;
  snapshots: SnapshotStore;
  quotas: QuotaService;
}

/** Records the snapshots in one transaction, after the owner's quota (none for shared ones). */
export async function registerImportedSnapshots(d: ImportedSnapshotDeps, owner: ImportedSnapshotOwner, items: ImportedSnapshotInput[]): Promise<SnapshotRecord[]> {
  const now = new Date();
  const rows: SnapshotRow[] = items.map((i) => ({
    id: i.id, project_id: owner.projectId, user_id: owner.userId, volume_id: i.volumeId, name: i.name, description: i.description,
    size: i.size, status: 'available', metadata: i.metadata, created_at: now, updated_at: now, shared: owner.shared,
  }));
  await d.volumes.transaction(async (trx) => {
    if (!owner.shared && rows.length) {
      await d.quotas.reserve(trx, owner.projectId, 'snapshots', { snapshots: rows.length, gigabytes: rows.reduce((n, r) => n + r.size, 0) });
    }
    for (const r of rows) await d.snapshots.on(trx).insert(r);
  });
  return rows.map(toSnapshotRecord);
}

/** Undo of registerImportedSnapshots (the rows only; the caller removes the data). */
export async function removeImportedSnapshots(d: ImportedSnapshotDeps, ids: string[]): Promise<void> {
  for (const id of ids) await d.snapshots.delete(id);
}

/** A workspace snapshot is read-only for projects (403), as a public image is for its non-owners. */
export function requireWritableSnapshot(row: Pick<SnapshotRow, 'id' | 'shared'>, isAdmin: boolean): void {
  if (row.shared && !isAdmin) {
    throw new Forbidden(`Snapshot ${row.id} is a workspace snapshot: projects can restore from it but not change or delete it.`);
  }
}
