import type { Knex } from 'knex';

/**
 * Replicas (issue 15): every Snapstack process on the database registers itself and beats a
 * heartbeat; a job names the replica that owns it (enqueued it, or claimed it to run), so a job
 * whose owner stopped beating is taken over by another replica, and only such a job.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('replicas', (t) => {
    t.text('id').primary();
    t.text('host').notNullable();
    t.integer('pid').notNullable();
    t.text('url');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('heartbeat_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.alterTable('jobs', (t) => {
    t.text('owner');
    t.timestamp('claimed_at', { useTz: true });
    t.index(['status', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('jobs', (t) => {
    t.dropIndex(['status', 'created_at']);
    t.dropColumn('claimed_at');
    t.dropColumn('owner');
  });
  await knex.schema.dropTable('replicas');
}
