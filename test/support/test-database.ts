// Unleash style: globalSetup migrates one template database; each test file
// clones its own from it (CREATE DATABASE ... TEMPLATE is a file copy: fast).
import { randomBytes } from 'crypto';
import { Client } from 'pg';

export const TEMPLATE_DATABASE = 'snapstack_template';
/** Set by test/support/global-setup.ts; inherited by the jest workers. */
export const ADMIN_URL_ENV = 'SNAPSTACK_TEST_PG_ADMIN_URL';
/** Set by globalSetup: names this run's databases, so teardown drops only its own. */
export const RUN_ID_ENV = 'SNAPSTACK_TEST_RUN_ID';
export const TEST_DATABASE_PREFIX = 'snapstack_t_';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) {
    throw new Error(`${ADMIN_URL_ENV} is not set: run the tests through jest (npx jest), whose globalSetup starts PostgreSQL`);
  }
  return url;
}

/** The same server and credentials as `url`, another database. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function withAdminClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = adminUrl();
  const runId = process.env[RUN_ID_ENV] ?? 'x';
  const name = `${TEST_DATABASE_PREFIX}${runId}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(admin, async (client) => {
    // The template refuses to be copied while someone is connected to it
    // (an autovacuum worker, say): retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(TEMPLATE_DATABASE)}`);
        return;
      } catch (err) {
        const busy = /being accessed by other users/.test(String((err as Error).message));
        if (!busy || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });
  let dropped = false;
  return {
    name,
    url: databaseUrl(admin, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdminClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    },
  };
}
