import type { Knex } from 'knex';

/**
 * Fault injection and pace rules (issue 13) in the database, not in each process's memory, so
 * every replica on one PostgreSQL (issue 15) applies the same rules and a count of N means N
 * operations across all of them. `remaining` is consumed atomically (fault-store.ts); changes
 * move the `faults.epoch` setting, which replicas read with the identity epoch.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('fault_rules', (t) => {
    t.text('id').primary();
    t.text('target').notNullable();
    t.text('action').notNullable();
    t.text('project_id');
    t.integer('count').notNullable();
    t.integer('remaining').notNullable();
    t.integer('delay_ms');
    t.text('message');
    t.integer('status');
    t.text('service');
    t.text('operation_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['target', 'action', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('fault_rules');
}
