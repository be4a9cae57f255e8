import type { Knex } from 'knex';

/** Nova's trusted_image_certificates (2.63): the ids asked on create or rebuild, shown in the server's views. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.jsonb('trusted_certs');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.dropColumn('trusted_certs');
  });
}
