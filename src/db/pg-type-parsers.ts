/**
 * The pg driver's type parsers for Snapstack's connections (knex's `connection.types`: these
 * connections only, not the process-wide pg-types registry other code may share).
 *
 * One change: `timestamp with time zone` texts in UTC, which is every one PostgreSQL sends when
 * the session's time zone is UTC, are read by position ('2026-01-01 00:00:01.123456+00') instead
 * of pg-types' regular expressions. A list page reads two or three per row, and that parser was
 * the largest part of a row's cost (docs/performance.md). Any other text (another zone, BC,
 * infinity, a year before 1000) goes to pg-types' own parser, and the result is the same Date
 * either way: milliseconds truncated from the microseconds, as pg-types does.
 */
import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;
const general = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date | number | null;

const DASH = 45;
const SPACE = 32;
const COLON = 58;
const DOT = 46;

/** '2026-01-01 00:00:01[.f{1,6}]+00' as a Date; anything else through pg-types. */
export function parseTimestamptz(text: string): Date | number | null {
  const n = text.length;
  // The fixed part is 19 characters, then an optional fraction, then '+00'.
  if (n < 22 || n > 29 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== SPACE
    || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON || !text.endsWith('+00') || (n > 22 && text.charCodeAt(19) !== DOT)
    || text.charCodeAt(0) === 48 /* a year before 1000: Date.UTC would read 0-99 as 19xx */) {
    return general(text);
  }
  const ms = n > 22 ? Number(text.slice(20, n - 3).padEnd(3, '0').slice(0, 3)) : 0;
  const t = Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10)),
    Number(text.slice(11, 13)), Number(text.slice(14, 16)), Number(text.slice(17, 19)), ms);
  return Number.isNaN(t) ? general(text) : new Date(t);
}

/** pg's `types` option: the parsers above, pg-types' for everything else. */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: string) {
    if (oid === TIMESTAMPTZ_OID && format !== 'binary') return parseTimestamptz;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};
