// Helpers of the replicas tests (test/integration/replicas/): served children's logs and logins.
import { request, type Session } from './snapstack-harness';

/** The JSON lines of a served child's output. */
export function logLines(out: string): Array<Record<string, any>> {
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return {};
    }
  });
}

/** A project-scoped token of `user` (its own project) through the Snapstack at `url`. */
export async function login(url: string, user: string, password: string): Promise<{ token: string; projectId: string; userId: string }> {
  const res = await request(url, 'POST', '/identity/v3/auth/tokens', {
    auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, scope: { project: { name: user, domain: { name: 'Default' } } } },
  });
  if (res.status !== 201) throw new Error(`login ${user}: ${res.status} ${res.text}`);
  return { token: res.headers.get('x-subject-token')!, projectId: res.body.token.project.id as string, userId: res.body.token.user.id as string };
}

/** A session whose requests go to the Snapstack at `url` (`{project_id}` in paths filled in). */
export function sessionAt(url: string, auth: { token: string; projectId: string; userId: string }): Session {
  return {
    ...auth,
    request: (method, p, body, headers = {}) => request(url, method, p.replace('{project_id}', auth.projectId), body, { 'X-Auth-Token': auth.token, ...headers }),
  };
}
