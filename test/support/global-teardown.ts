// jest globalTeardown: stops the throwaway cluster, or on a TEST_DATABASE_URL
// server drops what this run created (its clones and the template).
import { globalTestState } from './global-setup';
import { TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, quoteIdent, withAdminClient } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const state = globalTestState();
  if (!state) return;
  if (state.cluster) {
    await state.cluster.stop();
    return;
  }
  await withAdminClient(state.adminUrl, async (client) => {
    const left = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 ESCAPE '\\'",
      [`${TEST_DATABASE_PREFIX.replace(/_/g, '\\_')}${state.runId}\\_%`],
    );
    for (const { datname } of left.rows) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }
    await client.query(`ALTER DATABASE ${quoteIdent(TEMPLATE_DATABASE)} WITH IS_TEMPLATE false`).catch(() => undefined);
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(TEMPLATE_DATABASE)} WITH (FORCE)`);
  });
}
