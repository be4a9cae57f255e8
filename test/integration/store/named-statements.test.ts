import type { Knex } from 'knex';
import { createKnex } from '../../../src/db/database';
import { NamedStatement, namedRows, statementName } from '../../../src/db/named-statements';
import { testDbConfig } from '../../support/test-db-target';

describe('named statements', () => {
  let db: Knex;
  let cleanup: () => Promise<void>;
  const onPg = () => db.client.config.client === 'pg';

  beforeAll(async () => {
    const cfg = await testDbConfig();
    cleanup = cfg.cleanup;
    db = await createKnex(cfg);
    await db.raw('create table named_things (id int primary key, label text, made timestamptz, doc jsonb)');
    await db('named_things').insert([
      { id: 1, label: 'one', made: new Date('2026-01-01T00:00:01.123Z'), doc: JSON.stringify({ a: [1] }) },
      { id: 2, label: null, made: null, doc: null },
      { id: 3, label: 'three', made: new Date('2026-01-03T00:00:00Z'), doc: JSON.stringify({}) },
    ]);
  });
  afterAll(async () => {
    await db.raw('drop table if exists named_things');
    await db.destroy();
    await cleanup();
  });

  /** The names of the statements prepared on the connection of `trx`. */
  const prepared = async (trx: Knex.Transaction) => (await trx.raw('select name from pg_prepared_statements')).rows.map((r: { name: string }) => r.name);

  it('reads the rows knex reads, decoded alike, with $n placeholders for the values', async () => {
    const st = new NamedStatement('select id, label, made, doc from named_things where id >= ? and id <= ? order by id');
    expect(st.text).toBe('select id, label, made, doc from named_things where id >= $1 and id <= $2 order by id');
    const expected = (await db.raw(st.sql, [1, 2])).rows;
    expect(expected).toHaveLength(2);
    const seen: string[] = [];
    const watch = (q: { sql: string }) => seen.push(q.sql);
    db.on('query', watch);
    for (let i = 0; i < 3; i++) expect(await st.rows(db, [1, 2])).toEqual(expected);
    db.off('query', watch);
    // The knex's query watchers see each run, as knex shows its own (PGlite's runs are knex's).
    expect(seen).toEqual(Array(3).fill(st.text));
    expect(await st.rows(db, [3, 3])).toEqual([{ id: 3, label: 'three', made: new Date('2026-01-03T00:00:00Z'), doc: {} }]);
    expect(await st.rows(db, [7, 9])).toEqual([]);
  });

  it('on PostgreSQL, is prepared once per connection under its name, inside a transaction too', async () => {
    const st = new NamedStatement('select label from named_things where id = ?');
    await db.transaction(async (trx) => {
      expect(await st.rows(trx, [1])).toEqual([{ label: 'one' }]);
      expect(await st.rows(trx, [3])).toEqual([{ label: 'three' }]);
      // PGlite runs it through knex, unnamed.
      expect((await prepared(trx)).includes(st.name!)).toBe(onPg());
    });
  });

  it('a failed execution leaves the statement usable (the transaction rolled back)', async () => {
    const st = new NamedStatement('select id from named_things where label ~ ?');
    await expect(db.transaction(async (trx) => {
      expect(await st.rows(trx, ['^o'])).toEqual([{ id: 1 }]);
      await st.rows(trx, ['(']);
    })).rejects.toMatchObject({ code: '2201B' });
    expect(await st.rows(db, ['e$'])).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('a query built with knex reads what knex reads, named by its text', async () => {
    const q = () => db('named_things').select('id', 'label').whereIn('id', [1, 3]).orderBy('id', 'desc').limit(5);
    const expected = await q();
    expect(expected).toEqual([{ id: 3, label: 'three' }, { id: 1, label: 'one' }]);
    expect(await namedRows(db, q())).toEqual(expected);
    const { sql } = q().toSQL().toNative();
    expect(statementName(sql)).toMatch(/^snapstack_\d+$/);
    await db.transaction(async (trx) => {
      expect(await namedRows(trx, trx('named_things').select('id', 'label').whereIn('id', [1, 3]).orderBy('id', 'desc').limit(5))).toEqual(expected);
      expect((await prepared(trx)).includes(statementName(sql)!)).toBe(onPg());
    });
  });

  it('binds values only, and names a bounded number of texts (the rest run unnamed)', async () => {
    expect(() => new NamedStatement('select ?? from named_things')).toThrow('binds values only');
    for (let i = 0; i < 120; i++) statementName(`select ${i}`);
    expect(statementName('select 1000')).toBeUndefined();
    const st = new NamedStatement('select count(*)::int as n from named_things where id > ?');
    expect(st.name).toBeUndefined();
    expect(await st.rows(db, [1])).toEqual([{ n: 2 }]);
  });
});
