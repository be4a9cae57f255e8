import type { Knex } from 'knex';

/** Nova's accessIPv4 / accessIPv6: addresses a user records on a server (create, update, rebuild). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.text('access_ip_v4');
    t.text('access_ip_v6');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.dropColumn('access_ip_v4');
    t.dropColumn('access_ip_v6');
  });
}
