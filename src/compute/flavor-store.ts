import type { Knex } from 'knex';
import { Keyset, markerValues, orderByKeyset, whereAfter } from '../db/keyset';
import { BadRequest } from '../http/faults';
import { countedDelete } from '../db/counted-delete';

export interface FlavorFilter {
  isPublic?: boolean | null;
  includeDisabled?: boolean;
  minDisk?: number;
  minRam?: number;
}

export interface FlavorRow {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  rxtx_factor: number;
  is_public: boolean;
  disabled: boolean;
  description: string | null;
  extra_specs: Record<string, string>;
  created_at: Date;
}

function decode(row: Record<string, unknown>): FlavorRow {
  return <FlavorRow>{ ...row, rxtx_factor: Number(row.rxtx_factor), extra_specs: typeof row.extra_specs === 'string' ? JSON.parse(row.extra_specs) : row.extra_specs ?? {} };
}

/** Knex queries for the flavors table only. */
export class FlavorStore {
  constructor(private readonly db: Knex) {}

  /** Matching flavors, or one page (`page`) in `page.keyset`'s order after `page.marker`, which must itself match. */
  async list(filter: FlavorFilter, page?: { keyset: Keyset; limit: number; marker?: string }): Promise<FlavorRow[]> {
    const filtered = (q: Knex.QueryBuilder) => {
      if (filter.isPublic !== undefined && filter.isPublic !== null) q.where({ is_public: filter.isPublic });
      if (!filter.includeDisabled) q.where({ disabled: false });
      if (filter.minDisk !== undefined) q.where('disk', '>=', filter.minDisk);
      if (filter.minRam !== undefined) q.where('ram', '>=', filter.minRam);
      return q;
    };
    const q = filtered(this.db('flavors').select('*'));
    if (page) {
      if (page.marker !== undefined) {
        const values = await markerValues(filtered(this.db('flavors')), page.keyset, page.marker);
        if (!values) throw new BadRequest(`marker [${page.marker}] not found`);
        whereAfter(q, page.keyset, values);
      }
      orderByKeyset(q, page.keyset).limit(page.limit);
    }
    return (await q).map(decode);
  }

  async get(id: string): Promise<FlavorRow | undefined> {
    const row = await this.db('flavors').where({ id }).first();
    return row ? decode(row) : undefined;
  }

  async findByName(name: string): Promise<FlavorRow | undefined> {
    const row = await this.db('flavors').where({ name }).first();
    return row ? decode(row) : undefined;
  }

  async insert(row: Omit<FlavorRow, 'created_at'>): Promise<FlavorRow> {
    const [r] = await this.db('flavors').insert({ ...row, extra_specs: JSON.stringify(row.extra_specs ?? {}) }).returning('*');
    return decode(r);
  }

  /** Seeds once per installation: a default flavor an admin deleted stays deleted. */
  async seedOnce(rows: Omit<FlavorRow, 'created_at'>[]): Promise<boolean> {
    return this.db.transaction(async (t) => {
      const done = await t('settings').where({ key: 'flavor.seeded' }).first();
      if (done) return false;
      for (const row of rows) {
        await t('flavors').insert({ ...row, extra_specs: JSON.stringify(row.extra_specs ?? {}) }).onConflict('id').ignore();
      }
      await t('settings').insert({ key: 'flavor.seeded', value: new Date().toISOString() }).onConflict('key').ignore();
      return true;
    });
  }

  /** Reset: every flavor but `keep` goes and the seed marker with it (the next seedOnce runs); the count. */
  async removeAllBut(keep: string[]): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    await this.db.transaction(async (t) => {
      await countedDelete(rows, 'flavors', t('flavors').whereNotIn('id', keep));
      await t('settings').where({ key: 'flavor.seeded' }).delete();
    });
    return rows;
  }

  /** Counted through `returning` (PGlite's knex client does not report delete counts). */
  async delete(id: string): Promise<number> {
    return (await this.db('flavors').where({ id }).delete().returning('id')).length;
  }
}
