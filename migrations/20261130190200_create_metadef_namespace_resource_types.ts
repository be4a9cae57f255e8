import type { Knex } from 'knex';

/** Which resource types a metadef namespace applies to, with the property prefix for each. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('metadef_namespace_resource_types', (t) => {
    t.integer('namespace_id').notNullable().references('id').inTable('metadef_namespaces').onDelete('CASCADE');
    t.integer('resource_type_id').notNullable().references('id').inTable('metadef_resource_types');
    t.text('prefix');
    t.text('properties_target');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['namespace_id', 'resource_type_id']);
    t.index(['resource_type_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('metadef_namespace_resource_types');
}
