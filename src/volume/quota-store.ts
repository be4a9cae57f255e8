import type { Knex } from 'knex';
import { parseJson, type Tx } from './volume-store';
import { countedDelete } from '../db/counted-delete';

/** Knex queries for volume_quotas (per-project overrides of the configured defaults). */
export class QuotaStore {
  constructor(private readonly db: Knex | Tx) {}

  on(trx: Tx): QuotaStore {
    return new QuotaStore(trx);
  }

  /**
   * Serializes quota checks of one project until the transaction ends, so two creates
   * cannot both pass a check that only one of them fits (works on PostgreSQL and PGlite).
   * Returns the project's overrides() read by the same statement, as they were when it asked
   * for the lock (a limit changes outside the lock either way): one round trip, not two.
   */
  async lockProject(projectId: string): Promise<Record<string, number>> {
    const { rows } = await this.db.raw(
      `select pg_advisory_xact_lock(hashtext(?)),
        coalesce((select json_object_agg(q.resource, q.hard_limit) from volume_quotas as q where q.project_id = ?), '{}'::json) as overrides`,
      [`snapstack.volume-quota:${projectId}`, projectId],
    );
    const overrides = parseJson<Record<string, unknown>>(rows[0].overrides, {});
    return Object.fromEntries(Object.entries(overrides).map(([resource, limit]) => [resource, Number(limit)]));
  }

  /** What the project's volumes and snapshots hold (counts and GiB), both tables in one statement. */
  async usage(projectId: string): Promise<{ volumes: number; volumeGigabytes: number; snapshots: number; snapshotGigabytes: number }> {
    const of = (table: 'volumes' | 'snapshots', alias: string) => this.db(table).where({ project_id: projectId })
      .select(this.db.raw('count(*)::int as n'), this.db.raw('coalesce(sum(size), 0)::int as gigabytes')).as(alias);
    const row = await this.db.select('v.n as volumes', 'v.gigabytes as volume_gigabytes', 's.n as snapshots', 's.gigabytes as snapshot_gigabytes')
      .from(this.db.raw('? cross join ?', [of('volumes', 'v'), of('snapshots', 's')])).first();
    return {
      volumes: Number(row.volumes), volumeGigabytes: Number(row.volume_gigabytes), snapshots: Number(row.snapshots), snapshotGigabytes: Number(row.snapshot_gigabytes),
    };
  }

  async overrides(projectId: string): Promise<Record<string, number>> {
    const rows: Array<{ resource: string; hard_limit: number }> = await this.db('volume_quotas').where({ project_id: projectId });
    return Object.fromEntries(rows.map((r) => [r.resource, Number(r.hard_limit)]));
  }

  async upsert(projectId: string, resource: string, limit: number): Promise<void> {
    await this.db('volume_quotas')
      .insert({ project_id: projectId, resource, hard_limit: limit })
      .onConflict(['project_id', 'resource'])
      .merge({ hard_limit: limit, updated_at: new Date() });
  }

  async reset(projectId: string): Promise<void> {
    await this.db('volume_quotas').where({ project_id: projectId }).delete();
  }

  /** Reset: every project's quota overrides; the count into `rows`. */
  async removeAll(rows: Record<string, number>): Promise<void> {
    await countedDelete(rows, 'volume_quotas', this.db('volume_quotas'));
  }
}
