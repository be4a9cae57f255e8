import type { Knex } from 'knex';

/**
 * Cinder's volume types (volume_types, volume_type_extra_specs, volume_type_projects): the
 * types an admin makes, their extra specs, and which projects see a private type. `__DEFAULT__`
 * (the type Cinder itself creates since Train) is seeded with the id Snapstack always showed.
 * Volumes keep the type's name in `volumes.volume_type`; a rename updates them in the same
 * transaction.
 */
const DEFAULT_TYPE_ID = '5d8c6a6b-7f1c-4a59-9b4e-3c1f0f5e8a01';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('volume_types', (t) => {
    t.text('id').primary();
    t.text('name').notNullable().unique();
    t.text('description');
    t.boolean('is_public').notNullable().defaultTo(true);
    t.jsonb('extra_specs').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('volume_type_projects', (t) => {
    t.text('volume_type_id').notNullable().references('volume_types.id').onDelete('CASCADE');
    t.text('project_id').notNullable();
    t.primary(['volume_type_id', 'project_id']);
    t.index(['project_id']);
  });
  await knex('volume_types').insert({
    id: DEFAULT_TYPE_ID, name: '__DEFAULT__', description: 'Default Volume Type', is_public: true, extra_specs: '{}',
  });
  await knex.schema.alterTable('volumes', (t) => t.index(['volume_type']));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('volumes', (t) => t.dropIndex(['volume_type']));
  await knex.schema.dropTable('volume_type_projects');
  await knex.schema.dropTable('volume_types');
}
