import type { Knex } from 'knex';

/**
 * A volume made from a Glance image keeps the image's id and metadata as Cinder does
 * (volume_glance_metadata, shown as volume_image_metadata): null for other volumes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('volumes', (t) => {
    t.text('image_id').nullable();
    t.jsonb('volume_image_metadata').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('volumes', (t) => {
    t.dropColumn('volume_image_metadata');
    t.dropColumn('image_id');
  });
}
