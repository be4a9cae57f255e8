import type { Knex } from 'knex';

/**
 * Deletes the rows `q` selects; how many went. PGlite's knex client reports no delete counts:
 * they are counted through `returning`.
 */
async function deleteCounting(q: Knex.QueryBuilder): Promise<number> {
  return (await q.delete().returning(q.client.raw('1'))).length;
}

/** Deletes the rows `q` selects and counts them into `rows[table]` (only when some went). */
export async function countedDelete(rows: Record<string, number>, table: string, q: Knex.QueryBuilder): Promise<void> {
  const gone = await deleteCounting(q);
  if (gone) rows[table] = (rows[table] ?? 0) + gone;
}

/** Deletes the rows `q` selects; whether there were any. */
export async function deletedAny(q: Knex.QueryBuilder): Promise<boolean> {
  return (await deleteCounting(q)) > 0;
}
