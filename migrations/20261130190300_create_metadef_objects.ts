import type { Knex } from 'knex';

/** Metadef objects: a named group of property definitions inside a namespace. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('metadef_objects', (t) => {
    t.increments('id').primary();
    t.integer('namespace_id').notNullable().references('id').inTable('metadef_namespaces').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('description');
    t.jsonb('required');
    t.jsonb('properties');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['namespace_id', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('metadef_objects');
}
