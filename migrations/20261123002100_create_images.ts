import type { Knex } from 'knex';

/** Glance images. Extra (non-core) properties live in `properties`, all values strings. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('images', (t) => {
    t.text('id').primary();
    t.text('name');
    t.text('status').notNullable(); // queued | saving | active | killed | deactivated
    t.text('visibility').notNullable(); // public | private | shared | community
    t.boolean('protected').notNullable().defaultTo(false);
    t.boolean('os_hidden').notNullable().defaultTo(false);
    t.text('owner');
    t.bigInteger('size');
    t.bigInteger('virtual_size');
    t.integer('min_disk').notNullable().defaultTo(0);
    t.integer('min_ram').notNullable().defaultTo(0);
    t.text('disk_format');
    t.text('container_format');
    t.text('checksum');
    t.text('os_hash_algo');
    t.text('os_hash_value');
    t.jsonb('properties').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['owner']);
    t.index(['visibility']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('images');
}
