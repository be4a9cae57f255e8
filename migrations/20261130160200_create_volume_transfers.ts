import type { Knex } from 'knex';

/**
 * Cinder's volume transfers: an offer of a volume (and, unless no_snapshots, its snapshots) to
 * whichever project presents the auth key. Only the key's salted HMAC is kept (Cinder's
 * salt + crypt_hash). An accepted or deleted transfer's row goes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('volume_transfers', (t) => {
    t.text('id').primary();
    t.text('volume_id').notNullable().references('volumes.id').onDelete('CASCADE');
    t.text('project_id').notNullable();
    t.text('name');
    t.text('salt').notNullable();
    t.text('crypt_hash').notNullable();
    t.boolean('no_snapshots').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id', 'created_at']);
    t.index(['volume_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('volume_transfers');
}
