import type { Knex } from 'knex';

/** Nova's key pairs (os-keypairs): owned by a user, named uniquely per user; `id` is Nova's integer id. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('keypairs', (t) => {
    t.increments('id').primary();
    t.text('user_id').notNullable();
    t.text('name').notNullable();
    t.text('type').notNullable(); // ssh | x509
    t.text('public_key').notNullable();
    t.text('fingerprint').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('keypairs');
}
