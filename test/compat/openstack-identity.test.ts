import { startHarness, Harness } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';

// Each test runs the real Python clients many times (about 1-3 s a command on a loaded 2-core machine).
jest.setTimeout(300_000);

describe('the real openstack CLI against Keystone', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  it('token issue as demo prints a token scoped to demo', async () => {
    const demo = await h.login('demo');
    const token = await openstackJson(h.url, CLI_USERS.demo, ['token', 'issue']);
    expect(token.id).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(token.project_id).toBe(demo.projectId);
    expect(token.user_id).toBe(demo.userId);
    expect(new Date(token.expires).getTime()).toBeGreaterThan(Date.now());
  });

  it('catalog list shows every service in RegionOne', async () => {
    const catalog = await openstackJson<any[]>(h.url, CLI_USERS.admin, ['catalog', 'list']);
    expect(catalog.map((s) => s.Type).sort()).toEqual(['block-storage', 'compute', 'identity', 'image', 'volumev3']);
    const compute = catalog.find((s) => s.Type === 'compute');
    expect(JSON.stringify(compute.Endpoints)).toContain(`${h.url}/compute/v2.1`);
  });

  it('project list and user list as admin show the seeded namespaces', async () => {
    const projects = await openstackJson<any[]>(h.url, CLI_USERS.admin, ['project', 'list']);
    expect(projects.map((p) => p.Name).sort()).toEqual(['admin', 'alt_demo', 'demo']);
    const users = await openstackJson<any[]>(h.url, CLI_USERS.admin, ['user', 'list']);
    expect(users.map((u) => u.Name).sort()).toEqual(['admin', 'alt_demo', 'demo']);
  });

  it('project create and delete as admin', async () => {
    const name = `cli-${Math.random().toString(36).slice(2, 8)}`;
    const created = await openstackJson(h.url, CLI_USERS.admin, ['project', 'create', '--description', 'made by the CLI', name]);
    expect(created).toMatchObject({ name, description: 'made by the CLI', enabled: true, domain_id: 'default' });
    const del = await openstack(h.url, CLI_USERS.admin, ['project', 'delete', name]);
    expect(del.code).toBe(0);
  });

  it('token revoke makes the token unusable', async () => {
    const token = await openstackJson(h.url, CLI_USERS.demo, ['token', 'issue']);
    const revoke = await openstack(h.url, CLI_USERS.demo, ['token', 'revoke', token.id]);
    expect(revoke.code).toBe(0);
    const res = await h.request('GET', '/identity/v3/auth/projects', undefined, { 'X-Auth-Token': token.id });
    expect(res.status).toBe(401);
  });

  it('a wrong password gives the client\'s authentication error and a non-zero exit', async () => {
    const r = await openstack(h.url, { ...CLI_USERS.demo, password: 'wrong' }, ['token', 'issue']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The request you have made requires authentication. (HTTP 401)');
  });

  it('a member listing projects gets a 403 from Keystone, and OSC falls back to the member\'s own projects', async () => {
    const demo = await h.login('demo');
    expect((await demo.request('GET', '/identity/v3/projects')).status).toBe(403);
    const projects = await openstackJson<any[]>(h.url, CLI_USERS.demo, ['project', 'list']);
    expect(projects.map((p) => p.Name)).toEqual(['demo']);
  });
});
