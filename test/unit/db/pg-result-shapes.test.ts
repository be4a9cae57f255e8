import { createRequire } from 'module';
import { installResultShapes } from '../../../src/db/pg-result-shapes';

const fromPg = createRequire(require.resolve('pg'));
type Fields = Array<{ name: string; dataTypeID: number; format?: string }>;
interface PgResult { addFields(f: Fields): void; parseRow(values: Array<string | null>): Record<string, unknown> }
const Result = fromPg('./result') as new (rowMode?: string, types?: unknown) => PgResult;
const types = fromPg('pg-types');

/** A row as pg's own addFields/parseRow made it (before the cache), for comparison. */
function reference(fields: Fields, values: Array<string | null>): Record<string, unknown> {
  const names: Record<string, null> = Object.create(null);
  for (const f of fields) names[f.name] = null;
  const row: Record<string, unknown> = { ...names };
  fields.forEach((f, i) => { row[f.name] = values[i] === null ? null : types.getTypeParser(f.dataTypeID, 'text')(values[i]); });
  return row;
}

describe('pg result shapes', () => {
  beforeAll(() => expect(installResultShapes()).toBe(true));

  it('gives the rows pg gives: same keys in the same order, parsed values, a plain prototype', () => {
    const fields: Fields = [{ name: 'id', dataTypeID: 25 }, { name: 'size', dataTypeID: 23 }, { name: 'props', dataTypeID: 3802 }, { name: '__proto__', dataTypeID: 25 }, { name: 'gone', dataTypeID: 25 }];
    const values = ['a', '42', '{"k": "v"}', 'x', null];
    for (let i = 0; i < 3; i++) { // the first query of a shape builds it, the next ones reuse it
      const r = new Result(undefined, types);
      r.addFields(fields);
      const row = r.parseRow(values);
      expect(Object.keys(row)).toEqual(['id', 'size', 'props', '__proto__', 'gone']);
      expect(row).toEqual(reference(fields, values));
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('x');
      expect(row.size).toBe(42);
    }
  });

  it('keeps shapes apart by column names, and rows apart from each other', () => {
    const a = new Result(undefined, types);
    a.addFields([{ name: 'x', dataTypeID: 25 }, { name: 'y', dataTypeID: 25 }]);
    const b = new Result(undefined, types);
    b.addFields([{ name: 'x\u0000y', dataTypeID: 25 }]);
    const r1 = a.parseRow(['1', '2']);
    const r2 = a.parseRow(['3', null]);
    expect([r1, r2, b.parseRow(['z'])]).toEqual([{ x: '1', y: '2' }, { x: '3', y: null }, { 'x\u0000y': 'z' }]);
    r1.x = 'changed';
    expect(a.parseRow([null, null])).toEqual({ x: null, y: null });
  });

  it('uses the result\'s own type parsers (a connection\'s types)', () => {
    const custom = { getTypeParser: (oid: number) => (oid === 23 ? (v: string) => `int:${v}` : (v: string) => v) };
    const r = new Result(undefined, custom);
    r.addFields([{ name: 'n', dataTypeID: 23 }]);
    expect(r.parseRow(['7'])).toEqual({ n: 'int:7' });
  });
});
