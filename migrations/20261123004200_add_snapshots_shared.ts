import type { Knex } from 'knex';

/**
 * Workspace snapshots (snapshot archives loaded from SNAPSTACK_WORKSPACE_DIR): owned by the
 * pseudo-project `workspace`, visible to every project, read-only for all but admins.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('snapshots', (t) => {
    t.boolean('shared').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('snapshots', (t) => {
    t.dropColumn('shared');
  });
}
