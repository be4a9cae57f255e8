/** The settings table through SettingsStore (images' and metadefs' seed marks): set, overwrite, and a transaction's view. */
import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import { createKnex, migrateLatest } from '../../../src/db/database';
import { SettingsStore } from '../../../src/db/settings-store';
import { testDbConfig, type TestDbConfig } from '../../support/test-db-target';

describe('SettingsStore', () => {
  let cfg: TestDbConfig;
  let db: Knex;

  beforeAll(async () => {
    cfg = await testDbConfig();
    db = await createKnex(cfg);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
    await cfg.cleanup();
  });

  it('answers undefined for an unknown key, then the last value set', async () => {
    const settings = new SettingsStore(db);
    const key = `test.${randomUUID()}`;
    expect(await settings.get(key)).toBeUndefined();
    await settings.set(key, 'one');
    await settings.set(key, 'two');
    expect(await settings.get(key)).toBe('two');
  });

  it('joins a transaction: its write is seen inside, and gone with a rollback', async () => {
    const settings = new SettingsStore(db);
    const key = `test.${randomUUID()}`;
    await expect(db.transaction(async (trx) => {
      await settings.set(key, 'inside', trx);
      expect(await settings.get(key, trx)).toBe('inside');
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await settings.get(key)).toBeUndefined();
  });
});
