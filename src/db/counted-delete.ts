import type { Knex } from 'knex';

/**
 * Deletes the rows `q` selects and counts them into `rows[table]` (only when some went). PGlite's
 * knex client reports no delete counts: they are counted through `returning`.
 */
export async function countedDelete(rows: Record<string, number>, table: string, q: Knex.QueryBuilder): Promise<void> {
  const gone = await q.delete().returning(q.client.raw('1'));
  if (gone.length) rows[table] = (rows[table] ?? 0) + gone.length;
}

/** Deletes the rows `q` selects; whether there were any (counted through `returning`, as above). */
export async function deletedAny(q: Knex.QueryBuilder): Promise<boolean> {
  return (await q.delete().returning(q.client.raw('1'))).length > 0;
}
