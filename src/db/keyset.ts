/**
 * Keyset ("seek") pagination for every list: ORDER BY the sort keys (id last, as tie-breaker),
 * and the page after a marker as `WHERE (keys) > (the marker's keys)` in the sort's directions,
 * never OFFSET, so a page costs the same on page 1 and page 400 when an index matches the keys.
 */
import type { Knex } from 'knex';

export interface KeysetKey {
  /** Column name, unqualified (the table alias, if any, is the Keyset's). */
  column: string;
  dir: 'asc' | 'desc';
  /** The column may hold NULL (NOT NULL columns get plain, index-friendly SQL). */
  nullable?: boolean;
}

export interface Keyset {
  /** The sort keys, ending with a unique one (id) so that the order is total. */
  keys: KeysetKey[];
  /**
   * Where NULL sorts: 'low' = below every value (Glance and Nova, as their in-memory sorts did),
   * 'high' = above every value (PostgreSQL's default, what Cinder's lists show).
   */
  nulls: 'low' | 'high';
  /** Table alias the query uses ('i' for `images as i`), or none. */
  alias?: string;
}

/** A marker row's key values, as PostgreSQL prints them (text keeps timestamps' microseconds). */
export type MarkerValues = Array<string | null>;

/** Appends `id` in the last key's direction unless the keys already end the order with it. */
export function withIdTieBreaker(keys: KeysetKey[], dir: 'asc' | 'desc' = keys[keys.length - 1]?.dir ?? 'desc'): KeysetKey[] {
  return keys.some((k) => k.column === 'id') ? keys : [...keys, { column: 'id', dir }];
}

function col(ks: Keyset, k: KeysetKey): string {
  return ks.alias ? `${ks.alias}.${k.column}` : k.column;
}

/** NULL sorts after every value in this key's direction. */
function nullsAfterValues(ks: Keyset, k: KeysetKey): boolean {
  return (k.dir === 'asc') === (ks.nulls === 'high');
}

export function orderByKeyset<Q extends Knex.QueryBuilder>(q: Q, ks: Keyset): Q {
  for (const k of ks.keys) {
    // NOT NULL columns keep PostgreSQL's default NULLS placement so a plain b-tree index serves the order.
    if (!k.nullable) q.orderBy(col(ks, k), k.dir);
    else q.orderByRaw(`?? ${k.dir} nulls ${nullsAfterValues(ks, k) ? 'last' : 'first'}`, [col(ks, k)]);
  }
  return q;
}

/**
 * The key values of row `id` in `from` (a query on the list's table, carrying whatever scope or
 * filters the marker must pass; undefined when no row passes), read as text: a JS Date would drop
 * the microseconds PostgreSQL keeps, and the comparison would then skip or repeat rows.
 */
export async function markerValues(from: Knex.QueryBuilder, ks: Keyset, id: string): Promise<MarkerValues | undefined> {
  const raw = (sql: string, b: Knex.RawBinding[]) => from.client.raw(sql, b) as Knex.Raw;
  const row = await from.clear('select').where(ks.alias ? `${ks.alias}.id` : 'id', id)
    .first(ks.keys.map((k, i) => raw('??::text as ??', [col(ks, k), `k${i}`])));
  return row ? ks.keys.map((_, i) => row[`k${i}`] as string | null) : undefined;
}

/** Rows strictly after the marker in the keyset's order. */
export function whereAfter<Q extends Knex.QueryBuilder>(q: Q, ks: Keyset, values: MarkerValues): Q {
  const { keys } = ks;
  const sameDir = keys.every((k) => k.dir === keys[0].dir);
  if (sameDir && keys.every((k, i) => !k.nullable && values[i] !== null)) {
    // One row comparison: PostgreSQL turns it into an index range start.
    const cols = keys.map((k) => col(ks, k));
    q.whereRaw(`(${cols.map(() => '??').join(', ')}) ${keys[0].dir === 'asc' ? '>' : '<'} (${cols.map(() => '?').join(', ')})`, [...cols, ...values]);
    return q;
  }
  const sql: string[] = [];
  const bindings: Knex.RawBinding[] = [];
  type Part = { s: string; b: Knex.RawBinding[] };
  const eq = (k: KeysetKey, v: string | null): Part => {
    if (v === null) return { s: '?? is null', b: [col(ks, k)] };
    return { s: '?? = ?', b: [col(ks, k), v] };
  };
  const after = (k: KeysetKey, v: string | null): Part => {
    const op = k.dir === 'asc' ? '>' : '<';
    if (v === null) return nullsAfterValues(ks, k) ? { s: 'false', b: [] } : { s: '?? is not null', b: [col(ks, k)] };
    if (k.nullable && nullsAfterValues(ks, k)) return { s: `(?? ${op} ? or ?? is null)`, b: [col(ks, k), v, col(ks, k)] };
    return { s: `?? ${op} ?`, b: [col(ks, k), v] };
  };
  // (k0 after) or (k0 = and k1 after) or ... : mixed directions or NULLs need the chain.
  for (let i = 0; i < keys.length; i++) {
    const parts = [...keys.slice(0, i).map((k, j) => eq(k, values[j])), after(keys[i], values[i])];
    sql.push(`(${parts.map((p) => p.s).join(' and ')})`);
    for (const p of parts) bindings.push(...p.b);
  }
  const first = keys[0];
  if (!first.nullable && values[0] !== null) {
    // A redundant bound on the first key lets an index start the scan at the marker.
    q.whereRaw(`?? ${first.dir === 'asc' ? '>=' : '<='} ?`, [col(ks, first), values[0]]);
  }
  q.whereRaw(`(${sql.join(' or ')})`, bindings);
  return q;
}
