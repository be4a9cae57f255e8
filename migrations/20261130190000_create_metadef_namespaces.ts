import type { Knex } from 'knex';

/** Glance's metadata definition namespaces (the metadefs catalog): one row per namespace name. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('metadef_namespaces', (t) => {
    t.increments('id').primary();
    t.text('namespace').notNullable().unique();
    t.text('display_name');
    t.text('description');
    t.text('visibility').notNullable().defaultTo('private'); // public | private
    t.boolean('protected').notNullable().defaultTo(false);
    t.text('owner');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('metadef_namespaces');
}
