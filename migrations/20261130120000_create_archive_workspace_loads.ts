import type { Knex } from 'knex';

/**
 * Archive's own rows: which workspace archives are loaded (once per archive id), with what
 * they made. They lived in `settings` under `archive.workspace.<archive id>`: moved here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('archive_workspace_loads', (t) => {
    t.text('archive_id').primary();
    t.text('file').notNullable();
    t.jsonb('snapshot_ids').notNullable();
    t.text('image_id');
    t.timestamp('loaded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  const prefix = 'archive.workspace.';
  const old = await knex('settings').where('key', 'like', `${prefix}%`).select('key', 'value');
  for (const row of old) {
    let v: { file?: string; snapshots?: string[]; image?: string | null } = {};
    try {
      v = JSON.parse(row.value);
    } catch { /* an unreadable value: the archive still counts as loaded */ }
    await knex('archive_workspace_loads').insert({
      archive_id: String(row.key).slice(prefix.length), file: v.file ?? '', snapshot_ids: JSON.stringify(v.snapshots ?? []), image_id: v.image ?? null,
    });
  }
  await knex('settings').where('key', 'like', `${prefix}%`).delete();
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('archive_workspace_loads');
}
