import type { Logger } from '../logger';
import { emptyOutcome, type ModuleReset, type ResetOutcome } from '../shared/module-reset';
import type { VolumeDataDriver } from './data/volume-data-driver';
import { WORKSPACE_PROJECT } from './imported-snapshots';
import type { QuotaStore } from './quota-store';
import type { SnapshotStore } from './snapshot-store';
import type { VolumeStore } from './volume-store';
import type { TransferStore } from './transfer-store';
import type { MessageStore } from './volume-messages';
import { DEFAULT_VOLUME_TYPE_DESCRIPTION, DEFAULT_VOLUME_TYPE_ID, DEFAULT_VOLUME_TYPE_NAME } from './volume-type-registry';
import type { VolumeTypeStore } from './volume-type-store';

/**
 * Block storage's part of reset: every volume and snapshot goes, data first (with its Docker
 * volumes), then the rows (transfers, attachments, quotas, messages, the types an admin made);
 * workspace snapshots and the `__DEFAULT__` type are part of the seed and stay. Compute's
 * containers are gone before (a mounted volume cannot go).
 */
export class VolumeReset implements ModuleReset {
  constructor(private readonly d: {
    volumes: VolumeStore; snapshots: SnapshotStore; quotas: QuotaStore; driver: VolumeDataDriver; log: Logger;
    types: VolumeTypeStore; transfers: TransferStore; messages: MessageStore;
  }) {}

  async resetToSeed(): Promise<ResetOutcome> {
    const out = emptyOutcome();
    const keep = new Set(await this.d.snapshots.idsOfProject(WORKSPACE_PROJECT));
    out.docker.volumes = (await this.d.driver.removeAll(keep)).dockerVolumes;
    await this.d.volumes.transaction(async (trx) => {
      await this.d.transfers.on(trx).removeAll(out.rows);
      await this.d.snapshots.on(trx).removeAllBut(WORKSPACE_PROJECT, out.rows);
      await this.d.volumes.on(trx).removeAll(out.rows);
      await this.d.quotas.on(trx).removeAll(out.rows);
      await this.d.messages.on(trx).removeAll(out.rows);
      await this.d.types.on(trx).removeAllBut({ id: DEFAULT_VOLUME_TYPE_ID, name: DEFAULT_VOLUME_TYPE_NAME, description: DEFAULT_VOLUME_TYPE_DESCRIPTION }, out.rows);
    });
    this.d.log.info({ rows: out.rows, docker_volumes: out.docker.volumes, kept_snapshots: keep.size }, 'block storage reset to the seed');
    return out;
  }
}
