import type { Knex } from 'knex';

/**
 * Nova's multiple create: the servers of one request share a reservation_id, each has its
 * launch_index, and their hostnames get an index suffix (`web-1`, `web-2`). Rows from before
 * keep null (their views derive the values as before).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.text('reservation_id');
    t.integer('launch_index');
    t.text('hostname');
    t.index(['reservation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.dropIndex(['reservation_id']);
    t.dropColumn('reservation_id');
    t.dropColumn('launch_index');
    t.dropColumn('hostname');
  });
}
