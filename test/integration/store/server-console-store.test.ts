import type { Knex } from 'knex';
import { MAX_CONSOLE_BYTES, ServerConsoleStore } from '../../../src/compute/server-console-store';
import { createKnex, migrateLatest } from '../../../src/db/database';
import { testDbConfig } from '../../support/test-db-target';

describe("a server's kept console", () => {
  let db: Knex;
  let cleanup: () => Promise<void>;
  let store: ServerConsoleStore;

  beforeAll(async () => {
    const cfg = await testDbConfig();
    cleanup = cfg.cleanup;
    db = await createKnex(cfg);
    await migrateLatest(db);
    store = new ServerConsoleStore(db);
  });
  afterAll(async () => {
    await db.destroy();
    await cleanup();
  });

  async function server(id: string): Promise<string> {
    await db('servers').insert({ id, project_id: 'p', user_id: 'u', name: id, flavor_id: '1', flavor: JSON.stringify({}), vm_state: 'active', networks: 'none' });
    return id;
  }

  it('keeps each retired container once: kept again after a crash, the same container replaces its part', async () => {
    const id = await server('console-1');
    expect(await store.before(id, 'c1')).toEqual({ earlier: '', current: null });
    await store.keep(id, 'c1', 'boot 1\n');
    // c1 retired but not removed yet (a crash between): its kept log is handed back as its own.
    expect(await store.before(id, 'c1')).toEqual({ earlier: '', current: 'boot 1\n' });
    await store.keep(id, 'c1', 'boot 1\nmore\n');
    expect(await store.before(id, 'c2')).toEqual({ earlier: 'boot 1\nmore\n', current: null });
    await store.keep(id, 'c2', 'boot 2\n');
    await store.keep(id, 'c2', 'boot 2\n');
    expect(await store.before(id, null)).toEqual({ earlier: 'boot 1\nmore\nboot 2\n', current: null });
  });

  it('keeps the last MAX_CONSOLE_BYTES, and goes with its server', async () => {
    const id = await server('console-2');
    await store.keep(id, 'c1', 'a'.repeat(MAX_CONSOLE_BYTES));
    await store.keep(id, 'c2', 'b'.repeat(10));
    await store.keep(id, 'c3', '');
    const { earlier } = await store.before(id, null);
    expect(earlier).toHaveLength(MAX_CONSOLE_BYTES);
    expect(earlier.endsWith('a'.repeat(10) + 'b'.repeat(10))).toBe(true);
    await db('servers').where({ id }).delete();
    expect(await store.before(id, null)).toEqual({ earlier: '', current: null });
  });
});
