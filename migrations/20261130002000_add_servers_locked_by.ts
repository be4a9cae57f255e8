import type { Knex } from 'knex';

/** Who locked a server, as Nova keeps it: 'owner' (its project) or 'admin' (another project's admin). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.text('locked_by');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.dropColumn('locked_by');
  });
}
