import type { Knex } from 'knex';

/**
 * Indexes that match the lists' filters and keyset order (created_at, id), so a page costs the
 * same whatever the project's size: the scan starts at the marker and stops after one page.
 */
const INDEXES: Array<[name: string, table: string, columns: string, where?: string]> = [
  ['images_owner_created_at_id_index', 'images', 'owner, created_at, id'],
  ['images_visibility_created_at_id_index', 'images', 'visibility, created_at, id'],
  // The default listing (public or own or shared with me) and an admin's walk the whole order.
  ['images_created_at_id_index', 'images', 'created_at, id'],
  ['servers_project_id_created_at_id_index', 'servers', 'project_id, created_at, id', 'deleted_at is null'],
  ['servers_created_at_id_index', 'servers', 'created_at, id', 'deleted_at is null'],
  ['volumes_project_id_created_at_id_index', 'volumes', 'project_id, created_at, id'],
  ['volumes_created_at_id_index', 'volumes', 'created_at, id'],
  ['snapshots_project_id_created_at_id_index', 'snapshots', 'project_id, created_at, id'],
  // A project's snapshot list also shows the shared (workspace) ones: an OR the planner walks in this order.
  ['snapshots_created_at_id_index', 'snapshots', 'created_at, id'],
];

const SUPERSEDED = ['images_owner_index', 'images_visibility_index', 'volumes_project_id_created_at_index', 'snapshots_project_id_created_at_index'];

export async function up(knex: Knex): Promise<void> {
  for (const [name, table, columns, where] of INDEXES) {
    await knex.raw(`create index ?? on ?? (${columns})${where ? ` where ${where}` : ''}`, [name, table]);
  }
  // Superseded: each is a prefix of one above.
  for (const name of SUPERSEDED) await knex.raw('drop index if exists ??', [name]);
}

export async function down(knex: Knex): Promise<void> {
  for (const [name] of INDEXES) await knex.raw('drop index if exists ??', [name]);
  await knex.raw('create index images_owner_index on images (owner)');
  await knex.raw('create index images_visibility_index on images (visibility)');
  await knex.raw('create index volumes_project_id_created_at_index on volumes (project_id, created_at)');
  await knex.raw('create index snapshots_project_id_created_at_index on snapshots (project_id, created_at)');
}
