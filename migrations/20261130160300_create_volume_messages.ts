import type { Knex } from 'knex';

/**
 * Cinder's user messages (3.3+): what a failed asynchronous operation tells its project
 * (event id, "<action>: <detail>"), kept until `expires_at` (Cinder's message_ttl).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('volume_messages', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable();
    t.text('request_id').notNullable();
    t.text('resource_type');
    t.text('resource_uuid');
    t.text('event_id').notNullable();
    t.text('message_level').notNullable();
    t.text('user_message').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['project_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('volume_messages');
}
