/**
 * Named (prepared) statements for the hottest reads: a server's show, a page of servers. An
 * unnamed statement is sent with its text and parsed and planned by PostgreSQL on every query; a
 * named one is parsed once per connection and then only bound and executed (the driver sends no
 * text, the server skips parse and plan: both on the same two cores as Snapstack). On a pg pool
 * the statement also runs on the pooled connection directly: knex would scan the text again and
 * go through its runner on every query.
 *
 * A name stands for one text, process-wide, for at most MAX_NAMES texts (each is one prepared
 * statement in every pooled connection's backend); a text past that runs unnamed. The texts
 * select their columns by name, never `*`: a statement's result columns are fixed when it is
 * prepared. Other clients (PGlite) run the same text through knex, unnamed. A pooler in
 * transaction mode needs its prepared-statement support (PgBouncer 1.21+, max_prepared_statements).
 */
import type { Knex } from 'knex';
import pg from 'pg';

const MAX_NAMES = 100;
const names = new Map<string, string>();

/** The name of this statement text, or undefined once MAX_NAMES texts have one. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMES) {
    name = `snapstack_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/** A fixed read, written once with knex's `?` placeholders (values only: no `??`, no `\?`). */
export class NamedStatement {
  /** The text with PostgreSQL's $1, $2, ... placeholders. */
  readonly text: string;
  readonly name: string | undefined;

  constructor(readonly sql: string) {
    if (sql.includes('??') || sql.includes('\\?')) throw new Error('a named statement binds values only');
    let n = 0;
    this.text = sql.replace(/\?/g, () => `$${++n}`);
    this.name = statementName(this.text);
  }

  /** Its rows for these values. */
  rows<R>(db: Knex, values: readonly unknown[]): Promise<R[]> {
    return onPg(db, { name: this.name, text: this.text, values }, async () => (await db.raw(this.sql, values as Knex.RawBinding[])).rows);
  }
}

/** The rows of a query built with knex, as the named statement of its text (a few shapes, such as a list's filters). */
export function namedRows<R>(db: Knex, q: Knex.QueryBuilder): Promise<R[]> {
  const { sql, bindings } = q.toSQL().toNative();
  return onPg(db, { name: statementName(sql), text: sql, values: bindings }, () => q);
}

/** On a pg pool, pg runs the query on one of its connections (a transaction's own); on any other client, `other` does. */
async function onPg<R>(db: Knex, query: { name: string | undefined; text: string; values: readonly unknown[] }, other: () => PromiseLike<R[]>): Promise<R[]> {
  if (db.client.config.client !== 'pg') return other();
  const connection: pg.Client = await db.client.acquireConnection();
  try {
    // As knex's runner does: whoever watches the knex's queries sees this one (the api-scale bench counts them).
    db.client.emit('query', { method: 'select', sql: query.text, bindings: query.values, options: { name: query.name } });
    return (await connection.query<R & pg.QueryResultRow>({ ...query, values: [...query.values] })).rows;
  } finally {
    await db.client.releaseConnection(connection);
  }
}
