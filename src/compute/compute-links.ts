import { BadRequest } from '../http/faults';
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

/**
 * A non-negative integer query parameter as Nova's pagination schema reads it (400 otherwise);
 * undefined when absent.
 */
export function nonNegativeQuery(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' does not match '^[0-9]*$'`);
  return Number(value);
}

/** common.get_limit_and_marker's limit: absent or 0 means max_limit, and never more than it. */
export function pageLimit(value: string | undefined): number {
  return Math.min(MAX_LIMIT, nonNegativeQuery('limit', value) || MAX_LIMIT);
}

/** A time query parameter (changes-since, changes-before): ISO 8601 as Nova's query schema reads it, 400 otherwise. */
export function queryDate(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = parseIsoTime(value);
  if (!d) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' is not a 'date-time'`);
  return d;
}
