import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('roles', (t) => {
    t.text('id').primary();
    t.text('name').notNullable().unique();
  });
  await knex.schema.createTable('role_assignments', (t) => {
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('project_id').notNullable().references('projects.id').onDelete('CASCADE');
    t.text('role_id').notNullable().references('roles.id').onDelete('CASCADE');
    t.primary(['user_id', 'project_id', 'role_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('role_assignments');
  await knex.schema.dropTable('roles');
}
