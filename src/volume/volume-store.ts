import type { Knex } from 'knex';
import { Keyset, markerValues, orderByKeyset, whereAfter, withIdTieBreaker } from '../db/keyset';
import { countedDelete } from '../db/counted-delete';

/**
 * Which projects a query may see: one, or all of them (an admin with all_tenants, or an
 * admin reaching a resource by id, as Cinder's admin context does).
 */
export type Scope = { projectId: string } | { allProjects: true };
export const ALL_PROJECTS: Scope = { allProjects: true };

export type Tx = Knex.Transaction;

export interface SortKey {
  column: string;
  dir: 'asc' | 'desc';
}

export interface PageRequest {
  /** Already capped at Cinder's osapi_max_limit. */
  limit: number;
  marker?: string;
  sort: SortKey[];
  /** Cinder's offset: rows skipped after the marker (0 when not asked). */
  offset?: number;
}

export interface VolumeRow {
  id: string;
  project_id: string;
  user_id: string | null;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  bootable: boolean;
  volume_type: string;
  availability_zone: string;
  snapshot_id: string | null;
  source_volid: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
  image_id?: string | null;
  volume_image_metadata?: Record<string, string> | null;
  /** Cinder's admin metadata (readonly, attached_mode). */
  admin_metadata?: Record<string, string>;
}

export interface AttachmentRow {
  id: string;
  volume_id: string;
  project_id: string;
  /** Null for a legacy os-attach to a host. */
  server_id: string | null;
  device: string;
  attached_at: Date;
  host_name?: string | null;
  attach_mode?: string;
  /** True: a Snapstack server's container mounts it (Nova's attach); false: recorded only (os-attach). */
  connected?: boolean;
}

export interface VolumeFilter extends CommonFilter {
  bootable?: boolean;
  size?: number;
  availabilityZone?: string;
  /** Cinder's glance_metadata (3.4): volume_image_metadata contains these. */
  imageMetadata?: Record<string, string>;
}

/** API sort keys and the columns behind them (Cinder accepts model columns; these are ours). */
export const VOLUME_SORT_COLUMNS: Record<string, string> = {
  id: 'id', name: 'name', display_name: 'name', description: 'description', status: 'status', size: 'size',
  bootable: 'bootable', availability_zone: 'availability_zone', volume_type: 'volume_type',
  project_id: 'project_id', user_id: 'user_id', created_at: 'created_at', updated_at: 'updated_at',
};

/**
 * The rows a caller reaches: an admin every project's (Cinder's admin context reaches any volume
 * by id), anyone else their project's; `everyProject` false (a list without all_tenants) keeps
 * an admin to their own project too.
 */
export function callerScope(caller: { isAdmin: boolean; projectId: string }, everyProject = true): Scope {
  return caller.isAdmin && everyProject ? ALL_PROJECTS : { projectId: caller.projectId };
}

/** A list's scope and filters: every project's for an admin's all_tenants (then project_id filters), else the caller's. */
export function listScope<F extends { projectId?: string }>(caller: { isAdmin: boolean; projectId: string }, q: { allTenants: boolean; filter: F }): { scope: Scope; filter: F } {
  const scope = callerScope(caller, q.allTenants);
  return { scope, filter: 'allProjects' in scope ? q.filter : { ...q.filter, projectId: undefined } };
}

export function scoped<T extends Knex.QueryBuilder>(q: T, scope: Scope, column = 'project_id'): T {
  return 'projectId' in scope ? (q.where(column, scope.projectId) as T) : q;
}

export function parseJson<T>(value: unknown, fallback: T): T {
  if (value == null) return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Cinder's time comparison operators (api/common.py get_time_comparison_operators). */
export const TIME_OPERATORS = { gt: '>', gte: '>=', eq: '=', neq: '<>', lt: '<', lte: '<=' } as const;

/**
 * Filters volumes and snapshots share: exact name and status, owner project, metadata
 * containment; `key~` substring filters (3.34), created_at/updated_at comparisons, and `none`
 * for a filter on what every row leaves empty (group_id, migration_status): nothing matches.
 */
export interface CommonFilter {
  name?: string;
  status?: string;
  projectId?: string;
  metadata?: Record<string, string>;
  like?: Array<{ column: string; text: string }>;
  times?: Array<{ column: 'created_at' | 'updated_at'; op: keyof typeof TIME_OPERATORS; at: Date }>;
  none?: boolean;
}

export function applyCommonFilters(q: Knex.QueryBuilder, filter: CommonFilter): Knex.QueryBuilder {
  if (filter.none) q.whereRaw('false');
  if (filter.name !== undefined) q.where('name', filter.name);
  if (filter.status !== undefined) q.where('status', filter.status);
  if (filter.projectId !== undefined) q.where('project_id', filter.projectId);
  if (filter.metadata && Object.keys(filter.metadata).length) q.whereRaw('metadata @> ?::jsonb', [JSON.stringify(filter.metadata)]);
  // Cinder's LIKE '%text%' (the text's own % and _ stay wildcards, as there).
  for (const l of filter.like ?? []) q.whereRaw('?? like ?', [l.column, `%${l.text}%`]);
  for (const t of filter.times ?? []) q.where(t.column, TIME_OPERATORS[t.op], t.at);
  return q;
}

/** How many rows of `base` the filters keep (Cinder's with_count, 3.45: the whole list, not the page). */
export async function countFiltered(base: Knex.QueryBuilder, filtered: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<number> {
  const row = await filtered(base).count<{ n: string | number }[]>('* as n').first();
  return Number(row?.n ?? 0);
}

function volumeFilters(q: Knex.QueryBuilder, filter: VolumeFilter): Knex.QueryBuilder {
  if (filter.bootable !== undefined) q.where('bootable', filter.bootable);
  if (filter.size !== undefined) q.where('size', filter.size);
  if (filter.availabilityZone !== undefined) q.where('availability_zone', filter.availabilityZone);
  if (filter.imageMetadata) q.whereRaw('volume_image_metadata @> ?::jsonb', [JSON.stringify(filter.imageMetadata)]);
  return applyCommonFilters(q, filter);
}

/** Columns of volumes and snapshots that may hold NULL (Cinder sorts them above every value). */
const NULLABLE_COLUMNS = new Set(['name', 'description', 'user_id']);

/**
 * One page of ordered, filtered rows after `marker` (Cinder's marker/limit paging), in SQL.
 * The marker row is looked up in `base` (the scope) only: another project's id is "not found"
 * (`onMissingMarker`), and a visible marker the filters exclude still marks its place in the order.
 */
export async function paginate<R extends { id: string }>(
  base: () => Knex.QueryBuilder,
  filtered: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  page: PageRequest,
  onMissingMarker: (marker: string) => Error,
): Promise<R[]> {
  const keys = withIdTieBreaker(page.sort.map((s) => ({ ...s, nullable: NULLABLE_COLUMNS.has(s.column) })), page.sort[0]?.dir ?? 'desc');
  const keyset: Keyset = { keys, nulls: 'high' };
  const q = filtered(base());
  if (page.marker) {
    const values = await markerValues(base(), keyset, page.marker);
    if (!values) throw onMissingMarker(page.marker);
    whereAfter(q, keyset, values);
  }
  const ordered = orderByKeyset(q, keyset).limit(page.limit);
  return page.offset ? ordered.offset(page.offset) : ordered;
}

/** A listed volume with its attachments. */
export type ListedVolume = VolumeRow & { attachments: AttachmentRow[] };
type WithAttachmentRows = VolumeRow & { attachment_rows: Array<Omit<AttachmentRow, 'attached_at'> & { attached_at: string }> };

/**
 * A volume's attachments as a JSON column of its own row, oldest first (a page is one query, not
 * one more for the attachments); scoped as the volume is (an attachment is its volume's project's).
 */
function attachmentsColumn(scopedToProject: boolean): string {
  const fields = ['id', 'volume_id', 'project_id', 'server_id', 'device', 'attached_at', 'host_name', 'attach_mode', 'connected'].map((c) => `'${c}', a.${c}`).join(', ');
  return `coalesce((select json_agg(json_build_object(${fields}) order by a.attached_at) from volume_attachments as a
    where a.volume_id = volumes.id${scopedToProject ? ' and a.project_id = volumes.project_id' : ''}), '[]'::json) as attachment_rows`;
}

/** Knex queries for volumes and their attachments only; every read is scoped. */
export class VolumeStore {
  constructor(private readonly db: Knex | Tx) {}

  /** Runs `fn` in a transaction; stores built with `on(trx)` share it. */
  transaction<T>(fn: (trx: Tx) => Promise<T>): Promise<T> {
    return (this.db as Knex).transaction(fn);
  }

  on(trx: Tx): VolumeStore {
    return new VolumeStore(trx);
  }

  async get(scope: Scope, id: string, opts: { forUpdate?: boolean } = {}): Promise<VolumeRow | undefined> {
    const q = scoped(this.db('volumes').where({ id }), scope);
    if (opts.forUpdate) q.forUpdate();
    return this.row(await q.first());
  }

  /** One volume with its attachments (as attachments() reads them), in one query. */
  async getListed(scope: Scope, id: string): Promise<ListedVolume | undefined> {
    const row = await scoped(this.db('volumes').select('*', this.db.raw(attachmentsColumn('projectId' in scope))).where({ id }), scope).first();
    return row ? this.listed(row) : undefined;
  }

  /** One page of volumes, each with its attachments (as attachments() reads them) from the same query. */
  async list(scope: Scope, filter: VolumeFilter, page: PageRequest): Promise<ListedVolume[]> {
    const rows = await paginate<WithAttachmentRows>(
      () => scoped(this.db('volumes').select('*'), scope),
      (q) => volumeFilters(q.select(this.db.raw(attachmentsColumn('projectId' in scope))), filter),
      page,
      (marker) => new MarkerNotFound(marker),
    );
    return rows.map((r) => this.listed(r));
  }

  /** A row of list() or getListed(): pg's fresh object and only this read's, completed in place, not copied twice. */
  private listed(r: WithAttachmentRows): ListedVolume {
    const attachments = r.attachment_rows.map((a) => ({ ...a, attached_at: new Date(a.attached_at) }));
    // The query's last column: deleting it keeps the object's fast shape in V8.
    delete (r as { attachment_rows?: unknown }).attachment_rows;
    const listed = this.row(r) as ListedVolume;
    listed.attachments = attachments;
    return listed;
  }

  async count(scope: Scope, filter: VolumeFilter): Promise<number> {
    return countFiltered(scoped(this.db('volumes'), scope), (q) => volumeFilters(q, filter));
  }

  async insert(row: VolumeRow): Promise<void> {
    await this.db('volumes').insert({
      ...row, metadata: JSON.stringify(row.metadata),
      volume_image_metadata: row.volume_image_metadata ? JSON.stringify(row.volume_image_metadata) : null,
      admin_metadata: JSON.stringify(row.admin_metadata ?? {}),
    });
  }

  /**
   * Cinder's conditional_update: changes the row only while its status is one of
   * `expectedStatuses` (any status when omitted). Undefined when nothing matched.
   */
  async update(scope: Scope, id: string, patch: Partial<VolumeRow>, expectedStatuses?: string[]): Promise<VolumeRow | undefined> {
    const values: Record<string, unknown> = { ...patch, updated_at: new Date() };
    if (patch.metadata) values.metadata = JSON.stringify(patch.metadata);
    if (patch.volume_image_metadata) values.volume_image_metadata = JSON.stringify(patch.volume_image_metadata);
    if (patch.admin_metadata) values.admin_metadata = JSON.stringify(patch.admin_metadata);
    const q = scoped(this.db('volumes').where({ id }), scope);
    if (expectedStatuses) q.whereIn('status', expectedStatuses);
    const [row] = await q.update(values).returning('*');
    return this.row(row);
  }

  async delete(id: string): Promise<void> {
    await this.db('volumes').where({ id }).delete();
  }

  /** Volumes still being made from `snapshotId` (a snapshot delete waits for them). */
  async countCreatingFrom(snapshotId: string): Promise<number> {
    const [{ count }] = await this.db('volumes').where({ snapshot_id: snapshotId, status: 'creating' }).count<{ count: string }[]>('* as count');
    return Number(count);
  }

  /** Sizes and metadata of a scope's volumes, for Cinder's volume summary. */
  async sizesAndMetadata(scope: Scope): Promise<Array<Pick<VolumeRow, 'size' | 'metadata'>>> {
    const rows = await scoped(this.db('volumes').select('*'), scope);
    return rows.map((r: unknown) => this.row(r)!).map((r: VolumeRow) => ({ size: r.size, metadata: r.metadata }));
  }

  async attachments(scope: Scope, volumeIds: string[]): Promise<AttachmentRow[]> {
    if (volumeIds.length === 0) return [];
    return scoped(this.db('volume_attachments').whereIn('volume_id', volumeIds), scope).orderBy('attached_at');
  }

  async insertAttachment(row: AttachmentRow): Promise<void> {
    await this.db('volume_attachments').insert(row);
  }

  /**
   * Nova's attach in one statement: the volume, if still `available` in the attachment's
   * project, goes `in-use` and the attachment is inserted (a CTE). False when the volume was not
   * available (or not there): nothing changed.
   */
  async reserveAndAttach(row: Pick<AttachmentRow, 'id' | 'volume_id' | 'project_id' | 'server_id' | 'device' | 'attached_at'>): Promise<boolean> {
    const result = await this.db.raw(
      `with reserved as (update volumes set status = 'in-use', updated_at = ? where id = ? and project_id = ? and status = 'available' returning id)
       insert into volume_attachments (id, volume_id, project_id, server_id, device, attached_at) select ?, id, ?, ?, ?, ? from reserved returning id`,
      [row.attached_at, row.volume_id, row.project_id, row.id, row.project_id, row.server_id, row.device, row.attached_at],
    );
    return (result.rows ?? result).length > 0;
  }

  async deleteAttachment(scope: Scope, volumeId: string, serverId: string): Promise<number> {
    return scoped(this.db('volume_attachments').where({ volume_id: volumeId, server_id: serverId }), scope).delete();
  }

  async deleteAttachmentById(volumeId: string, attachmentId: string): Promise<number> {
    return this.db('volume_attachments').where({ volume_id: volumeId, id: attachmentId }).delete();
  }

  async countAttachments(volumeId: string): Promise<number> {
    const [{ count }] = await this.db('volume_attachments').where({ volume_id: volumeId }).count<{ count: string }[]>('* as count');
    return Number(count);
  }

  /** Ids of every volume row, for the start-up check against the data layer. */
  /** Reset: every volume and attachment row; counts by table into `rows`. */
  async removeAll(rows: Record<string, number>): Promise<void> {
    await countedDelete(rows, 'volume_attachments', this.db('volume_attachments'));
    await countedDelete(rows, 'volumes', this.db('volumes'));
  }

  async allIdsAndStatuses(): Promise<Array<{ id: string; status: string; project_id: string }>> {
    return this.db('volumes').select('id', 'status', 'project_id');
  }

  /** A row as knex returns it (JSON and numeric columns as text) -> the typed row. */
  private row(r: unknown): VolumeRow | undefined {
    if (!r) return undefined;
    // pg's row object, this caller's alone: its columns decoded in place.
    const raw = r as Record<string, unknown>;
    raw.size = Number(raw.size);
    raw.metadata = parseJson(raw.metadata, {});
    raw.admin_metadata = parseJson(raw.admin_metadata, {});
    return raw as unknown as VolumeRow;
  }
}

/** The marker of a list is not a visible row (Cinder: the resource's own 404). */
export class MarkerNotFound extends Error {
  constructor(readonly marker: string) {
    super(`marker ${marker} not found`);
  }
}
