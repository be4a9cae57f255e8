import type { Knex } from 'knex';
import * as m0100 from './20261123000100_create_projects';
import * as m0200 from './20261123000200_create_users';
import * as m0300 from './20261123000300_create_roles';
import * as m0400 from './20261123000400_create_tokens';
import * as m0500 from './20261123000500_create_jobs';
import * as m0600 from './20261123000600_create_settings';

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
];
