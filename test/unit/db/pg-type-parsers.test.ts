import fc from 'fast-check';
import pg from 'pg';
import { parseTimestamptz, PG_TYPES } from '../../../src/db/pg-type-parsers';

const general = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number | null;
const same = (text: string) => {
  const mine = parseTimestamptz(text);
  const theirs = general(text);
  return mine instanceof Date && theirs instanceof Date ? mine.getTime() === theirs.getTime() || (Number.isNaN(mine.getTime()) && Number.isNaN(theirs.getTime())) : mine === theirs;
};

/** A timestamptz as PostgreSQL prints it in a session at `zone` (trailing zeros of the fraction cut). */
const pgText = (d: Date, micros: number, zone = '+00') => {
  const iso = d.toISOString();
  const fraction = micros ? `.${String(micros).padStart(6, '0').replace(/0+$/, '')}` : '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}${zone}`;
};

describe('timestamptz parser', () => {
  it('reads UTC texts as pg-types does, to the millisecond (microseconds truncated)', () => {
    fc.assert(fc.property(
      fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
      fc.integer({ min: 0, max: 999_999 }),
      (d, micros) => {
        const text = pgText(new Date(Math.floor(d.getTime() / 1000) * 1000), micros);
        const parsed = parseTimestamptz(text) as Date;
        return same(text) && parsed.getTime() === Math.floor(d.getTime() / 1000) * 1000 + Math.floor(micros / 1000);
      },
    ), { numRuns: 2000 });
  });

  it('leaves every other text to pg-types: other zones, BC, infinity, early years, odd shapes', () => {
    for (const text of [
      '2026-11-30 10:00:00+01', '2026-11-30 10:00:00.5-05:30', '2026-11-30 10:00:00+05:45', '0044-03-15 12:00:00+00 BC',
      '0099-01-01 00:00:00+00', '0999-12-31 23:59:59.999+00', 'infinity', '-infinity', '2026-11-30', '2026-13-45 99:99:99+00', '',
      '12026-01-01 00:00:00+00',
    ]) expect([text, same(text)]).toEqual([text, true]);
    fc.assert(fc.property(fc.string(), (s) => same(s)));
  });

  it('is what the connections get for timestamptz, pg-types for the rest', () => {
    expect(PG_TYPES.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
    expect(PG_TYPES.getTypeParser(1114, 'text')).toBe(pg.types.getTypeParser(1114, 'text'));
    expect(PG_TYPES.getTypeParser(3802, 'text')).toBe(pg.types.getTypeParser(3802, 'text'));
  });
});
