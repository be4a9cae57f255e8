import type { Knex } from 'knex';
import { Keyset, withIdTieBreaker } from '../db/keyset';
import { BadRequest } from '../http/faults';
import { INT_LIMIT, integerQuery, type IntegerQueryRule } from '../http/integer-query';
import type { ImageListFilter } from './image-api';

/** Glance's sort keys, each an images column of the same name. */
export const SORT_KEYS = [
  'name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at', 'min_disk', 'min_ram', 'owner',
  'visibility', 'os_hidden', 'protected', 'virtual_size',
];
const STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated', 'uploading', 'importing'];
const VISIBILITY_FILTERS = ['public', 'private', 'shared', 'community', 'all'];
const MEMBER_STATUSES = ['pending', 'accepted', 'rejected', 'all'];
const DATE_OPS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

type Query = Record<string, string | string[]>;

function last(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Every value of a repeatable parameter. */
function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function intParam(name: string, raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw new BadRequest(`${name} param must be an integer`);
  const n = Number(raw);
  if (n < 0) throw new BadRequest(`${name} param must be positive`);
  return n;
}

/**
 * Glance's range filters (any key ending in `_min` or `_max`, size_min and size_max the
 * documented ones): int() of the text, negative bounds taken (the db layer's
 * _make_conditions_from_filters), and its words for anything else.
 */
const RANGE_FILTER: IntegerQueryRule = { syntax: 'python-int', notInteger: () => 'Unable to filter on a range with a non-numeric value.' };

/** A range bound; past any image's size it is held at the largest exact number, which every size stays within (PostgreSQL's bigint refuses more). */
function rangeBound(raw: string | undefined): number | undefined {
  const n = integerQuery(raw, RANGE_FILTER);
  return n === undefined ? undefined : Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
}

/** Glance's index: 'true' or 'false' only (os_hidden lowercased first, protected as given). */
function bool(name: 'os_hidden' | 'protected', raw: string): boolean {
  const v = name === 'os_hidden' ? raw.toLowerCase() : raw;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new BadRequest(`Invalid value '${v}' for '${name}' filter. Valid values are 'true' or 'false'.`);
}

/** GET /v2/images query string -> a filter, with Glance's 400s for bad values. */
export function parseImageListQuery(query: Query): ImageListFilter {
  const f: ImageListFilter = {};
  const name = last(query.name);
  if (name !== undefined) f.name = name;
  const status = last(query.status);
  if (status !== undefined) {
    if (!STATUSES.includes(status)) throw new BadRequest(`Invalid status value: ${status}`);
    f.status = status;
  }
  // Glance's deserializer: visibility (an empty one is no filter), changes-since, then member_status.
  const visibility = last(query.visibility);
  if (visibility) {
    if (!VISIBILITY_FILTERS.includes(visibility)) throw new BadRequest(`Invalid visibility value: ${visibility}`);
    f.visibility = visibility;
  }
  if (last(query['changes-since'])) throw new BadRequest('The "changes-since" filter is no longer available on v2.');
  const memberStatus = last(query.member_status);
  if (memberStatus !== undefined) {
    if (!MEMBER_STATUSES.includes(memberStatus)) throw new BadRequest(`Invalid status: ${memberStatus}`);
    f.memberStatus = memberStatus;
  }
  const owner = last(query.owner);
  if (owner !== undefined) f.owner = owner;
  const containerFormat = last(query.container_format);
  if (containerFormat !== undefined) f.containerFormat = containerFormat;
  const diskFormat = last(query.disk_format);
  if (diskFormat !== undefined) f.diskFormat = diskFormat;
  const tags = all(query.tag).map((t) => t.trim());
  if (tags.length) f.tags = tags;
  const hidden = last(query.os_hidden);
  f.osHidden = hidden === undefined ? false : bool('os_hidden', hidden);
  const createdAt = last(query.created_at);
  if (createdAt !== undefined) f.createdAt = createdAt;
  const updatedAt = last(query.updated_at);
  if (updatedAt !== undefined) f.updatedAt = updatedAt;
  const limit = integerQuery(last(query.limit), INT_LIMIT);
  if (limit !== undefined) f.limit = Math.min(limit, 1000);
  const marker = last(query.marker);
  if (marker !== undefined) f.marker = marker;
  f.sort = parseSort(query);
  // Any other key filters too, as Glance's _make_conditions_from_filters does: `<key>_min` and
  // `<key>_max` as a range (the value must be a whole number, whatever the key), a core
  // attribute by equality, anything else as an extra property (e.g. image_type=backup).
  for (const [key, raw] of Object.entries(query)) {
    const value = last(raw);
    if (HANDLED.has(key) || value === undefined) continue;
    const range = /^(.+)_(min|max)$/.exec(key);
    if (range) {
      const bound = rangeBound(value)!;
      // Glance compares any other column too (its SQL then fails: a 500); here that key stays a property filter.
      if (INT_COLUMNS.has(range[1])) {
        (f.ranges ??= []).push({ column: range[1], op: range[2] === 'min' ? '>=' : '<=', value: bound });
        continue;
      }
    }
    if (INT_COLUMNS.has(key)) (f.attributes ??= {})[key] = intParam(key, value);
    else if (key === 'protected') (f.attributes ??= {}).protected = bool(key, value);
    else if (TEXT_COLUMNS.has(key)) (f.attributes ??= {})[key] = value;
    else (f.properties ??= {})[key] = value;
  }
  return f;
}

/** Query keys read above (or by the paging), never taken as filters on attributes or properties. */
const HANDLED = new Set([
  'name', 'status', 'visibility', 'member_status', 'owner', 'container_format', 'disk_format', 'tag', 'os_hidden',
  'created_at', 'updated_at', 'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'changes-since',
]);
const INT_COLUMNS = new Set(['size', 'virtual_size', 'min_disk', 'min_ram']);
const TEXT_COLUMNS = new Set(['id', 'checksum', 'os_hash_algo', 'os_hash_value']);

/**
 * Glance's _get_sorting_params: `sort=key[:dir],...` or the classic repeated sort_key and
 * sort_dir (one dir for every key, or one per key), never both; keys and dirs stripped; desc by default.
 */
function parseSort(query: Query): ImageListFilter['sort'] {
  const sort = last(query.sort);
  const keys = all(query.sort_key).map((k) => k.trim());
  const dirs = all(query.sort_dir).map((d) => d.trim());
  if (sort !== undefined && (query.sort_key !== undefined || query.sort_dir !== undefined)) {
    throw new BadRequest('Old and new sorting syntax cannot be combined');
  }
  const checkKey = (key: string) => {
    if (!SORT_KEYS.includes(key)) throw new BadRequest(`Invalid sort key: ${key}. It should be one of the following: ${SORT_KEYS.join(', ')}.`);
    return key;
  };
  const checkDir = (dir: string) => {
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`Invalid sort direction: ${dir}`);
    return dir;
  };
  if (sort !== undefined) {
    return sort.trim().split(',').map((part) => {
      const colon = part.indexOf(':');
      const key = colon < 0 ? part : part.slice(0, colon);
      const dir = colon < 0 || part.slice(colon + 1) === '' ? 'desc' : part.slice(colon + 1);
      return { key: checkKey(key.trim()), dir: checkDir(dir.trim()) };
    });
  }
  keys.forEach(checkKey);
  dirs.forEach(checkDir);
  if (dirs.length > 1 && dirs.length !== keys.length) throw new BadRequest('Number of sort dirs does not match the number of sort keys');
  const sortKeys = keys.length ? keys : ['created_at'];
  return sortKeys.map((key, i) => ({ key, dir: (dirs.length > 1 ? dirs[i] : dirs[0] ?? 'desc') as 'asc' | 'desc' }));
}

/** The SQL side of the filters (visibility scoping is the store's). */
export function imageListQuery(f: ImageListFilter): (q: Knex.QueryBuilder) => void {
  // Dates are checked now, before the marker is looked up, so a bad date wins as it always did.
  const dates: Array<[string, string, Date]> = [];
  for (const [col, raw] of [['created_at', f.createdAt], ['updated_at', f.updatedAt]] as const) {
    if (raw === undefined) continue;
    const m = /^(eq|neq|gt|gte|lt|lte):(.+)$/.exec(raw);
    const when = new Date(m ? m[2] : raw);
    if (Number.isNaN(when.getTime())) throw new BadRequest(`Invalid value for ${col}: ${raw}`);
    dates.push([col, m ? DATE_OPS[m[1]] : '=', when]);
  }
  return (q) => {
    if (f.name !== undefined) q.where('i.name', f.name);
    if (f.status !== undefined) q.where('i.status', f.status);
    if (f.owner !== undefined) q.where('i.owner', f.owner);
    if (f.containerFormat !== undefined) q.where('i.container_format', f.containerFormat);
    if (f.diskFormat !== undefined) q.where('i.disk_format', f.diskFormat);
    if (f.osHidden !== undefined) q.where('i.os_hidden', f.osHidden);
    if (f.properties !== undefined) q.whereRaw('i.properties @> ?::jsonb', [JSON.stringify(f.properties)]);
    for (const [column, value] of Object.entries(f.attributes ?? {})) q.where(`i.${column}`, value);
    for (const { column, op, value } of f.ranges ?? []) q.where(`i.${column}`, op, value);
    for (const tag of f.tags ?? []) {
      q.whereExists(function hasTag() {
        this.select(1).from('image_tags as t').whereRaw('t.image_id = i.id').where('t.tag', tag);
      });
    }
    for (const [col, op, when] of dates) q.where(`i.${col}`, op, when);
  };
}

/** Image columns that may hold NULL (they sort below every value, as Glance's in-memory sort did). */
const NULLABLE = new Set(['name', 'owner', 'size', 'virtual_size', 'disk_format', 'container_format']);

/** The SQL order of a list: the asked keys, then id in the last key's direction. */
export function imageKeyset(sort: ImageListFilter['sort']): Keyset {
  const keys = (sort ?? [{ key: 'created_at', dir: 'desc' as const }]).map(({ key, dir }) => ({ column: key, dir, nullable: NULLABLE.has(key) }));
  return { keys: withIdTieBreaker(keys), nulls: 'low', alias: 'i' };
}
