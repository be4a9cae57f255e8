import type { Knex } from 'knex';

/** Nova flavors; `id` is the public flavorid (a string such as '1'). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('flavors', (t) => {
    t.text('id').primary();
    t.text('name').notNullable().unique();
    t.integer('ram').notNullable(); // MiB
    t.integer('vcpus').notNullable();
    t.integer('disk').notNullable(); // GiB root disk
    t.integer('ephemeral').notNullable().defaultTo(0);
    t.integer('swap').notNullable().defaultTo(0);
    t.double('rxtx_factor').notNullable().defaultTo(1.0);
    t.boolean('is_public').notNullable().defaultTo(true);
    t.boolean('disabled').notNullable().defaultTo(false);
    t.text('description');
    t.jsonb('extra_specs').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('flavors');
}
