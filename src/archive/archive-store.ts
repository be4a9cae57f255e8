/** Archive's own rows (knex; snake_case stays here): which workspace archives are loaded. */
import type { Knex } from 'knex';

export interface WorkspaceLoad {
  archiveId: string;
  /** The archive's file name in the workspace folder. */
  file: string;
  snapshotIds: string[];
  imageId: string | null;
}

export class ArchiveStore {
  constructor(private readonly db: Knex) {}

  async workspaceLoaded(archiveId: string): Promise<boolean> {
    return Boolean(await this.db('archive_workspace_loads').where({ archive_id: archiveId }).first());
  }

  async recordWorkspaceLoad(load: WorkspaceLoad): Promise<void> {
    await this.db('archive_workspace_loads')
      .insert({ archive_id: load.archiveId, file: load.file, snapshot_ids: JSON.stringify(load.snapshotIds), image_id: load.imageId })
      .onConflict('archive_id').merge();
  }

  /**
   * Runs `fn` in a transaction that holds a lock on `key` until it ends: two accepts of one
   * archive file, through one process or two replicas, take turns (what the first enqueued is
   * committed before the second looks).
   */
  async exclusively<T>(key: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`snapstack:archive:${key}`]);
      return fn(trx);
    });
  }
}
