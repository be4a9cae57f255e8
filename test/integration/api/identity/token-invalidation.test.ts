/**
 * Issue 15: validated tokens are cached, and revocation is still honoured at once. Each case
 * warms the cache with a request, changes what the token depends on, and expects 401 on the
 * very next request; the last case does the change through another IdentityService (another
 * process's cache) on the same database.
 */
import knexFactory, { Knex } from 'knex';
import { createLogger } from '../../../../src/logger';
import { IdentityService } from '../../../../src/identity/identity-service';
import { IdentityStore } from '../../../../src/identity/identity-store';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';

describe('token validation cache: changes are honoured on the very next request', () => {
  let h: Harness;
  let admin: Session;
  let memberRoleId: string;
  beforeAll(async () => {
    h = await startHarness({ dockerMode: 'none' });
    admin = await h.login('admin');
    memberRoleId = (await admin.request('GET', '/identity/v3/roles?name=member')).body.roles[0].id;
  });
  afterAll(async () => { await h.stop(); });

  /** A project with a member user, and that user's project-scoped token. */
  async function member(): Promise<{ projectId: string; userId: string; token: string; call: () => Promise<number> }> {
    const name = `c-${Math.random().toString(36).slice(2, 8)}`;
    const projectId = (await admin.request('POST', '/identity/v3/projects', { project: { name } })).body.project.id;
    const userId = (await admin.request('POST', '/identity/v3/users', { user: { name, password: 'pw', default_project_id: projectId } })).body.user.id;
    expect((await admin.request('PUT', `/identity/v3/projects/${projectId}/users/${userId}/roles/${memberRoleId}`)).status).toBe(204);
    const login = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { id: userId, password: 'pw' } } }, scope: { project: { id: projectId } } },
    });
    expect(login.status).toBe(201);
    const token = login.headers.get('x-subject-token')!;
    const call = async () => (await h.request('GET', '/compute/v2.1/flavors', undefined, { 'X-Auth-Token': token })).status;
    // Warm: the token is validated and cached.
    expect(await call()).toBe(200);
    expect(await call()).toBe(200);
    return { projectId, userId, token, call };
  }

  it('revocation of the token', async () => {
    const m = await member();
    expect((await h.request('DELETE', '/identity/v3/auth/tokens', undefined, { 'X-Auth-Token': m.token, 'X-Subject-Token': m.token })).status).toBe(204);
    expect(await m.call()).toBe(401);
  });

  it('user disabled, then deleted', async () => {
    const m = await member();
    expect((await admin.request('PATCH', `/identity/v3/users/${m.userId}`, { user: { enabled: false } })).status).toBe(200);
    expect(await m.call()).toBe(401);
    const n = await member();
    expect((await admin.request('DELETE', `/identity/v3/users/${n.userId}`)).status).toBe(204);
    expect(await n.call()).toBe(401);
  });

  it('password changed (Keystone revokes the user\'s tokens)', async () => {
    const m = await member();
    expect((await admin.request('PATCH', `/identity/v3/users/${m.userId}`, { user: { password: 'new-pw' } })).status).toBe(200);
    expect(await m.call()).toBe(401);
  });

  it('project disabled, then deleted', async () => {
    const m = await member();
    expect((await admin.request('PATCH', `/identity/v3/projects/${m.projectId}`, { project: { enabled: false } })).status).toBe(200);
    expect(await m.call()).toBe(401);
    const n = await member();
    expect((await admin.request('DELETE', `/identity/v3/projects/${n.projectId}`)).status).toBe(204);
    expect(await n.call()).toBe(401);
  });

  it('role assignment removed (the user\'s only role there), and a role granted shows at once', async () => {
    const m = await member();
    const adminRoleId = (await admin.request('GET', '/identity/v3/roles?name=admin')).body.roles[0].id;
    // Not admin yet: the admin-only project list is refused; granted admin, it is allowed on the next request.
    const projects = async () => (await h.request('GET', '/identity/v3/projects', undefined, { 'X-Auth-Token': m.token })).status;
    expect(await projects()).toBe(403);
    expect((await admin.request('PUT', `/identity/v3/projects/${m.projectId}/users/${m.userId}/roles/${adminRoleId}`)).status).toBe(204);
    expect(await projects()).toBe(200);
    expect((await admin.request('DELETE', `/identity/v3/projects/${m.projectId}/users/${m.userId}/roles/${adminRoleId}`)).status).toBe(204);
    expect(await projects()).toBe(403);
    expect((await admin.request('DELETE', `/identity/v3/projects/${m.projectId}/users/${m.userId}/roles/${memberRoleId}`)).status).toBe(204);
    expect(await m.call()).toBe(401);
  });

  it('a revocation made through another process on the same database is honoured on the next request', async () => {
    // The other process: its own connection pool (PostgreSQL) and its own cache, on the same data.
    const url = h.app.config.databaseUrl;
    const otherDb: Knex = url ? knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } }) : h.app.db;
    const other = new IdentityService(new IdentityStore(otherDb), 3600, createLogger('silent'), { shared: true });
    // This process's cache as replicas have it (several processes on the database). A lone server
    // holds the database's lock (lockDatabase), so the app's own cache is local: no other process
    // may write its identity rows; replicas' own test covers the app's shared cache end to end.
    const here = new IdentityService(new IdentityStore(h.app.db), 3600, createLogger('silent'), { shared: true });
    try {
      const m = await member();
      expect((await here.validate(m.token)).userId).toBe(m.userId);
      expect((await here.validate(m.token)).userId).toBe(m.userId); // cached
      const adminAuth = await other.validate(admin.token);
      await other.revoke(adminAuth, m.token);
      await expect(here.validate(m.token)).rejects.toMatchObject({ status: 401 });
    } finally {
      if (url) await otherDb.destroy();
    }
  });
});
