import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('image_tags', (t) => {
    t.text('image_id').notNullable().references('id').inTable('images').onDelete('CASCADE');
    t.text('tag').notNullable();
    t.primary(['image_id', 'tag']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('image_tags');
}
