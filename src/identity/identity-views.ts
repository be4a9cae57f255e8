import type { IssuedToken } from './identity-service';
import { DEFAULT_DOMAIN } from './identity-service';
import type { ProjectRow, RoleRow, UserRow } from './identity-store';
import { buildCatalog } from './catalog';
import { keystoneTime } from '../shared/time-format';

export function projectView(p: ProjectRow, base: string) {
  return {
    id: p.id, name: p.name, domain_id: p.domain_id, description: p.description, enabled: p.enabled,
    parent_id: p.domain_id, is_domain: false, tags: [], options: {},
    links: { self: `${base}/v3/projects/${p.id}` },
  };
}

export function userView(u: UserRow, base: string) {
  return {
    id: u.id, name: u.name, domain_id: u.domain_id, enabled: u.enabled,
    ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
    ...(u.email ? { email: u.email } : {}),
    password_expires_at: null, options: {},
    links: { self: `${base}/v3/users/${u.id}` },
  };
}

export function roleView(r: RoleRow, base: string) {
  return { id: r.id, name: r.name, domain_id: null, description: null, options: {}, links: { self: `${base}/v3/roles/${r.id}` } };
}

export function domainView(base: string) {
  return { ...DEFAULT_DOMAIN, description: 'The default domain', enabled: true, tags: [], options: {}, links: { self: `${base}/v3/domains/${DEFAULT_DOMAIN.id}` } };
}

export function collection(key: string, items: unknown[], selfUrl: string) {
  return { [key]: items, links: { self: selfUrl, previous: null, next: null } };
}

/** Token body as keystoneauth and OSC read it. */
export function tokenView(t: IssuedToken, publicUrl: string, withCatalog: boolean) {
  const domain = { id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name };
  return {
    token: {
      methods: t.methods,
      user: { id: t.user.id, name: t.user.name, domain, password_expires_at: null },
      ...(t.project ? { project: { id: t.project.id, name: t.project.name, domain }, is_domain: false } : {}),
      ...(t.project ? { roles: t.roles.map((r) => ({ id: r.id, name: r.name })) } : {}),
      audit_ids: [t.auditId],
      issued_at: keystoneTime(t.issuedAt),
      expires_at: keystoneTime(t.auth.expiresAt),
      ...(t.project && withCatalog ? { catalog: buildCatalog(publicUrl, t.project.id) } : {}),
      ...(!t.project && withCatalog ? { catalog: [] } : {}),
    },
  };
}
