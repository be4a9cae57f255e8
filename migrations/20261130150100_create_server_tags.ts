import type { Knex } from 'knex';

/** Nova's server tags (2.26): at most 50 per server, each 1-60 characters without '/' or ','. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_tags', (t) => {
    t.text('server_id').notNullable().references('id').inTable('servers').onDelete('CASCADE');
    t.text('tag').notNullable();
    t.primary(['server_id', 'tag']);
    // The list filters (tags, tags-any, not-tags, not-tags-any) look servers up by tag.
    t.index(['tag']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('server_tags');
}
