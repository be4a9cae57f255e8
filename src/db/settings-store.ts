import type { Knex } from 'knex';

/**
 * The `settings` table: single process-wide facts (seed and change markers), one value a key,
 * read and written the one way; `trx` joins a transaction.
 */
export class SettingsStore {
  constructor(private readonly db: Knex) {}

  async get(key: string, trx?: Knex.Transaction): Promise<string | undefined> {
    return (await (trx ?? this.db)('settings').where({ key }).first('value'))?.value;
  }

  async set(key: string, value: string, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db)('settings').insert({ key, value }).onConflict('key').merge();
  }
}
