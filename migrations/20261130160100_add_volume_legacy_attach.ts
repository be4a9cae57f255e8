import type { Knex } from 'knex';

/**
 * Cinder's legacy attach actions (os-attach, os-detach, os-update_readonly_flag) as Cinder keeps
 * them: bookkeeping. A volume's admin metadata (readonly, attached_mode: shown in its metadata);
 * an attachment may name a host instead of a server, has a mode, and says whether a Snapstack
 * server's container mounts it (`connected`: attachments made through Nova) or it is only
 * recorded (os-attach).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('volumes', (t) => {
    t.jsonb('admin_metadata').notNullable().defaultTo('{}');
  });
  await knex.schema.alterTable('volume_attachments', (t) => {
    t.text('server_id').nullable().alter();
    t.text('host_name');
    t.text('attach_mode').notNullable().defaultTo('rw');
    t.boolean('connected').notNullable().defaultTo(true);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('volume_attachments').whereNull('server_id').delete();
  await knex.schema.alterTable('volume_attachments', (t) => {
    t.dropColumn('connected');
    t.dropColumn('attach_mode');
    t.dropColumn('host_name');
    t.text('server_id').notNullable().alter();
  });
  await knex.schema.alterTable('volumes', (t) => t.dropColumn('admin_metadata'));
}
