import type { Knex } from 'knex';

/**
 * What Nova's server actions remember between steps: the lock's reason (2.73), the flavor and
 * vm_state before a resize (for revert and confirm), the image a shelve made (for unshelve).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.text('locked_reason');
    t.jsonb('old_flavor');
    t.text('old_vm_state');
    t.text('shelved_image_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('servers', (t) => {
    t.dropColumn('locked_reason');
    t.dropColumn('old_flavor');
    t.dropColumn('old_vm_state');
    t.dropColumn('shelved_image_id');
  });
}
