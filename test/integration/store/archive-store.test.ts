import type { Knex } from 'knex';
import { ArchiveStore } from '../../../src/archive/archive-store';
import { createKnex, migrateLatest } from '../../../src/db/database';
import * as moveLoads from '../../../migrations/20261130120000_create_archive_workspace_loads';
import { testDbConfig } from '../../support/test-db-target';

describe("archive's own rows", () => {
  let db: Knex;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const cfg = await testDbConfig();
    cleanup = cfg.cleanup;
    db = await createKnex(cfg);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
    await cleanup();
  });

  it('records a workspace load once per archive id', async () => {
    const store = new ArchiveStore(db);
    expect(await store.workspaceLoaded('a1')).toBe(false);
    await store.recordWorkspaceLoad({ archiveId: 'a1', file: 'x.tar', snapshotIds: ['s1'], imageId: null });
    await store.recordWorkspaceLoad({ archiveId: 'a1', file: 'x.tar', snapshotIds: ['s1'], imageId: 'i1' });
    expect(await store.workspaceLoaded('a1')).toBe(true);
    expect(await db('archive_workspace_loads').where({ archive_id: 'a1' })).toMatchObject([{ file: 'x.tar', snapshot_ids: ['s1'], image_id: 'i1' }]);
  });

  it('the migration moves loads recorded in settings (the old place) into the table', async () => {
    await moveLoads.down(db);
    await db('settings').insert([
      { key: 'archive.workspace.old1', value: JSON.stringify({ file: 'old.tar', snapshots: ['s9'], image: 'i9' }) },
      { key: 'archive.workspace.old2', value: 'not json' },
      { key: 'flavor.seeded.test', value: 'kept' },
    ]);
    await moveLoads.up(db);
    expect(await db('archive_workspace_loads').orderBy('archive_id')).toMatchObject([
      { archive_id: 'old1', file: 'old.tar', snapshot_ids: ['s9'], image_id: 'i9' },
      { archive_id: 'old2', file: '', snapshot_ids: [], image_id: null },
    ]);
    expect(await db('settings').where('key', 'like', 'archive.workspace.%')).toEqual([]);
    expect(await db('settings').where({ key: 'flavor.seeded.test' }).first()).toMatchObject({ value: 'kept' });
    expect(await new ArchiveStore(db).workspaceLoaded('old1')).toBe(true);
  });
});
