import createClient from 'openapi-fetch';
import type { components as IdentityApi, paths as IdentityPaths } from '../../../src/generated/identity';
import type { Project } from './models';

/** A scoped Keystone token and what the dashboard needs from it. Kept in sessionStorage (this tab only). */
export interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; name: string };
  project: Project;
  /** Service type -> same-origin path prefix, from the token's catalog. */
  endpoints: Record<string, string>;
  isAdmin: boolean;
}

const KEY = 'snapstack.session';
const identity = createClient<IdentityPaths>({ baseUrl: '/identity' });

/** The catalog's public URL as a same-origin path: the dashboard is served by the API's own process. */
function endpointPaths(catalog: IdentityApi['schemas']['CatalogService'][] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const svc of catalog ?? []) {
    const ep = (svc.endpoints ?? []).find((e) => e.interface === 'public');
    if (ep?.url && svc.type) out[svc.type] = new URL(ep.url, window.location.origin).pathname.replace(/\/$/, '');
  }
  return out;
}

export class AuthError extends Error {}

type AuthRequest = IdentityApi['schemas']['AuthRequest']['auth'];

async function issue(auth: AuthRequest): Promise<Session> {
  const res = await identity.POST('/v3/auth/tokens', { body: { auth } });
  if (!res.response.ok || !res.data?.token) {
    const err: IdentityApi['schemas']['Error'] | undefined = res.error;
    throw new AuthError(err?.error?.message ?? `Login failed (${res.response.status})`);
  }
  const token = res.response.headers.get('X-Subject-Token') ?? '';
  const t = res.data.token;
  return {
    token,
    expiresAt: t.expires_at ?? '',
    user: { id: t.user?.id ?? '', name: t.user?.name ?? '' },
    project: { id: t.project?.id ?? '', name: t.project?.name ?? '' },
    endpoints: endpointPaths(t.catalog),
    isAdmin: (t.roles ?? []).some((r) => r.name === 'admin'),
  };
}

export function login(user: string, password: string, project: string): Promise<Session> {
  return issue({
    identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
    scope: { project: { name: project, domain: { name: 'Default' } } },
  });
}

/** Rescopes the user's token to another of their projects (Keystone's token method). */
export function switchProject(session: Session, projectId: string): Promise<Session> {
  return issue({ identity: { methods: ['token'], token: { id: session.token } }, scope: { project: { id: projectId } } });
}

export async function projectsOf(session: Session): Promise<Project[]> {
  const res = await identity.GET('/v3/auth/projects', { headers: { 'X-Auth-Token': session.token } });
  return (res.data?.projects ?? []).map((p) => ({ id: p.id ?? '', name: p.name ?? '' }));
}

export async function revoke(session: Session): Promise<void> {
  await identity.DELETE('/v3/auth/tokens', { params: { header: { 'X-Subject-Token': session.token } }, headers: { 'X-Auth-Token': session.token } }).catch(() => undefined);
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    return Date.parse(s.expiresAt) > Date.now() ? s : null;
  } catch {
    return null;
  }
}
