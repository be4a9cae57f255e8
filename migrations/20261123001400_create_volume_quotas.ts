import type { Knex } from 'knex';

/** Cinder's per-project quota overrides; a resource without a row has the configured default. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('volume_quotas', (t) => {
    t.text('project_id').notNullable();
    t.text('resource').notNullable();
    t.integer('hard_limit').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['project_id', 'resource']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('volume_quotas');
}
