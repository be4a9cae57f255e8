/**
 * What the identity seed makes at first start (roles, the admin/demo/alt_demo projects and
 * their users) and what reset keeps: everything named here.
 */
import { createHash, randomUUID } from 'crypto';
import type { Logger } from '../logger';
import { hashPassword } from './passwords';
import type { IdentityStore } from './identity-store';

export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' };
/** Keystone's default role chain: admin implies member implies reader. */
export const ROLE_NAMES = ['admin', 'member', 'reader'] as const;
/** The seeded projects, each with its user of the same name. */
export const SEEDED_NAMES = ['admin', 'demo', 'alt_demo'] as const;

export interface SeedPasswords { admin: string; demo: string; altDemo: string }

export function newId(): string {
  return randomUUID().replace(/-/g, '');
}

/** A role's id is its name's: the same in every instance. */
export function roleId(name: string): string {
  return createHash('sha256').update(`role/${name}`).digest('hex').slice(0, 32);
}

/** Roles always (idempotent); projects and users only when there are no users yet. */
export async function seedIdentity(store: IdentityStore, passwords: SeedPasswords, log: Logger): Promise<void> {
  for (const name of ROLE_NAMES) await store.ensureRole({ id: roleId(name), name });
  if ((await store.countUsers()) > 0) return;
  const plan: Array<[(typeof SEEDED_NAMES)[number], string, string]> = [
    ['admin', passwords.admin, 'admin'],
    ['demo', passwords.demo, 'member'],
    ['alt_demo', passwords.altDemo, 'member'],
  ];
  // Hashed side by side (scrypt runs on libuv's threads): a fresh start waits for one, not three.
  const hashes = await Promise.all(plan.map(([, password]) => hashPassword(password)));
  for (const [i, [name, , role]] of plan.entries()) {
    const project = await store.insertProject({ id: newId(), name, domain_id: DEFAULT_DOMAIN.id, description: `Seeded ${name} project`, enabled: true });
    const user = await store.insertUser({ id: newId(), name, domain_id: DEFAULT_DOMAIN.id, password_hash: hashes[i], enabled: true, default_project_id: project.id, email: null });
    await store.assignRole(user.id, project.id, roleId(role));
  }
  log.info({ users: plan.map((p) => p[0]) }, 'seeded identity');
}
