import type { Knex } from 'knex';

/**
 * An imported snapshot (snapshot archives) has no volume on this machine: its volume_id names
 * the volume it was taken from, which never existed here. Cinder keeps the column; the
 * foreign key goes. A volume still cannot go while it has snapshots (the service checks).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('snapshots', (t) => {
    t.dropForeign(['volume_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('snapshots', (t) => {
    t.foreign('volume_id').references('volumes.id');
  });
}
