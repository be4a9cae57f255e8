import type { Knex } from 'knex';

/** Metadef properties of a namespace: each a JSON schema fragment (type, title, enum...). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('metadef_properties', (t) => {
    t.increments('id').primary();
    t.integer('namespace_id').notNullable().references('id').inTable('metadef_namespaces').onDelete('CASCADE');
    t.text('name').notNullable();
    t.jsonb('json_schema').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['namespace_id', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('metadef_properties');
}
