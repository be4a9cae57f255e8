import type { Knex } from 'knex';
import * as m0100 from './20261123000100_create_projects';
import * as m0200 from './20261123000200_create_users';
import * as m0300 from './20261123000300_create_roles';
import * as m0400 from './20261123000400_create_tokens';
import * as m0500 from './20261123000500_create_jobs';
import * as m0600 from './20261123000600_create_settings';
import * as m1100 from './20261123001100_create_volumes';
import * as m1200 from './20261123001200_create_volume_attachments';
import * as m1300 from './20261123001300_create_snapshots';
import * as m1400 from './20261123001400_create_volume_quotas';
import * as m2100 from './20261123002100_create_images';
import * as m2200 from './20261123002200_create_image_tags';
import * as m2300 from './20261123002300_create_image_members';
import * as m3100 from './20261123003100_create_flavors';
import * as m3200 from './20261123003200_create_servers';
import * as m3300 from './20261123003300_create_server_block_devices';
import * as m4100 from './20261123004100_drop_snapshots_volume_fk';
import * as m4200 from './20261123004200_add_snapshots_shared';
import * as m20261130001000 from './20261130001000_add_volumes_image_metadata';
import * as m20261130_1100 from './20261130001100_add_server_action_columns';
import * as m20261130_2000 from './20261130002000_add_servers_locked_by';
import * as m20261130_2100 from './20261130002100_add_servers_access_ips';
import * as m20261130_3500 from './20261130003500_add_list_indexes';
import * as m20261130120000 from './20261130120000_create_archive_workspace_loads';
import * as m20261130130000 from './20261130130000_add_job_owners_and_replicas';
import * as m20261130150000 from './20261130150000_create_keypairs';
import * as m20261130150100 from './20261130150100_create_server_tags';
import * as m20261130150200 from './20261130150200_create_instance_actions';
import * as m20261130150300 from './20261130150300_add_servers_reservation';
import * as m20261130150400 from './20261130150400_create_server_groups';
import * as m20261130160000 from './20261130160000_create_volume_types';
import * as m20261130160100 from './20261130160100_add_volume_legacy_attach';
import * as m20261130160200 from './20261130160200_create_volume_transfers';
import * as m20261130160300 from './20261130160300_create_volume_messages';
import * as m20261130163100 from './20261130163100_add_servers_trusted_certs';
import * as m20261130190000 from './20261130190000_create_metadef_namespaces';
import * as m20261130190100 from './20261130190100_create_metadef_resource_types';
import * as m20261130190200 from './20261130190200_create_metadef_namespace_resource_types';
import * as m20261130190300 from './20261130190300_create_metadef_objects';
import * as m20261130190400 from './20261130190400_create_metadef_properties';
import * as m20261130190500 from './20261130190500_create_metadef_tags';
import * as m20261130194500 from './20261130194500_create_fault_rules';
import * as m20261130200000 from './20261130200000_add_replica_resets';
import * as m20261201000500 from './20261201000500_create_server_console_logs';

export interface NamedMigration extends Knex.Migration {
  name: string;
}

function named(name: string, m: Knex.Migration): NamedMigration {
  return { name, up: m.up, down: m.down };
}

/** Every migration, in order. Add new files here; never edit a landed one. */
export const migrations: NamedMigration[] = [
  named('20261123000100_create_projects', m0100),
  named('20261123000200_create_users', m0200),
  named('20261123000300_create_roles', m0300),
  named('20261123000400_create_tokens', m0400),
  named('20261123000500_create_jobs', m0500),
  named('20261123000600_create_settings', m0600),
  named('20261123001100_create_volumes', m1100),
  named('20261123001200_create_volume_attachments', m1200),
  named('20261123001300_create_snapshots', m1300),
  named('20261123001400_create_volume_quotas', m1400),
  named('20261123002100_create_images', m2100),
  named('20261123002200_create_image_tags', m2200),
  named('20261123002300_create_image_members', m2300),
  named('20261123003100_create_flavors', m3100),
  named('20261123003200_create_servers', m3200),
  named('20261123003300_create_server_block_devices', m3300),
  named('20261123004100_drop_snapshots_volume_fk', m4100),
  named('20261123004200_add_snapshots_shared', m4200),
  named('20261130001000_add_volumes_image_metadata', m20261130001000),
  named('20261130001100_add_server_action_columns', m20261130_1100),
  named('20261130002000_add_servers_locked_by', m20261130_2000),
  named('20261130002100_add_servers_access_ips', m20261130_2100),
  named('20261130003500_add_list_indexes', m20261130_3500),
  named('20261130120000_create_archive_workspace_loads', m20261130120000),
  named('20261130130000_add_job_owners_and_replicas', m20261130130000),
  named('20261130150000_create_keypairs', m20261130150000),
  named('20261130150100_create_server_tags', m20261130150100),
  named('20261130150200_create_instance_actions', m20261130150200),
  named('20261130150300_add_servers_reservation', m20261130150300),
  named('20261130150400_create_server_groups', m20261130150400),
  named('20261130160000_create_volume_types', m20261130160000),
  named('20261130160100_add_volume_legacy_attach', m20261130160100),
  named('20261130160200_create_volume_transfers', m20261130160200),
  named('20261130160300_create_volume_messages', m20261130160300),
  named('20261130163100_add_servers_trusted_certs', m20261130163100),
  named('20261130190000_create_metadef_namespaces', m20261130190000),
  named('20261130190100_create_metadef_resource_types', m20261130190100),
  named('20261130190200_create_metadef_namespace_resource_types', m20261130190200),
  named('20261130190300_create_metadef_objects', m20261130190300),
  named('20261130190400_create_metadef_properties', m20261130190400),
  named('20261130190500_create_metadef_tags', m20261130190500),
  named('20261130194500_create_fault_rules', m20261130194500),
  named('20261130200000_add_replica_resets', m20261130200000),
  named('20261201000500_create_server_console_logs', m20261201000500),
];
