import type { Knex } from 'knex';
import { CommonFilter, MarkerNotFound, PageRequest, Scope, Tx, paginate, parseJson, scoped, applyCommonFilters, countFiltered, type VolumeRow } from './volume-store';
import { countedDelete } from '../db/counted-delete';

export interface SnapshotRow {
  id: string;
  project_id: string;
  user_id: string | null;
  volume_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
  /** Workspace snapshots (imported-snapshots.ts): every project reads them. Default false. */
  shared?: boolean;
}

/** What a volume made from a snapshot inherits of the snapshot's source volume (Cinder copies its glance metadata). */
export type SnapshotOrigin = Pick<VolumeRow, 'bootable' | 'image_id' | 'volume_image_metadata'>;

/** The snapshot's source volume's SnapshotOrigin as a JSON column of the snapshot's row (null once that volume is gone). */
const ORIGIN = `(select json_build_object('bootable', v.bootable, 'image_id', v.image_id, 'volume_image_metadata', v.volume_image_metadata)
  from volumes as v where v.id = snapshots.volume_id) as origin`;

export interface SnapshotFilter extends CommonFilter {
  volumeId?: string;
}

export const SNAPSHOT_SORT_COLUMNS: Record<string, string> = {
  id: 'id', name: 'name', display_name: 'name', description: 'description', status: 'status', size: 'size',
  volume_id: 'volume_id', project_id: 'project_id', user_id: 'user_id', created_at: 'created_at', updated_at: 'updated_at',
};

function snapshotFilters(q: Knex.QueryBuilder, filter: SnapshotFilter): Knex.QueryBuilder {
  if (filter.volumeId !== undefined) q.where('volume_id', filter.volumeId);
  return applyCommonFilters(q, filter);
}

/** A project's reads also see shared (workspace) snapshots; writes stay strictly scoped. */
function visible<T extends Knex.QueryBuilder>(q: T, scope: Scope): T {
  return 'projectId' in scope ? (q.where((w) => { w.where('project_id', scope.projectId).orWhere('shared', true); }) as T) : q;
}

/** Knex queries for volume snapshots only; every read is scoped. */
export class SnapshotStore {
  constructor(private readonly db: Knex | Tx) {}

  on(trx: Tx): SnapshotStore {
    return new SnapshotStore(trx);
  }

  async get(scope: Scope, id: string): Promise<SnapshotRow | undefined> {
    return this.row(await visible(this.db('snapshots').where({ id }), scope).first());
  }

  /** get() with its source volume's SnapshotOrigin (null once that volume is gone), in the same query: a volume create from it. */
  async getWithOrigin(scope: Scope, id: string): Promise<(SnapshotRow & { origin: SnapshotOrigin | null }) | undefined> {
    const row = this.row(await visible(this.db('snapshots').select('snapshots.*', this.db.raw(ORIGIN)).where({ id }), scope).first());
    if (!row) return undefined;
    const withOrigin = row as SnapshotRow & { origin: SnapshotOrigin | null };
    withOrigin.origin = parseJson<SnapshotOrigin | null>(withOrigin.origin, null);
    return withOrigin;
  }

  async list(scope: Scope, filter: SnapshotFilter, page: PageRequest): Promise<SnapshotRow[]> {
    const rows = await paginate<SnapshotRow>(
      () => visible(this.db('snapshots').select('*'), scope),
      (q) => snapshotFilters(q, filter),
      page,
      (marker) => new MarkerNotFound(marker),
    );
    return rows.map((r) => this.row(r)!);
  }

  async count(scope: Scope, filter: SnapshotFilter): Promise<number> {
    return countFiltered(visible(this.db('snapshots'), scope), (q) => snapshotFilters(q, filter));
  }

  /** Every snapshot of a volume, oldest first (the volume was already found in scope). */
  async ofVolume(volumeId: string): Promise<SnapshotRow[]> {
    const rows = await this.db('snapshots').where({ volume_id: volumeId }).orderBy([{ column: 'created_at', order: 'asc' }, { column: 'id', order: 'asc' }]);
    return rows.map((r: unknown) => this.row(r)!);
  }

  /** Cinder's snapshot_get_latest_for_volume: by creation time. */
  async latestOfVolume(volumeId: string): Promise<SnapshotRow | undefined> {
    return this.row(await this.db('snapshots').where({ volume_id: volumeId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first());
  }

  async countOfVolume(volumeId: string, notInStatuses: string[] = []): Promise<number> {
    const q = this.db('snapshots').where({ volume_id: volumeId });
    if (notInStatuses.length) q.whereNotIn('status', notInStatuses);
    const [{ count }] = await q.count<{ count: string }[]>('* as count');
    return Number(count);
  }

  async idsOfProject(projectId: string): Promise<string[]> {
    return this.db('snapshots').where({ project_id: projectId }).pluck('id');
  }

  /** Reset: every snapshot row but `keepProject`'s; the count into `rows`. */
  async removeAllBut(keepProject: string, rows: Record<string, number>): Promise<void> {
    await countedDelete(rows, 'snapshots', this.db('snapshots').whereNot('project_id', keepProject));
  }

  async allIdsAndStatuses(): Promise<Array<{ id: string; status: string }>> {
    return this.db('snapshots').select('id', 'status');
  }

  async insert(row: SnapshotRow): Promise<void> {
    await this.db('snapshots').insert({ ...row, metadata: JSON.stringify(row.metadata) });
  }

  /** Conditional update, as VolumeStore.update. */
  async update(scope: Scope, id: string, patch: Partial<SnapshotRow>, expectedStatuses?: string[]): Promise<SnapshotRow | undefined> {
    const values: Record<string, unknown> = { ...patch, updated_at: new Date() };
    if (patch.metadata) values.metadata = JSON.stringify(patch.metadata);
    const q = scoped(this.db('snapshots').where({ id }), scope);
    if (expectedStatuses) q.whereIn('status', expectedStatuses);
    const [row] = await q.update(values).returning('*');
    return this.row(row);
  }

  /** Marks every snapshot of a volume (cascade delete, checked by the caller). */
  async markAllOfVolume(volumeId: string, status: string): Promise<void> {
    await this.db('snapshots').where({ volume_id: volumeId }).update({ status, updated_at: new Date() });
  }

  async setStatusOfVolume(volumeId: string, status: string, fromStatuses: string[]): Promise<void> {
    await this.db('snapshots').where({ volume_id: volumeId }).whereIn('status', fromStatuses).update({ status, updated_at: new Date() });
  }

  async delete(id: string): Promise<void> {
    await this.db('snapshots').where({ id }).delete();
  }

  /** A row as knex returns it (JSON and numeric columns as text) -> the typed row. */
  private row(r: unknown): SnapshotRow | undefined {
    if (!r) return undefined;
    const raw = r as Record<string, unknown>;
    // pg's row object, this caller's alone: its columns decoded in place.
    raw.size = Number(raw.size);
    raw.metadata = parseJson(raw.metadata, {});
    return raw as unknown as SnapshotRow;
  }
}
