import type { Knex } from 'knex';
import { countedDelete } from '../db/counted-delete';
import { Scope, scoped, Tx } from './volume-store';

export interface TransferRow {
  id: string;
  volume_id: string;
  /** The volume's project when the transfer was made (Cinder's source_project_id). */
  project_id: string;
  name: string | null;
  salt: string;
  crypt_hash: string;
  no_snapshots: boolean;
  created_at: Date;
}

/** Knex queries for volume_transfers, and the change of owner an accepted transfer makes. */
export class TransferStore {
  constructor(private readonly db: Knex | Tx) {}

  transaction<T>(fn: (trx: Tx) => Promise<T>): Promise<T> {
    return (this.db as Knex).transaction(fn);
  }

  on(trx: Tx): TransferStore {
    return new TransferStore(trx);
  }

  /** One transfer; `projectId` null = any project's (an admin, or the accepting side). */
  async get(scope: Scope, id: string, opts: { forUpdate?: boolean } = {}): Promise<TransferRow | undefined> {
    const q = scoped(this.db('volume_transfers').where({ id }), scope);
    if (opts.forUpdate) q.forUpdate();
    return q.first();
  }

  /** Oldest first, as Cinder lists them. */
  async list(scope: Scope, filter: { name?: string; volumeId?: string }): Promise<TransferRow[]> {
    const q = scoped(this.db('volume_transfers').select('*'), scope);
    if (filter.name !== undefined) q.where({ name: filter.name });
    if (filter.volumeId !== undefined) q.where({ volume_id: filter.volumeId });
    return q.orderBy([{ column: 'created_at', order: 'asc' }, { column: 'id', order: 'asc' }]);
  }

  async insert(row: TransferRow): Promise<void> {
    await this.db('volume_transfers').insert(row);
  }

  async delete(id: string): Promise<void> {
    await this.db('volume_transfers').where({ id }).delete();
  }

  async removeAll(rows: Record<string, number>): Promise<void> {
    await countedDelete(rows, 'volume_transfers', this.db('volume_transfers'));
  }

  /** The volume (and its snapshots of the donor's project, unless `withSnapshots` is false) now belong to the recipient. */
  async moveOwnership(volumeId: string, from: string, to: { projectId: string; userId: string | null }, withSnapshots: boolean): Promise<void> {
    const now = new Date();
    await this.db('volumes').where({ id: volumeId }).update({ project_id: to.projectId, user_id: to.userId, status: 'available', updated_at: now });
    await this.db('volume_attachments').where({ volume_id: volumeId }).update({ project_id: to.projectId });
    if (withSnapshots) {
      await this.db('snapshots').where({ volume_id: volumeId, project_id: from }).update({ project_id: to.projectId, user_id: to.userId, updated_at: now });
    }
  }
}
