/**
 * Block storage's side of snapshot archives (src/archive asks through SnapshotArchiveApi in
 * volume-api.ts): snapshots out as layers, staged layers in as snapshots. Data and rows are
 * kept consistent here: an import's commit records the rows after the data and undoes the data
 * when the rows fail; its undo removes both.
 */
import type { Logger } from '../logger';
import { NotImplemented } from '../http/faults';
import { crashPoint } from '../shared/crash-points';
import { Reverter } from '../shared/reverter';
import { orNullIfGone } from '../shared/best-effort';
import { requireCapability, type SnapshotArchiving, type VolumeDataDriver } from './data/volume-data-driver';
import { BOOTABLE_METADATA_KEY, registerImportedSnapshots, removeImportedSnapshots, type ImportedSnapshotDeps } from './imported-snapshots';
import type { SnapshotArchiveApi, SnapshotImport, SnapshotRecord, VolumeCaller, VolumeRecord } from './volume-api';

const NO_ARCHIVES = 'Archives need the overlay volume driver (a Docker engine); this Snapstack stores volumes as plain directories.';

export interface SnapshotArchiveDeps extends ImportedSnapshotDeps {
  driver: VolumeDataDriver;
  log: Logger;
  showSnapshot(caller: VolumeCaller, snapshotId: string): Promise<SnapshotRecord>;
  getVolume(projectId: string, volumeId: string): Promise<VolumeRecord>;
}

export class SnapshotArchives implements SnapshotArchiveApi {
  constructor(private readonly d: SnapshotArchiveDeps) {}

  get supported(): boolean {
    return this.d.driver.capabilities.archives !== null;
  }

  showSnapshot(caller: VolumeCaller, snapshotId: string): Promise<SnapshotRecord> {
    return this.d.showSnapshot(caller, snapshotId);
  }

  async snapshotBootable(s: SnapshotRecord): Promise<boolean> {
    // An imported snapshot's volume is not here: the snapshot's record of the flag answers.
    const fromVolume = (await orNullIfGone(this.d.getVolume(s.projectId, s.volumeId)))?.bootable;
    return fromVolume ?? s.metadata[BOOTABLE_METADATA_KEY] === 'true';
  }

  openExport(snapshotIds: string[]) {
    return this.archiving().openExport(snapshotIds);
  }

  async beginImport(): Promise<SnapshotImport> {
    const session = await this.archiving().beginImport();
    return {
      findExisting: (layerIds, projectIds) => session.findExisting(layerIds, projectIds),
      stage: (layerId) => session.stage(layerId),
      abort: () => session.abort(),
      commit: (owner, items, digests) => Reverter.run(this.d.log, { project_id: owner.projectId, snapshots: items.map((i) => i.id) }, async (r) => {
        await session.commit(items.map((i) => ({ snapshotId: i.id, projectId: owner.projectId, volumeId: i.volumeId, chain: i.chain })), digests);
        for (const i of items) r.add(`snapshot data ${i.id}`, () => this.d.driver.deleteSnapshot(i.id));
        crashPoint('import.committed');
        const records = await registerImportedSnapshots(this.d, owner, items);
        crashPoint('import.rows');
        return records;
      }),
    };
  }

  async removeImported(snapshotIds: string[]): Promise<void> {
    const r = new Reverter(this.d.log, { snapshots: snapshotIds });
    // Newest first: the rows, then the data (each step idempotent, each failure logged).
    for (const id of snapshotIds) r.add(`snapshot data ${id}`, () => this.d.driver.deleteSnapshot(id));
    r.add('snapshot rows', () => removeImportedSnapshots(this.d, snapshotIds));
    await r.fail();
  }

  private archiving(): SnapshotArchiving {
    return requireCapability(this.d.driver, 'archives', () => new NotImplemented(NO_ARCHIVES));
  }
}
