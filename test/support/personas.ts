import { randomBytes } from 'crypto';
import type { Harness, Session } from './snapstack-harness';

/** The callers the policy matrix and the fuzz test speak as. */
export const PERSONAS = ['unscoped', 'domain', 'other', 'reader', 'member', 'admin'] as const;
export type Persona = (typeof PERSONAS)[number];

export interface Caller {
  token: string;
  userId: string;
  /** The token's project; null for unscoped and domain-scope requests. */
  projectId: string | null;
}

export interface Cast {
  /** The project whose resources the member and reader work on. */
  projectId: string;
  /** Another project (its member is `other`). */
  otherProjectId: string;
  callers: Record<Persona, Caller>;
  roleIds: Record<'admin' | 'member' | 'reader', string>;
  /** Every cast user's password. */
  password: string;
}

async function token(h: Harness, userId: string, password: string, scope: unknown): Promise<Caller> {
  const res = await h.request('POST', '/identity/v3/auth/tokens', {
    auth: { identity: { methods: ['password'], password: { user: { id: userId, password } } }, ...(scope === undefined ? {} : { scope }) },
  });
  if (res.status !== 201) throw new Error(`token for ${userId} failed: ${res.status} ${res.text}`);
  return { token: res.headers.get('x-subject-token')!, userId, projectId: res.body.token.project?.id ?? null };
}

/**
 * A fresh cast for one test (or one fuzz batch): project P with a member and a reader, project
 * Q with its member (`other`), an admin (admin role on a project of its own), and the member's
 * unscoped and domain-scope tokens. Made through the API by the seeded admin.
 */
export async function makeCast(h: Harness, admin: Session): Promise<Cast> {
  const tag = randomBytes(4).toString('hex');
  const roles = (await admin.request('GET', '/identity/v3/roles')).body.roles as Array<{ id: string; name: string }>;
  const roleIds = Object.fromEntries(roles.map((r) => [r.name, r.id])) as Cast['roleIds'];
  const project = async (name: string) => (await admin.request('POST', '/identity/v3/projects', { project: { name: `${name}-${tag}` } })).body.project.id as string;
  const [p, q, a] = await Promise.all([project('p'), project('q'), project('a')]);
  const password = `pw-${tag}`;
  const user = async (name: string, projectId: string, role: keyof Cast['roleIds']) => {
    const res = await admin.request('POST', '/identity/v3/users', { user: { name: `${name}-${tag}`, password, default_project_id: projectId } });
    if (res.status !== 201) throw new Error(`user ${name}: ${res.status} ${res.text}`);
    const id = res.body.user.id as string;
    const grant = await admin.request('PUT', `/identity/v3/projects/${projectId}/users/${id}/roles/${roleIds[role]}`);
    if (grant.status !== 204) throw new Error(`grant ${role} to ${name}: ${grant.status} ${grant.text}`);
    return id;
  };
  const [memberId, readerId, otherId, adminId] = await Promise.all([user('member', p, 'member'), user('reader', p, 'reader'), user('other', q, 'member'), user('admin', a, 'admin')]);
  const [member, reader, other, adminCaller, unscoped, domain] = await Promise.all([
    token(h, memberId, password, { project: { id: p } }),
    token(h, readerId, password, { project: { id: p } }),
    token(h, otherId, password, { project: { id: q } }),
    token(h, adminId, password, { project: { id: a } }),
    token(h, memberId, password, 'unscoped'),
    token(h, memberId, password, { domain: { id: 'default' } }),
  ]);
  return { projectId: p, otherProjectId: q, roleIds, password, callers: { unscoped, domain, other, reader, member, admin: adminCaller } };
}
