import type { Knex } from 'knex';

/**
 * Nova's instance hostname (OS-EXT-SRV-ATTR:hostname): made from the display name at create,
 * kept when the server is renamed; requested on create, update and rebuild from 2.90. Rows
 * made before it have none and show the name's hostname.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.text('hostname');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.dropColumn('hostname');
  });
}
