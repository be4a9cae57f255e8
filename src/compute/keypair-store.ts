import type { Knex } from 'knex';
import { countedDelete, deletedAny } from '../db/counted-delete';
import { Keyset, markerValues, orderByKeyset, whereAfter } from '../db/keyset';

export interface KeypairRow {
  id: number;
  user_id: string;
  name: string;
  type: 'ssh' | 'x509';
  public_key: string;
  fingerprint: string;
  created_at: Date;
}

/** Nova's key pair order: by name (unique per user), id breaking ties. */
const KEYPAIR_ORDER: Keyset = { keys: [{ column: 'name', dir: 'asc' }, { column: 'id', dir: 'asc' }], nulls: 'low' };

/** Knex queries for the keypairs table; every query is scoped to one user. */
export class KeypairStore {
  constructor(private readonly db: Knex) {}

  /** The new row, or undefined when the user already has a key pair of that name. */
  async insert(row: Omit<KeypairRow, 'id' | 'created_at'>): Promise<KeypairRow | undefined> {
    const [created] = await this.db('keypairs').insert(row).onConflict(['user_id', 'name']).ignore().returning('*');
    return created;
  }

  async get(userId: string, name: string): Promise<KeypairRow | undefined> {
    return this.db('keypairs').where({ user_id: userId, name }).first();
  }

  async count(userId: string): Promise<number> {
    const row = await this.db('keypairs').where({ user_id: userId }).count<{ n: string }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** One page in name order after the key pair named `marker`; undefined when the marker is not the user's. */
  async list(userId: string, page: { limit?: number; marker?: string }): Promise<KeypairRow[] | undefined> {
    const q = orderByKeyset(this.db('keypairs').where({ user_id: userId }), KEYPAIR_ORDER);
    if (page.marker !== undefined) {
      const marker = await this.get(userId, page.marker);
      // The marker's keys (name, id) as text, as markerValues reads them, from the row read here.
      const values = marker && [marker.name, String(marker.id)];
      if (!values) return undefined;
      whereAfter(q, KEYPAIR_ORDER, values);
    }
    if (page.limit !== undefined) q.limit(page.limit);
    return q;
  }

  /** Reset: every user's key pairs. */
  async removeAll(): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    await countedDelete(rows, 'keypairs', this.db('keypairs'));
    return rows;
  }

  async delete(userId: string, name: string): Promise<boolean> {
    return deletedAny(this.db('keypairs').where({ user_id: userId, name }));
  }
}
