/** HTTP-side parsing shared by Cinder's handlers: caller, views, list paging, boolean params. */
import type { RequestContext } from '../http/context';
import { queryString, requireAuth } from '../http/context';
import { BadRequest, Forbidden } from '../http/faults';
import { INT_LIMIT, integerQuery, type IntegerQueryRule } from '../http/integer-query';
import { invalidInput } from './volume-faults';
import type { Caller } from './volume-quotas';
import { TIME_OPERATORS, type CommonFilter, type PageRequest, type SortKey } from './volume-store';
import type { ViewContext } from './volume-views';

/** Cinder's osapi_max_limit: the page size when no limit is asked, and the cap. */
export const MAX_LIMIT = 1000;
/** Cinder's constants.DB_MAX_INT. */
const MAX_OFFSET = 0x7fffffff;

/** _get_offset_param (strutils.validate_integer, 0 to DB_MAX_INT): rows skipped after the marker. */
const OFFSET: IntegerQueryRule = {
  syntax: 'python-int', notInteger: () => 'offset must be an integer',
  min: { value: 0, message: 'offset must be >= 0' }, max: { value: MAX_OFFSET, message: `offset must be <= ${MAX_OFFSET}` },
};

export function callerOf(ctx: RequestContext): Caller {
  const auth = requireAuth(ctx);
  if (!auth.projectId) throw new Forbidden('A project-scoped token is required.');
  return { projectId: auth.projectId, userId: auth.userId, isAdmin: auth.isAdmin };
}

export function viewContextOf(ctx: RequestContext): ViewContext {
  const caller = callerOf(ctx);
  return { serviceUrl: ctx.serviceUrl, projectId: ctx.params.project_id ?? caller.projectId, isAdmin: caller.isAdmin, microversion: ctx.microversion };
}

export function atLeast(ctx: RequestContext, version: string): boolean {
  return ctx.microversion ? ctx.microversion.atLeast(version) : false;
}

/** oslo's bool_from_string words (lower case). */
export const TRUE = ['1', 't', 'true', 'on', 'y', 'yes'];
export const FALSE = ['0', 'f', 'false', 'off', 'n', 'no'];

/** Cinder's utils.get_bool_param: a strict boolean string, 400 otherwise. */
export function boolParam(ctx: RequestContext, name: string, fallback = false): boolean {
  const v = queryString(ctx, name);
  if (v === undefined) return fallback;
  const s = v.trim().toLowerCase();
  if (TRUE.includes(s)) return true;
  if (FALSE.includes(s)) return false;
  throw new BadRequest(`Value '${v}' for '${name}' is not a boolean.`);
}

/** oslo bool_from_string (lenient): what all_tenants and usage use. */
export function lenientBool(ctx: RequestContext, name: string): boolean {
  const v = queryString(ctx, name);
  return v !== undefined && TRUE.includes(v.trim().toLowerCase());
}

/** Cinder's get_pagination_params + get_sort_params + process_sort_params. */
export function pageOf(ctx: RequestContext, columns: Record<string, string>): PageRequest {
  // get_pagination_params (_get_limit_param, then offset) before get_sort_params.
  const limit = Math.min(integerQuery(queryString(ctx, 'limit'), INT_LIMIT) ?? MAX_LIMIT, MAX_LIMIT);
  const offset = integerQuery(queryString(ctx, 'offset'), OFFSET) ?? 0;
  const sort = queryString(ctx, 'sort');
  const sortKey = queryString(ctx, 'sort_key');
  const sortDir = queryString(ctx, 'sort_dir');
  let pairs: Array<[string, string]>;
  if (sort !== undefined) {
    if (sortKey !== undefined || sortDir !== undefined) {
      throw new BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.");
    }
    pairs = sort.split(',').filter((s) => s.trim()).map((s) => {
      const [k, d] = s.split(':');
      return [k.trim(), (d ?? 'desc').trim()];
    });
  } else {
    const keys = (sortKey ?? 'created_at').split(',').map((s) => s.trim());
    const dirs = (sortDir ?? 'desc').split(',').map((s) => s.trim());
    pairs = keys.map((k, i) => [k, dirs[i] ?? dirs[dirs.length - 1] ?? 'desc']);
  }
  const keys: SortKey[] = pairs.map(([k, d]) => {
    const dir = d.toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') throw invalidInput("Unknown sort direction, must be 'desc' or 'asc'.");
    const column = Object.hasOwn(columns, k) ? columns[k] : undefined;
    if (!column) throw invalidInput('Invalid sort key');
    return { column, dir };
  });
  // Cinder's default keys, so pages are stable: created_at then id, in the first key's direction.
  for (const extra of ['created_at', 'id']) {
    if (!keys.some((k) => k.column === extra)) keys.push({ column: extra, dir: keys[0]?.dir ?? 'desc' });
  }
  return { limit, marker: queryString(ctx, 'marker'), sort: keys, offset };
}

/** The `metadata` (or `glance_metadata`) filter: cinderclient sends a Python dict literal ({'k': 'v'}), others JSON. */
export function metadataFilter(ctx: RequestContext, name = 'metadata'): Record<string, string> | undefined {
  const raw = queryString(ctx, name);
  if (raw === undefined || raw === '') return undefined;
  for (const text of [raw, raw.replace(/u?'/g, '"')]) {
    try {
      const v = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
      }
    } catch {
      // try the next spelling
    }
  }
  throw invalidInput(`Invalid metadata filter: ${raw}`);
}

/** A string filter when present (an empty value still filters, as Cinder does). */
export function stringFilter(ctx: RequestContext, name: string): string | undefined {
  return queryString(ctx, name);
}

/** Cinder's etc/cinder/resource_filters.json: what a non-admin may filter each list by (GET /resource_filters shows it). */
export const USER_FILTERS: Record<string, string[]> = {
  volume: ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at', 'consumes_quota'],
  backup: ['name', 'status', 'volume_id'],
  snapshot: ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'],
  group: ['name'],
  group_snapshot: ['name', 'status', 'group_id'],
  attachment: ['volume_id', 'status', 'instance_id', 'attach_status'],
  message: ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'],
  pool: ['name', 'volume_type'],
  volume_type: ['is_public', 'extra_specs'],
};

/**
 * Cinder's reject_invalid_filters (3.31): a non-admin's filter that resource_filters.json does
 * not name is a 400 (all_tenants, which cinderclient always sends, is dropped); before 3.31 it
 * is dropped silently, as it is here. From 3.34 `key` is also valid where `key~` is configured
 * (and `key~` where `key~~` is: by default a non-admin has no like filter). Pagination, sorting
 * and, from 3.45, with_count are not filters.
 */
export function checkFilterNames(ctx: RequestContext, resource: 'volume' | 'snapshot'): void {
  if (!atLeast(ctx, '3.31')) return;
  const names = Object.keys(ctx.query).filter((k) => !['marker', 'limit', 'offset', 'sort', 'sort_key', 'sort_dir'].includes(k) && !(k === 'with_count' && atLeast(ctx, '3.45')));
  if (names.some((k) => !/^[\x00-\x7f]*$/.test(k))) throw new BadRequest('Filter keys can only contain ASCII characters.');
  if (callerOf(ctx).isAdmin) return;
  const configured = USER_FILTERS[resource];
  const like = atLeast(ctx, '3.34');
  const invalid = names.filter((k) => k !== 'all_tenants' && !(configured.includes(k) || (like && configured.includes(`${k}~`))));
  if (invalid.length) throw new BadRequest(`Invalid filters ${invalid.join(',')} are found in query options.`);
}

/** with_count (3.45): Cinder's strict boolean; before 3.45 a filter like any other. */
export function withCount(ctx: RequestContext): boolean {
  return atLeast(ctx, '3.45') && boolParam(ctx, 'with_count');
}

/** `name~`, `description~`, `status~` (3.34): LIKE filters on those columns. */
export function likeFilters(ctx: RequestContext): CommonFilter['like'] {
  if (!atLeast(ctx, '3.34')) return undefined;
  const like = ['name', 'description', 'status'].flatMap((column) => {
    const text = queryString(ctx, `${column}~`);
    return text === undefined ? [] : [{ column, text }];
  });
  return like.length ? like : undefined;
}

/**
 * created_at / updated_at as `op:time[,op:time]` (Cinder's _handle_time_comparison_filters).
 * Cinder drops both names below 3.31 and parses them from there (3.60 documents it: its
 * general filtering reaches the parser first).
 */
export function timeFilters(ctx: RequestContext): CommonFilter['times'] {
  if (!atLeast(ctx, '3.31')) return undefined;
  const times: NonNullable<CommonFilter['times']> = [];
  for (const column of ['created_at', 'updated_at'] as const) {
    const raw = queryString(ctx, column);
    if (raw === undefined) continue;
    for (const unit of raw.split(',')) {
      const parts = unit.split(':');
      const op = parts[0];
      const time = parts.length > 1 ? parts.slice(1).join(':') : parts[0];
      if (!Object.hasOwn(TIME_OPERATORS, op)) throw new BadRequest(`Invalid ${op} operator`);
      const at = isoTime(time);
      if (Number.isNaN(at.getTime())) throw new BadRequest(`Invalid ${time} value`);
      times.push({ column, op: op as keyof typeof TIME_OPERATORS, at });
    }
  }
  return times.length ? times : undefined;
}

/** What oslo's parse_isotime reads: a date, optionally a time with fractions and a zone (UTC when none). */
function isoTime(text: string): Date {
  const m = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?([zZ]|[+-]\d\d:?\d\d)?$/.exec(text);
  if (!m) return new Date(NaN);
  return new Date(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? 'Z'}`);
}
