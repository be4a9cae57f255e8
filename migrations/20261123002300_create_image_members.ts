import type { Knex } from 'knex';

/** Projects a shared image is offered to; the member accepts or rejects. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('image_members', (t) => {
    t.text('image_id').notNullable().references('id').inTable('images').onDelete('CASCADE');
    t.text('member_id').notNullable();
    t.text('status').notNullable(); // pending | accepted | rejected
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['image_id', 'member_id']);
    t.index(['member_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('image_members');
}
