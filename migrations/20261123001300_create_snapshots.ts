import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('snapshots', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable();
    t.text('user_id');
    // A volume with snapshots cannot go (Cinder's rule); cascade deletes the snapshots first.
    t.text('volume_id').notNullable().references('volumes.id');
    t.text('name');
    t.text('description');
    t.integer('size').notNullable();
    t.text('status').notNullable();
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id', 'created_at']);
    t.index(['volume_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('snapshots');
}
