import type { Knex } from 'knex';

/** Nova's server groups (os-server-groups) and their members (servers booted with the `group` hint). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_groups', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable();
    t.text('user_id').notNullable();
    t.text('name').notNullable();
    t.text('policy').notNullable(); // affinity | anti-affinity | soft-affinity | soft-anti-affinity
    t.jsonb('rules').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id', 'created_at']);
  });
  await knex.schema.createTable('server_group_members', (t) => {
    t.text('group_id').notNullable().references('id').inTable('server_groups').onDelete('CASCADE');
    t.text('server_id').notNullable();
    t.primary(['group_id', 'server_id']);
    t.index(['server_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('server_group_members');
  await knex.schema.dropTable('server_groups');
}
