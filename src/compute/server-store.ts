import { BadRequest, NotFound } from '../http/faults';
import type { Knex } from 'knex';
import { Keyset, KeysetKey, markerValues, orderByKeyset, whereAfter, withIdTieBreaker } from '../db/keyset';
import { countedDelete } from '../db/counted-delete';
import { NamedStatement, namedRows } from '../db/named-statements';

export interface FlavorAtBoot {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  extra_specs: Record<string, string>;
}

export interface ServerFault {
  code: number;
  message: string;
  details?: string;
  created: string;
}

export interface ServerRow {
  id: string;
  project_id: string;
  user_id: string;
  name: string;
  description: string | null;
  image_ref: string;
  flavor_id: string;
  flavor: FlavorAtBoot;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  networks: string;
  metadata: Record<string, string>;
  system_metadata: Record<string, string>;
  docker_image: string | null;
  container_id: string | null;
  ip_address: string | null;
  mac_address: string | null;
  fault: ServerFault | null;
  key_name: string | null;
  availability_zone: string;
  root_device_name: string;
  locked: boolean;
  locked_reason?: string | null;
  /** 'owner' or 'admin' (nova's instance.locked_by): who may unlock without unlock_override. */
  locked_by?: 'owner' | 'admin' | null;
  access_ip_v4?: string | null;
  access_ip_v6?: string | null;
  /** trusted_image_certificates (2.63), as asked on create or rebuild. */
  trusted_certs?: string[] | null;
  /** Before a resize: the flavor and vm_state revert and confirm go back to. */
  old_flavor?: FlavorAtBoot | null;
  old_vm_state?: string | null;
  /** The `<name>-shelved` image of an image-backed server shelved. */
  shelved_image_id?: string | null;
  /** Multiple create (server-create.ts multiplyPlan): null on rows from before. */
  reservation_id?: string | null;
  launch_index?: number | null;
  /** OS-EXT-SRV-ATTR:hostname: the name's at create (suffixed by multiple create), or the one asked from 2.90; a rename keeps it (null on rows from before: the name's). */
  hostname?: string | null;
  /** The server groups it is a member of (show/update/rebuild from 2.71); read by get() and update(). */
  server_groups?: string[];
  /** Its tags (2.26), in name order: read with the row, written through ServerTagStore. */
  tags?: string[];
  launched_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface BlockDeviceRow {
  id: string;
  server_id: string;
  boot_index: number | null;
  source_type: 'image' | 'volume' | 'snapshot' | 'blank';
  destination_type: 'volume' | 'local';
  image_id: string | null;
  snapshot_id: string | null;
  volume_id: string | null;
  volume_size: number | null;
  volume_type: string | null;
  delete_on_termination: boolean;
  device_name: string | null;
  device_type: string | null;
  disk_bus: string | null;
  guest_format: string | null;
  tag: string | null;
  created_by_build: boolean;
  created_at?: Date;
}

const JSON_COLUMNS = ['flavor', 'metadata', 'system_metadata', 'fault', 'old_flavor', 'trusted_certs'] as const;

function decode<R = ServerRow>(row: Record<string, unknown>): R {
  for (const c of JSON_COLUMNS) {
    const v = row[c];
    if (typeof v === 'string') row[c] = JSON.parse(v);
  }
  return row as unknown as R;
}

function encode(patch: Partial<ServerRow>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...patch };
  for (const c of JSON_COLUMNS) if (c in patch) out[c] = patch[c] === null ? null : JSON.stringify(patch[c]);
  return out;
}

export interface ServerListScope {
  /** null = every project (admin with all_tenants) */
  projectId: string | null;
  /** Nova's regex filters, evaluated by PostgreSQL (linear-time engine, bounded by a statement timeout). */
  nameRegex?: string;
  ipRegex?: string;
  /** Exact filters: an admin's project_id (with all_tenants), image and flavor ids. */
  ownerProjectId?: string;
  imageRef?: string;
  flavorId?: string;
  /** vm_state in these (Nova's status filter). */
  vmStates?: string[];
  /** updated_at at or after (changes-since). */
  changedSince?: Date;
  /** updated_at at or before (changes-before, 2.66). */
  changedBefore?: Date;
  /** locked or not (2.73). */
  locked?: boolean;
  /** Nova's exact-match filters (user_id, vm_state, task_state). */
  exact?: Partial<Record<'user_id' | 'vm_state' | 'task_state', string>>;
  /** Nova's regex filters on other columns (key_name, availability_zone, hostname). */
  regex?: Partial<Record<'key_name' | 'availability_zone' | 'hostname', string>>;
  /** The servers of one create request (Nova's reservation_id filter). */
  reservationId?: string;
  /** Nova's tag filters (2.26): every one of `tags`, any of `tagsAny`, not every one of `notTags`, none of `notTagsAny`. */
  tags?: string[];
  tagsAny?: string[];
  notTags?: string[];
  notTagsAny?: string[];
  /** The list's order (serverOrder); created_at desc, id desc when none is given. */
  order?: Keyset;
  /** Which rows: the live ones (the default), the deleted ones, or both (Nova's deleted filter, changes-since). */
  deleted?: 'live' | 'deleted' | 'any';
}

export interface ServerPage {
  limit: number;
  /** Id of the last server of the previous page; it must itself match the filters. */
  marker?: string;
}

/** What a server's view shows of a block device (os-extended-volumes:volumes_attached). */
export type VolumeRef = Pick<BlockDeviceRow, 'destination_type' | 'volume_id' | 'delete_on_termination'>;

/**
 * The columns the detail view shows (server-views.ts serverDetail); the rest (system metadata,
 * the container, the flavor before a resize, ...) is the actions' and stays in the table.
 */
const VIEW_COLUMNS = [
  'id', 'project_id', 'user_id', 'name', 'description', 'image_ref', 'flavor', 'vm_state', 'task_state', 'power_state',
  'networks', 'metadata', 'ip_address', 'mac_address', 'fault', 'key_name', 'availability_zone', 'root_device_name',
  'locked', 'locked_reason', 'access_ip_v4', 'access_ip_v6', 'trusted_certs', 'reservation_id', 'launch_index', 'hostname',
  'launched_at', 'created_at', 'updated_at', 'deleted_at',
] as const;

/** A server as the detail view reads it: its view's columns, its volume references, and its tags and groups when asked. */
export type ServerViewRow = Pick<ServerRow, (typeof VIEW_COLUMNS)[number] | 'tags' | 'server_groups'> & { volume_refs?: VolumeRef[] };

/** A server as the summary view (GET /servers) reads it. */
export type ServerSummaryRow = Pick<ServerRow, 'id' | 'name'>;

/**
 * What a view reads of each server: the summary's id and name, or the detail's columns and
 * volume references with, as its microversion shows them, the tags (2.26) and a show's groups (2.71).
 */
export type ServerViewColumns = { detail: false } | { detail: true; tags: boolean; groups: boolean };

/** The row a view's columns read. */
export type ServerViewOf<V extends ServerViewColumns> = V extends { detail: true } ? ServerViewRow : ServerSummaryRow;

/** The block devices' volume references as a JSON column of the server's own row (one query per page). */
const VOLUME_REFS = `coalesce((select json_agg(json_build_object('destination_type', b.destination_type, 'volume_id', b.volume_id, 'delete_on_termination', b.delete_on_termination) order by b.created_at, b.device_name)
  from server_block_devices as b where b.server_id = servers.id), '[]'::json) as volume_refs`;

/** The server's tags as a JSON column of its own row. */
const TAGS = `coalesce((select json_agg(st.tag order by st.tag) from server_tags as st where st.server_id = servers.id), '[]'::json) as tags`;

/** The groups the server is a member of, as a JSON column of its own row. */
const GROUPS = `coalesce((select json_agg(g.group_id) from server_group_members as g where g.server_id = servers.id), '[]'::json) as server_groups`;

/** The select list of a view's columns (a few texts, each a named statement's). */
function viewSelect(v: ServerViewColumns): string {
  if (!v.detail) return 'servers.id, servers.name';
  return [...VIEW_COLUMNS.map((c) => `servers.${c}`), VOLUME_REFS, ...(v.tags ? [TAGS] : []), ...(v.groups ? [GROUPS] : [])].join(', ');
}

/** A live server as the detail view reads it, by tags (2.26) and groups (2.71): made once each. */
const SHOW = [false, true].map((tags) => [false, true].map((groups) =>
  new NamedStatement(`select ${viewSelect({ detail: true, tags, groups })} from servers where id = ? and deleted_at is null`)));

/** How many of `tags` the server has (a SQL fragment and its bindings). */
function tagCount(tags: string[]): [string, string[]] {
  return [`(select count(*) from server_tags as st where st.server_id = servers.id and st.tag in (${tags.map(() => '?').join(', ')}))`, tags];
}

/** Nova's list order: newest first, id breaking ties. */
const SERVER_ORDER: Keyset = { keys: [{ column: 'created_at', dir: 'desc' }, { column: 'id', dir: 'desc' }], nulls: 'low' };

/**
 * Nova's sort keys as columns of `servers` (NOT NULL ones plain); a key with no column here (host and
 * node: one host; auto_disk_config, config_drive, kernel_id, ramdisk_id, progress: one value on every
 * server) orders nothing and is left out.
 */
const SORT_COLUMNS: Record<string, { column: string; nullable?: boolean }> = {
  access_ip_v4: { column: 'access_ip_v4', nullable: true }, access_ip_v6: { column: 'access_ip_v6', nullable: true },
  availability_zone: { column: 'availability_zone' }, created_at: { column: 'created_at' },
  display_description: { column: 'description', nullable: true }, display_name: { column: 'name' },
  hostname: { column: 'hostname', nullable: true }, image_ref: { column: 'image_ref' }, instance_type_id: { column: 'flavor_id' },
  key_name: { column: 'key_name', nullable: true }, launch_index: { column: 'launch_index', nullable: true },
  launched_at: { column: 'launched_at', nullable: true }, locked: { column: 'locked' }, locked_by: { column: 'locked_by', nullable: true },
  power_state: { column: 'power_state' }, project_id: { column: 'project_id' }, root_device_name: { column: 'root_device_name' },
  task_state: { column: 'task_state', nullable: true }, terminated_at: { column: 'deleted_at', nullable: true }, updated_at: { column: 'updated_at' }, user_id: { column: 'user_id' },
  uuid: { column: 'id' }, id: { column: 'id' }, vm_state: { column: 'vm_state' },
};

/** The order of Nova's sort keys and directions (request-versions.ts serverSort), id last. */
export function serverOrder(sort: { keys: string[]; dirs: Array<'asc' | 'desc'> }): Keyset {
  const keys: KeysetKey[] = [];
  sort.keys.forEach((key, i) => {
    const c = SORT_COLUMNS[key];
    if (c && !keys.some((k) => k.column === c.column)) keys.push({ column: c.column, dir: sort.dirs[i], nullable: c.nullable });
  });
  return { keys: withIdTieBreaker(keys), nulls: 'low' };
}

/** How long a regex filter may run before the list is refused (PostgreSQL's statement_timeout). */
const REGEX_FILTER_TIMEOUT_MS = 2000;

/** Knex queries for servers and their block devices only. Deleted servers are invisible here, but to a list that asks for them. */
export class ServerStore {
  constructor(private readonly db: Knex) {}

  async get(id: string, opts: { includeDeleted?: boolean } = {}): Promise<ServerRow | undefined> {
    const q = this.db('servers').select('servers.*', this.db.raw(TAGS), this.db.raw(GROUPS)).where({ id });
    if (!opts.includeDeleted) q.whereNull('deleted_at');
    const row = await q.first();
    return row ? decode(row) : undefined;
  }

  /** A live server as its detail view reads it (a polling client's every look): one named statement. */
  async view(id: string, columns: Extract<ServerViewColumns, { detail: true }>): Promise<ServerViewRow | undefined> {
    const [row] = await SHOW[Number(columns.tags)][Number(columns.groups)].rows<Record<string, unknown>>(this.db, [id]);
    return row ? decode<ServerViewRow>(row) : undefined;
  }

  /** The live server, or Nova's 404 (a server deleted meanwhile is not a 500). */
  async require(id: string): Promise<ServerRow> {
    const server = await this.get(id);
    if (!server) throw notFound(id);
    return server;
  }

  /** Every matching server's row, or one page of them (`page`), in Nova's order, filtered and cut in SQL. */
  list(scope: ServerListScope, page?: ServerPage): Promise<ServerRow[]> {
    return this.select<ServerRow>(scope, page, `servers.*, ${TAGS}`);
  }

  /** One page of the matching servers as a view reads them, as a named statement. */
  listView<V extends ServerViewColumns>(scope: ServerListScope, page: ServerPage, columns: V): Promise<ServerViewOf<V>[]> {
    return this.select<ServerViewOf<V>>(scope, page, viewSelect(columns), true);
  }

  private async select<R>(scope: ServerListScope, page: ServerPage | undefined, columns: string, prepared = false): Promise<R[]> {
    const filtered = (q: Knex.QueryBuilder, literal: boolean) => {
      if (scope.deleted === 'deleted') q.whereNotNull('deleted_at');
      else if (scope.deleted !== 'any') q.whereNull('deleted_at');
      if (scope.projectId !== null) q.where({ project_id: scope.projectId });
      if (scope.ownerProjectId !== undefined) q.where({ project_id: scope.ownerProjectId });
      if (scope.imageRef !== undefined) q.where({ image_ref: scope.imageRef });
      if (scope.flavorId !== undefined) q.where({ flavor_id: scope.flavorId });
      if (scope.vmStates !== undefined) q.whereIn('vm_state', scope.vmStates);
      if (scope.changedSince !== undefined) q.where('updated_at', '>=', scope.changedSince);
      if (scope.changedBefore !== undefined) q.where('updated_at', '<=', scope.changedBefore);
      if (scope.locked !== undefined) q.where({ locked: scope.locked });
      for (const [column, value] of Object.entries(scope.exact ?? {})) if (value !== undefined) q.where(column, value);
      if (scope.reservationId !== undefined) q.where({ reservation_id: scope.reservationId });
      for (const [tags, all, negate] of [[scope.tags, true, false], [scope.tagsAny, false, false], [scope.notTags, true, true], [scope.notTagsAny, false, true]] as const) {
        if (!tags?.length) continue;
        const unique = [...new Set(tags)];
        const [count, bindings] = tagCount(unique);
        const test = all ? `${count} = ${unique.length}` : `${count} > 0`;
        q.whereRaw(negate ? `not (${test})` : test, bindings);
      }
      // Like Nova on a database without regex support, a pattern that does not compile matches as text.
      const patterns: Array<[string, string | undefined]> = [['name', scope.nameRegex], ['ip_address', scope.ipRegex], ...Object.entries(scope.regex ?? {})];
      for (const [column, pattern] of patterns) {
        if (pattern === undefined) continue;
        if (literal) q.whereRaw('strpos(??, ?) > 0', [column, pattern]);
        else q.whereRaw('?? ~ ?', [column, pattern]);
      }
      return q;
    };
    const order = scope.order ?? SERVER_ORDER;
    const run = async (db: Knex | Knex.Transaction, literal: boolean) => {
      const q = orderByKeyset(filtered(db('servers').select(db.raw(columns)), literal), order);
      if (page?.marker !== undefined) {
        const values = await markerValues(filtered(db('servers'), literal), order, page.marker);
        if (!values) throw new BadRequest(`marker [${page.marker}] not found`);
        whereAfter(q, order, values);
      }
      if (page) q.limit(page.limit);
      const rows: Record<string, unknown>[] = prepared ? await namedRows(db, q) : await q;
      return rows.map((row) => decode<R>(row));
    };
    if (scope.nameRegex === undefined && scope.ipRegex === undefined && !Object.keys(scope.regex ?? {}).length) return run(this.db, false);
    try {
      return await this.db.transaction(async (trx) => {
        await trx.raw(`SET LOCAL statement_timeout = ${REGEX_FILTER_TIMEOUT_MS}`);
        return run(trx, false);
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '2201B') return run(this.db, true);
      if (code === '57014') throw new BadRequest('The name or ip filter is too costly to evaluate.');
      throw err;
    }
  }

  /** What the project's servers not deleted use (Nova's instances, cores and ram quota usage). */
  async usage(projectId: string): Promise<{ instances: number; cores: number; ram: number }> {
    const row = await this.db('servers').where({ project_id: projectId }).whereNull('deleted_at')
      .first(this.db.raw("count(*) as instances, coalesce(sum((flavor->>'vcpus')::int), 0) as cores, coalesce(sum((flavor->>'ram')::int), 0) as ram"));
    return { instances: Number(row?.instances ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
  }

  async insert(server: Omit<ServerRow, 'created_at' | 'updated_at' | 'deleted_at' | 'launched_at'>, bdms: BlockDeviceRow[], trx: Knex.Transaction): Promise<void> {
    const { tags, server_groups: _groups, ...row } = server;
    await trx('servers').insert(encode(row as Partial<ServerRow>));
    if (bdms.length) await trx('server_block_devices').insert(bdms);
    if (tags?.length) await trx('server_tags').insert([...new Set(tags)].map((tag) => ({ server_id: server.id, tag })));
  }

  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** opts.live: only while the server is not deleted (undefined otherwise), in the same statement. */
  async update(id: string, patch: Partial<ServerRow>, opts: { live?: boolean } = {}): Promise<ServerRow | undefined> {
    const { tags: _tags, server_groups: _groups, ...columns } = patch;
    const q = this.db('servers').where({ id });
    if (opts.live) q.whereNull('deleted_at');
    const [row] = await q.update({ ...encode(columns), updated_at: new Date() }).returning(this.db.raw(`*, ${TAGS}, ${GROUPS}`));
    return row ? decode(row) : undefined;
  }

  /** update() of a server that must still be there: Nova's 404 when it was deleted meanwhile. */
  async updateExisting(id: string, patch: Partial<ServerRow>): Promise<ServerRow> {
    const row = await this.update(id, patch);
    if (!row) throw notFound(id);
    return row;
  }

  /** Soft delete: GET answers 404 at once; clean-up runs as a job. */
  async markDeleted(id: string, trx?: Knex.Transaction): Promise<boolean> {
    const rows = await (trx ?? this.db)('servers').where({ id }).whereNull('deleted_at').update({ deleted_at: new Date(), task_state: 'deleting', updated_at: new Date() }).returning('id');
    return rows.length > 0;
  }

  async blockDevices(serverId: string): Promise<BlockDeviceRow[]> {
    return this.db('server_block_devices').where({ server_id: serverId }).orderBy([{ column: 'created_at' }, { column: 'device_name' }]);
  }

  async insertBlockDevice(row: BlockDeviceRow): Promise<void> {
    await this.db('server_block_devices').insert(row);
  }

  /** opts.live: only while its server is not deleted, in the same statement; whether it was updated. */
  async updateBlockDevice(id: string, patch: Partial<BlockDeviceRow>, opts: { live?: boolean } = {}): Promise<boolean> {
    const q = this.db('server_block_devices').where({ id });
    if (opts.live) q.whereExists((s) => s.select(this.db.raw('1')).from('servers').whereRaw('servers.id = server_block_devices.server_id').whereNull('servers.deleted_at'));
    return (await q.update(patch)) > 0;
  }

  /** Reset: every server's row (deleted ones too) and block device, in one transaction; the ids and the counts. */
  async removeAll(): Promise<{ serverIds: string[]; rows: Record<string, number> }> {
    const rows: Record<string, number> = {};
    const serverIds = await this.db.transaction(async (trx) => {
      const ids: string[] = await trx('servers').pluck('id');
      await countedDelete(rows, 'server_block_devices', trx('server_block_devices'));
      await countedDelete(rows, 'servers', trx('servers'));
      return ids;
    });
    return { serverIds, rows };
  }

  async deleteBlockDevice(id: string): Promise<void> {
    await this.db('server_block_devices').where({ id }).delete();
  }
}

function notFound(id: string): NotFound {
  return new NotFound(`Instance ${id} could not be found.`);
}
