import type { Knex } from 'knex';

/**
 * Nova's instance actions and their events (os-instance-actions): one action per accepted
 * request on a server, its events finished by the job that did the work. No foreign key to
 * servers: a deleted server's actions stay readable (2.21).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instance_actions', (t) => {
    t.increments('id').primary();
    t.text('server_id').notNullable();
    t.text('action').notNullable();
    t.text('request_id').notNullable();
    t.text('user_id').notNullable();
    t.text('project_id').notNullable();
    t.text('message');
    t.timestamp('start_time', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['server_id', 'start_time']);
    t.index(['server_id', 'request_id']);
  });
  await knex.schema.createTable('instance_action_events', (t) => {
    t.increments('id').primary();
    t.integer('action_id').notNullable().references('id').inTable('instance_actions').onDelete('CASCADE');
    t.text('server_id').notNullable();
    t.text('event').notNullable();
    t.text('host').notNullable();
    t.timestamp('start_time', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finish_time', { useTz: true });
    t.text('result');
    t.text('traceback');
    t.text('details');
    t.index(['action_id']);
    // The job that finishes an action's events finds the server's open ones.
    t.index(['server_id'], undefined, { predicate: knex.whereNull('finish_time') });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('instance_action_events');
  await knex.schema.dropTable('instance_actions');
}
