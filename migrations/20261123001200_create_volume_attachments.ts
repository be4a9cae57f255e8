import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('volume_attachments', (t) => {
    t.text('id').primary();
    t.text('volume_id').notNullable().references('volumes.id').onDelete('CASCADE');
    t.text('project_id').notNullable();
    t.text('server_id').notNullable();
    t.text('device').notNullable();
    t.timestamp('attached_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['volume_id', 'server_id']);
    t.index(['project_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('volume_attachments');
}
