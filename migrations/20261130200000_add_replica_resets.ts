import type { Knex } from 'knex';

/**
 * A reset quiesces every replica (issue 15, docs/replicas.md "Reset"): the replica serving one
 * marks its row (`resetting`: the reset's id) and every other live replica, its jobs drained,
 * acknowledges it (`quiesced_for`: the ids of the resets it is quiesced for). A mark lives as
 * long as its replica's heartbeat: a replica killed mid-reset stops pausing the others.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('replicas', (t) => {
    t.text('resetting');
    t.specificType('quiesced_for', 'text[]').notNullable().defaultTo('{}');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('replicas', (t) => {
    t.dropColumn('quiesced_for');
    t.dropColumn('resetting');
  });
}
