import type { Knex } from 'knex';

/** Block device mappings (Nova BDM v2) of a server; volume_id is filled when the volume exists. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_block_devices', (t) => {
    t.text('id').primary();
    t.text('server_id').notNullable().references('id').inTable('servers').onDelete('CASCADE');
    t.integer('boot_index');
    t.text('source_type').notNullable(); // image | volume | snapshot | blank
    t.text('destination_type').notNullable(); // volume | local
    t.text('image_id');
    t.text('snapshot_id');
    t.text('volume_id');
    t.integer('volume_size');
    t.text('volume_type');
    t.boolean('delete_on_termination').notNullable().defaultTo(false);
    t.text('device_name');
    t.text('device_type');
    t.text('disk_bus');
    t.text('guest_format');
    t.text('tag');
    /** true when the build created the volume (it is removed again if the build fails). */
    t.boolean('created_by_build').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['server_id']);
    t.index(['volume_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('server_block_devices');
}
