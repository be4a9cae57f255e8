import type { Knex } from 'knex';

/**
 * Nova instances. The record (with its block devices and volumes) is the truth; the Docker
 * container is disposable and re-created on start, hard reboot and attach/detach.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('servers', (t) => {
    t.text('id').primary();
    t.text('project_id').notNullable();
    t.text('user_id').notNullable();
    t.text('name').notNullable();
    t.text('description');
    t.text('image_ref').notNullable().defaultTo(''); // '' when booted from volume
    t.text('flavor_id').notNullable();
    t.jsonb('flavor').notNullable(); // the flavor as it was at boot
    t.text('vm_state').notNullable();
    t.text('task_state');
    t.integer('power_state').notNullable().defaultTo(0);
    t.text('networks').notNullable(); // 'none' | 'auto' | JSON list
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.jsonb('system_metadata').notNullable().defaultTo('{}');
    t.text('docker_image'); // what the container runs (a committed root image after a stop)
    t.text('container_id');
    t.text('ip_address');
    t.text('mac_address');
    t.jsonb('fault');
    t.text('key_name');
    t.text('availability_zone').notNullable().defaultTo('nova');
    t.text('root_device_name').notNullable().defaultTo('/dev/vda');
    t.boolean('locked').notNullable().defaultTo(false);
    t.timestamp('launched_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
    t.index(['project_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('servers');
}
