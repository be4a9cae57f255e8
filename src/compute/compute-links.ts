import { BadRequest } from '../http/faults';
import { integerQuery, type IntegerQueryRule } from '../http/integer-query';
import { parseIsoTime } from '../shared/time-format';

/** Nova's `links` pairs: self under /v2.1, bookmark without the version. */
export function links(serviceUrl: string, collection: string, id: string) {
  return [
    { rel: 'self', href: `${serviceUrl}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${serviceUrl}/${collection}/${id}` },
  ];
}

/** `<coll>_links` with a next page, Nova style: the same query with marker=<last id>. */
export function nextLinks(serviceUrl: string, path: string, query: Record<string, string | string[]>, lastId: string) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k === 'marker') continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  }
  params.set('marker', lastId);
  return [{ rel: 'next', href: `${serviceUrl}/v2.1/${path}?${params.toString()}` }];
}

/** Nova's max_limit: the most items one page holds. */
export const MAX_LIMIT = 1000;

/** Nova's query schema for a count (parameter_types.non_negative_integer), in its validator's words. */
function novaCount(name: string): IntegerQueryRule {
  return {
    syntax: 'digits',
    notInteger: (v) => `Invalid input for query parameters ${name}. Value: ${v}. ${v === '' ? "'' should be non-empty" : `'${v}' does not match '^[0-9]*$'`}`,
  };
}

/** A non-negative integer query parameter (limit, offset) as Nova's query schema reads it (400 otherwise, `?limit=` too); undefined when absent. */
export function nonNegativeQuery(name: string, value: string | undefined): number | undefined {
  return integerQuery(value, novaCount(name));
}

/** common.get_limit_and_marker's limit (servers, flavors, key pairs, instance actions): max_limit when absent, never more; 0 is an empty page. */
export function pageLimit(value: string | undefined): number {
  return Math.min(MAX_LIMIT, nonNegativeQuery('limit', value) ?? MAX_LIMIT);
}

/** common.limited's page of a list read whole (server groups, volume attachments): `offset` skipped, a limit of 0 meaning max_limit. */
export function limitedPage(query: { limit?: string; offset?: string }): { offset: number; limit: number } {
  const limit = nonNegativeQuery('limit', query.limit);
  return { offset: nonNegativeQuery('offset', query.offset) ?? 0, limit: Math.min(MAX_LIMIT, limit || MAX_LIMIT) };
}

/** A time query parameter (changes-since, changes-before): ISO 8601 as Nova's query schema reads it, 400 otherwise. */
export function queryDate(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = parseIsoTime(value);
  if (!d) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' is not a 'date-time'`);
  return d;
}
