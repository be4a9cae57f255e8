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
  // The digits read in place (no substrings: a list page reads hundreds of these).
  let ms = 0;
  for (let i = 20; i < 23; i++) ms = ms * 10 + (i < n - 3 ? digit(text, i) : 0);
  const t = Date.UTC(digits(text, 0, 4), digits(text, 5, 7) - 1, digits(text, 8, 10), digits(text, 11, 13), digits(text, 14, 16), digits(text, 17, 19), ms);
  return Number.isNaN(t) ? general(text) : new Date(t);
}

/** The digit at `i`, NaN when it is none (Date.UTC then gives NaN: pg-types decides). */
function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
}

function digits(text: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + digit(text, i);
  return v;
}

/** pg's `types` option: the parsers above, pg-types' for everything else. */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: string) {
    if (oid === TIMESTAMPTZ_OID && format !== 'binary') return parseTimestamptz;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};
