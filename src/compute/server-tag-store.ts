import type { Knex } from 'knex';
import { countedDelete, deletedAny } from '../db/counted-delete';

/** Knex queries for server_tags only (a server's row reads its tags itself, server-store.ts). */
export class ServerTagStore {
  constructor(private readonly db: Knex) {}

  async list(serverId: string, db: Knex | Knex.Transaction = this.db): Promise<string[]> {
    return (await db('server_tags').where({ server_id: serverId }).orderBy('tag').select('tag')).map((r: { tag: string }) => r.tag);
  }

  /** true when the tag is new. */
  async add(serverId: string, tag: string): Promise<boolean> {
    const rows = await this.db('server_tags').insert({ server_id: serverId, tag }).onConflict(['server_id', 'tag']).ignore().returning('tag');
    return rows.length > 0;
  }

  /** Delete then insert: in the caller's transaction, so no one sees the server without its tags. */
  async replace(serverId: string, tags: string[], trx: Knex.Transaction): Promise<void> {
    await trx('server_tags').where({ server_id: serverId }).delete();
    const unique = [...new Set(tags)];
    if (unique.length) await trx('server_tags').insert(unique.map((tag) => ({ server_id: serverId, tag })));
  }

  async clear(serverId: string): Promise<void> {
    await this.db('server_tags').where({ server_id: serverId }).delete();
  }

  /** true when the tag was there. */
  async delete(serverId: string, tag: string): Promise<boolean> {
    return deletedAny(this.db('server_tags').where({ server_id: serverId, tag }));
  }

  /** Reset: every server's tags. */
  async removeAll(): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    await countedDelete(rows, 'server_tags', this.db('server_tags'));
    return rows;
  }

  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }
}
