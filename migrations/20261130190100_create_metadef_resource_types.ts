import type { Knex } from 'knex';

/** Metadef resource types (OS::Glance::Image, OS::Nova::Flavor...); seeded ones are protected. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('metadef_resource_types', (t) => {
    t.increments('id').primary();
    t.text('name').notNullable().unique();
    t.boolean('protected').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('metadef_resource_types');
}
