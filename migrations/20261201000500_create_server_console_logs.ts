import type { Knex } from 'knex';

/**
 * A server's console log kept across its containers (a stop, suspend, shelve or hard reboot
 * removes the container and its Docker log): `earlier` holds the logs of the containers before,
 * `container_log` the log of `container_id` as it was when that container was retired.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_console_logs', (t) => {
    t.text('server_id').primary().references('id').inTable('servers').onDelete('CASCADE');
    t.text('earlier').notNullable().defaultTo('');
    t.text('container_id').notNullable();
    t.text('container_log').notNullable().defaultTo('');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('server_console_logs');
}
