import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('volumes', (t) => {
    t.text('id').primary();
    // No foreign key to projects: like Cinder, volumes outlive a Keystone project's deletion.
    t.text('project_id').notNullable();
    t.text('user_id');
    t.text('name');
    t.text('description');
    t.integer('size').notNullable();
    t.text('status').notNullable();
    t.boolean('bootable').notNullable().defaultTo(false);
    t.text('volume_type').notNullable();
    t.text('availability_zone').notNullable();
    t.text('snapshot_id');
    t.text('source_volid');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('volumes');
}
