import { startHarness, Harness, request } from '../../../support/snapstack-harness';

const passwordAuth = (name: string, password: string, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user: { name, domain: { name: 'Default' }, password } } }, ...(scope ? { scope } : {}) },
});

describe('Keystone tokens', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  it('discovers v3 the way keystoneauth accepts', async () => {
    const root = await h.request('GET', '/identity');
    expect(root.status).toBe(300);
    expect(root.body.versions.values[0]).toMatchObject({ id: 'v3.14', status: 'stable' });
    expect(root.body.versions.values[0].links[0]).toEqual({ rel: 'self', href: `${h.url}/identity/v3/` });
    for (const p of ['/identity/v3', '/identity/v3/']) {
      const v3 = await h.request('GET', p);
      expect(v3.status).toBe(200);
      expect(v3.body.version.id).toBe('v3.14');
    }
  });

  it('issues a project-scoped token with X-Subject-Token and a full catalog', async () => {
    const res = await h.request('POST', '/identity/v3/auth/tokens', passwordAuth('demo', 'demo-secret', { project: { name: 'demo', domain: { name: 'Default' } } }));
    expect(res.status).toBe(201);
    expect(res.headers.get('x-subject-token')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const t = res.body.token;
    expect(t.methods).toEqual(['password']);
    expect(t.user).toMatchObject({ name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(t.project).toMatchObject({ name: 'demo', domain: { id: 'default' } });
    expect(t.roles.map((r: any) => r.name).sort()).toEqual(['member', 'reader']);
    expect(t.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(new Date(t.expires_at).getTime() - new Date(t.issued_at).getTime()).toBe(3600 * 1000);
    const types = t.catalog.map((s: any) => s.type).sort();
    expect(types).toEqual(['block-storage', 'compute', 'identity', 'image', 'volumev3']);
    const volume = t.catalog.find((s: any) => s.type === 'volumev3');
    expect(volume.endpoints.map((e: any) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(volume.endpoints[0]).toMatchObject({ region_id: 'RegionOne', region: 'RegionOne', url: `${h.url}/volume/v3/${t.project.id}` });
  });

  it('accepts user and project by id, and domain by id', async () => {
    const demo = await h.login('demo');
    const res = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { id: demo.userId, password: 'demo-secret' } } }, scope: { project: { id: demo.projectId } } },
    });
    expect(res.status).toBe(201);
    const byDomainId = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'demo-secret' } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } },
    });
    expect(byDomainId.status).toBe(201);
  });

  it('issues unscoped tokens and re-scopes them with the token method, keeping the expiry', async () => {
    const unscoped = await h.request('POST', '/identity/v3/auth/tokens', passwordAuth('demo', 'demo-secret', 'unscoped'));
    expect(unscoped.status).toBe(201);
    expect(unscoped.body.token.project).toBeUndefined();
    const token = unscoped.headers.get('x-subject-token')!;
    const rescoped = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } },
    });
    expect(rescoped.status).toBe(201);
    expect(rescoped.body.token.project.name).toBe('demo');
    expect(rescoped.body.token.methods).toEqual(['token']);
    expect(rescoped.body.token.expires_at).toBe(unscoped.body.token.expires_at);
  });

  it('refuses a wrong password, an unknown user and a project without a role, as Keystone does', async () => {
    for (const body of [
      passwordAuth('demo', 'wrong'),
      passwordAuth('nobody', 'x'),
      passwordAuth('demo', 'demo-secret', { project: { name: 'alt_demo', domain: { name: 'Default' } } }),
    ]) {
      const res = await h.request('POST', '/identity/v3/auth/tokens', body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    }
  });

  it('validates, checks and revokes tokens', async () => {
    const demo = await h.login('demo');
    const other = await h.login('demo');
    const shown = await demo.request('GET', '/identity/v3/auth/tokens', undefined, { 'X-Subject-Token': other.token });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('x-subject-token')).toBe(other.token);
    expect(shown.body.token.project.id).toBe(demo.projectId);
    expect((await demo.request('HEAD', '/identity/v3/auth/tokens', undefined, { 'X-Subject-Token': other.token })).status).toBe(200);
    expect((await demo.request('DELETE', '/identity/v3/auth/tokens', undefined, { 'X-Subject-Token': other.token })).status).toBe(204);
    const after = await demo.request('GET', '/identity/v3/auth/tokens', undefined, { 'X-Subject-Token': other.token });
    expect(after.status).toBe(404);
    expect(after.body.error.code).toBe(404);
    expect((await other.request('GET', '/identity/v3/auth/projects')).status).toBe(401);
  });

  it('expires tokens after the configured lifetime', async () => {
    const short = await startHarness({ tokenTtlSeconds: 1 });
    try {
      const s = await short.login('demo');
      expect((await s.request('GET', '/identity/v3/auth/projects')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1200));
      expect((await s.request('GET', '/identity/v3/auth/projects')).status).toBe(401);
    } finally {
      await short.stop();
    }
  });

  it('answers the catalog and the projects a token may scope to', async () => {
    const demo = await h.login('demo');
    const cat = await demo.request('GET', '/identity/v3/auth/catalog');
    expect(cat.status).toBe(200);
    expect(cat.body.catalog.length).toBe(5);
    const projects = await demo.request('GET', '/identity/v3/auth/projects');
    expect(projects.body.projects.map((p: any) => p.name)).toEqual(['demo']);
  });

  it('keeps tokens valid across a restart (they are stored)', async () => {
    const first = await startHarness();
    const dataDir = first.dataDir;
    const session = await first.login('demo');
    const dbUrl = first.app.config.databaseUrl;
    await first.app.close();
    const { startSnapstack } = await import('../../../../src/app');
    const { createLogger } = await import('../../../../src/logger');
    const again = await startSnapstack({ ...first.app.config, port: 0 }, { logger: createLogger('silent') });
    try {
      const res = await request(again.url, 'GET', '/identity/v3/auth/projects', undefined, { 'X-Auth-Token': session.token });
      expect(res.status).toBe(200);
      expect(dbUrl === undefined ? dataDir : dbUrl).toBeTruthy();
    } finally {
      await again.close();
      await first.stop().catch(() => undefined);
    }
  });
});
