import { startHarness, Harness, Session } from '../../../support/snapstack-harness';

describe('Keystone projects, users and roles', () => {
  let h: Harness;
  let admin: Session;
  let demo: Session;
  beforeAll(async () => {
    h = await startHarness();
    admin = await h.login('admin');
    demo = await h.login('demo');
  });
  afterAll(async () => { await h.stop(); });

  it('seeds admin, demo and alt_demo with their roles', async () => {
    const projects = await admin.request('GET', '/identity/v3/projects');
    expect(projects.status).toBe(200);
    expect(projects.body.projects.map((p: any) => p.name)).toEqual(['admin', 'alt_demo', 'demo']);
    const users = await admin.request('GET', '/identity/v3/users');
    expect(users.body.users.map((u: any) => u.name)).toEqual(['admin', 'alt_demo', 'demo']);
    const roles = await admin.request('GET', '/identity/v3/roles');
    expect(roles.body.roles.map((r: any) => r.name)).toEqual(['admin', 'member', 'reader']);
    const domains = await demo.request('GET', '/identity/v3/domains');
    expect(domains.body.domains).toEqual([expect.objectContaining({ id: 'default', name: 'Default' })]);
  });

  it('lets admin create a project and a user, assign a role, and the user log in there', async () => {
    const name = `p-${Math.random().toString(36).slice(2, 8)}`;
    const p = await admin.request('POST', '/identity/v3/projects', { project: { name, description: 'test' } });
    expect(p.status).toBe(201);
    expect(p.body.project).toMatchObject({ name, domain_id: 'default', enabled: true, is_domain: false });
    const dup = await admin.request('POST', '/identity/v3/projects', { project: { name } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toContain('Duplicate entry');

    const u = await admin.request('POST', '/identity/v3/users', { user: { name: `u-${name}`, password: 'pw', default_project_id: p.body.project.id } });
    expect(u.status).toBe(201);
    const member = await admin.request('GET', '/identity/v3/roles?name=member');
    const roleId = member.body.roles[0].id;
    expect((await admin.request('PUT', `/identity/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roleId}`)).status).toBe(204);
    expect((await admin.request('HEAD', `/identity/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roleId}`)).status).toBe(204);

    const login = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { name: `u-${name}`, domain: { name: 'Default' }, password: 'pw' } } }, scope: { project: { id: p.body.project.id } } },
    });
    expect(login.status).toBe(201);
    expect(login.body.token.catalog.find((s: any) => s.type === 'volumev3').endpoints[0].url).toContain(p.body.project.id);

    const userProjects = await admin.request('GET', `/identity/v3/users/${u.body.user.id}/projects`);
    expect(userProjects.body.projects.map((x: any) => x.name)).toEqual([name]);

    expect((await admin.request('DELETE', `/identity/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roleId}`)).status).toBe(204);
    expect((await admin.request('DELETE', `/identity/v3/users/${u.body.user.id}`)).status).toBe(204);
    expect((await admin.request('DELETE', `/identity/v3/projects/${p.body.project.id}`)).status).toBe(204);
    expect((await admin.request('GET', `/identity/v3/projects/${p.body.project.id}`)).status).toBe(404);
  });

  it('answers an empty PATCH of a user or a project with the resource unchanged', async () => {
    const user = (await admin.request('GET', '/identity/v3/users?name=demo')).body.users[0];
    const patched = await admin.request('PATCH', `/identity/v3/users/${user.id}`, { user: {} });
    expect(patched.status).toBe(200);
    expect(patched.body.user).toMatchObject({ id: user.id, name: 'demo', enabled: true });
    const project = (await admin.request('GET', '/identity/v3/projects?name=demo')).body.projects[0];
    const p = await admin.request('PATCH', `/identity/v3/projects/${project.id}`, { project: {} });
    expect(p.status).toBe(200);
    expect(p.body.project).toMatchObject({ id: project.id, name: 'demo' });
  });

  it('forbids members from admin operations, with Keystone 403 bodies', async () => {
    const list = await demo.request('GET', '/identity/v3/projects');
    expect(list.status).toBe(403);
    expect(list.body.error).toMatchObject({ code: 403, title: 'Forbidden' });
    expect((await demo.request('POST', '/identity/v3/projects', { project: { name: 'nope' } })).status).toBe(403);
    expect((await demo.request('GET', '/identity/v3/users')).status).toBe(403);
    // but a user may read itself and its own project
    expect((await demo.request('GET', `/identity/v3/users/${demo.userId}`)).status).toBe(200);
    expect((await demo.request('GET', `/identity/v3/projects/${demo.projectId}`)).status).toBe(200);
  });

  it('rejects bad bodies with 400 naming the field', async () => {
    const res = await admin.request('POST', '/identity/v3/projects', { project: { name: 42 } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('name');
    const missing = await admin.request('POST', '/identity/v3/users', { user: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("'name' is a required property");
  });
});
