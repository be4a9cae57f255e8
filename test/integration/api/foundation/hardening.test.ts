/**
 * Issue 16, items 2-6: each reproduced attack or careless input, answered as the real service
 * would (status and body shape), never a 5xx, a stall, an HTML page or a leaked path.
 */
import { startHarness, Harness, Session, ApiResponse } from '../../../support/snapstack-harness';
import { COMPUTE, GLANCE, randomName } from '../../../support/compute-helpers';

function expectClean(r: ApiResponse): void {
  expect(r.status).toBeLessThan(500);
  expect(r.text).not.toMatch(/<html|<!DOCTYPE|\bat .*\.(js|ts):\d+|\/work\/|node_modules/i);
  expect(r.headers.get('content-type') ?? '').toContain('application/json');
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

describe('hardened request pipeline (issue 16)', () => {
  let h: Harness;
  let demo: Session;
  let admin: Session;
  beforeAll(async () => {
    h = await startHarness({ dockerMode: 'none' });
    demo = await h.login('demo');
    admin = await h.login('admin');
  });
  afterAll(async () => { await h.stop(); });

  it('refuses NUL bytes in paths, queries and bodies with a 400 in the service shape', async () => {
    const inPath = await demo.request('GET', `${COMPUTE}/servers/abc%00def`);
    expectClean(inPath);
    expect(inPath.status).toBe(400);
    expect(inPath.body.badRequest.message).toContain('NUL');
    const inQuery = await demo.request('GET', `/volume/v3/{project_id}/volumes?name=a%00b`);
    expect(inQuery.status).toBe(400);
    expect(inQuery.body.badRequest).toBeDefined();
    const inBody = await demo.request('POST', '/volume/v3/{project_id}/volumes', { volume: { size: 1, name: 'a\u0000b' } });
    expect(inBody.status).toBe(400);
    const glance = await demo.request('POST', `${GLANCE}/images`, { name: 'x\u0000' });
    expect(glance.status).toBe(400);
    expect(glance.body).toMatchObject({ code: '400 Bad Request' });
  });

  it('refuses unpaired surrogates in JSON strings and keys (valid JSON, not Unicode) with a 400, not a database error', async () => {
    const value = await demo.request('POST', `${GLANCE}/images`, '{"name": "a", "k": "\\ud800"}');
    expect(value.status).toBe(400);
    expect(value.body).toMatchObject({ code: '400 Bad Request' });
    expect(value.text).toContain('not valid Unicode');
    const key = await demo.request('POST', '/volume/v3/{project_id}/volumes', '{"volume": {"size": 1, "metadata": {"\\udc00": "v"}}}');
    expect(key.status).toBe(400);
    expect(key.body.badRequest.message).toContain('not valid Unicode');
    // A paired surrogate (an emoji) is fine.
    const emoji = await demo.request('POST', `${GLANCE}/images`, '{"name": "\\ud83d\\ude00"}');
    expect(emoji.status).toBe(201);
    expect(emoji.body.name).toBe('\u{1F600}');
    await demo.request('DELETE', `${GLANCE}/images/${emoji.body.id}`);
  });

  it('refuses JSON nested 5,000 deep without describing it recursively, also on POST /auth/tokens without a token', async () => {
    const deep = await demo.request('POST', `${COMPUTE}/servers`, `{"server": ${nested(5000)}}`);
    expectClean(deep);
    expect(deep.status).toBe(400);
    const token = await h.request('POST', '/identity/v3/auth/tokens', `{"auth": ${nested(5000)}}`);
    expectClean(token);
    expect(token.status).toBe(400);
    expect(token.body.error).toMatchObject({ code: 400 });
  });

  it('takes sort keys from an allow-list: __proto__, constructor and toString are 400s', async () => {
    for (const key of ['__proto__', 'constructor', 'toString']) {
      for (const path of [`/volume/v3/{project_id}/volumes/detail?sort_key=${key}`, `/volume/v3/{project_id}/snapshots?sort=${key}:asc`, `${GLANCE}/images?sort_key=${key}`, `${COMPUTE}/flavors?sort_key=${key}`]) {
        const r = await demo.request('GET', path);
        expectClean(r);
        expect([path, r.status]).toEqual([path, 400]);
      }
    }
  });

  it('keeps numbers in range and strings bounded before SQL', async () => {
    const big = await demo.request('GET', `${COMPUTE}/flavors?minDisk=99999999999999999999999`);
    expectClean(big);
    expect(big.status).toBe(400);
    expect(big.body.badRequest.message).toContain('minDisk');
    expect((await demo.request('GET', `${COMPUTE}/flavors?minDisk=1`)).status).toBe(200);
    const image = await demo.request('POST', `${GLANCE}/images`, { name: randomName('img'), disk_format: 'raw', container_format: 'bare' });
    expect(image.status).toBe(201);
    for (const size of [5000, 512 * 1024]) {
      const member = await demo.request('POST', `${GLANCE}/images/${image.body.id}/members`, { member: 'm'.repeat(size) });
      expectClean(member);
      expect(member.status).toBe(400);
    }
    const mega = await demo.request('POST', `${GLANCE}/images/${image.body.id}/members`, { member: 'm'.repeat(1024 * 1024) });
    expectClean(mega);
    expect(mega.status).toBe(413);
    const longId = await demo.request('GET', `${COMPUTE}/servers/${'x'.repeat(5000)}`);
    expectClean(longId);
    expect(longId.status).toBe(400);
    const hugeNumber = await demo.request('POST', '/volume/v3/{project_id}/volumes', { volume: { size: 1e300 } });
    expectClean(hugeNumber);
    expect(hugeNumber.status).toBe(400);
  });

  it('answers a bad percent-encoding in a path in the service JSON shape, without a trace or a path', async () => {
    for (const [path, shape] of [[`${COMPUTE}/flavors/%ZZ%`, 'badRequest'], ['/volume/v3/{project_id}/volumes/%E0%A4%A', 'badRequest'], [`${GLANCE}/images/%ZZ`, 'code'], ['/identity/v3/users/%ZZ%', 'error'], ['/snapstack/v1/archives/%ZZ', 'error']] as const) {
      const r = await demo.request('GET', path);
      expectClean(r);
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.body[shape]).toBeDefined();
    }
    const unrouted = await h.request('GET', '/nowhere/%ZZ%');
    expectClean(unrouted);
    expect(unrouted.status).toBe(404);
  });

  it('names no file path in any answer, health included', async () => {
    const health = await h.request('GET', '/snapstack/v1/health');
    expect(health.status).toBe(200);
    expect(health.text).not.toContain(h.dataDir);
    expect(health.body.database).toMatch(/PostgreSQL/);
  });

  it('answers a 20 MB body with 413 in the service shape, not a reset connection', async () => {
    const body = JSON.stringify({ volume: { size: 1, description: 'x'.repeat(20 * 1024 * 1024) } });
    const r = await demo.request('POST', '/volume/v3/{project_id}/volumes', body);
    expect(r.status).toBe(413);
    expect(r.body.overLimit).toMatchObject({ code: 413 });
    const keystone = await h.request('POST', '/identity/v3/auth/tokens', 'x'.repeat(2 * 1024 * 1024));
    expect(keystone.status).toBe(413);
    expect(keystone.body.error).toMatchObject({ code: 413 });
    expect((await h.request('GET', '/snapstack/v1/health')).status).toBe(200);
  });

  it('evaluates a catastrophic name regex in the database: the answer is quick and health stays up', async () => {
    const name = `${'a'.repeat(28)}!`;
    const busybox = (await demo.request('GET', `${GLANCE}/images?name=busybox`)).body.images[0].id;
    const created = await demo.request('POST', `${COMPUTE}/servers`, { server: { name, imageRef: busybox, flavorRef: '1', networks: 'none' } }, { 'OpenStack-API-Version': 'compute 2.37' });
    expect([created.status, created.text]).toEqual([202, expect.any(String)]);
    const started = Date.now();
    const [list, health] = await Promise.all([
      demo.request('GET', `${COMPUTE}/servers?name=${encodeURIComponent('^(a+)+$')}`),
      h.request('GET', '/snapstack/v1/health'),
    ]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(health.status).toBe(200);
    expect(list.status).toBe(200);
    expect(list.body.servers).toEqual([]);
    const hit = await demo.request('GET', `${COMPUTE}/servers?name=${encodeURIComponent('^a+!$')}`);
    expect(hit.body.servers.map((s: { id: string }) => s.id)).toEqual([created.body.server.id]);
    // A pattern that does not compile matches as plain text, as before.
    const literal = await demo.request('GET', `${COMPUTE}/servers?name=${encodeURIComponent('a!(')}`);
    expect(literal.status).toBe(200);
    expect(literal.body.servers).toEqual([]);
  });

  it('refuses project resources to unscoped tokens with 403, never listing other projects', async () => {
    const unscoped = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'demo-secret' } } }, scope: 'unscoped' },
    });
    expect(unscoped.status).toBe(201);
    expect(unscoped.body.token.project).toBeUndefined();
    const token = unscoped.headers.get('x-subject-token')!;
    const servers = await h.request('GET', `${COMPUTE}/servers/detail`, undefined, { 'X-Auth-Token': token });
    expect(servers.status).toBe(403);
    expect(servers.body.forbidden.message).toMatch(/Policy doesn't allow/);
    const volumes = await h.request('GET', `/volume/v3/${demo.projectId}/volumes`, undefined, { 'X-Auth-Token': token });
    expect(volumes.status).toBe(403);
    const images = await h.request('GET', `${GLANCE}/images`, undefined, { 'X-Auth-Token': token });
    expect(images.status).toBe(403);
    // Self-service identity reads still work with an unscoped token, as in Keystone.
    expect((await h.request('GET', `/identity/v3/users/${demo.userId}`, undefined, { 'X-Auth-Token': token })).status).toBe(200);
  });

  it('kills tokens with their project\'s disablement, and revives none on re-enable of a user', async () => {
    const project = await admin.request('POST', '/identity/v3/projects', { project: { name: randomName('p') } });
    const user = await admin.request('POST', '/identity/v3/users', { user: { name: randomName('u'), password: 'pw-secret', default_project_id: project.body.project.id } });
    const member = (await admin.request('GET', '/identity/v3/roles?name=member')).body.roles[0];
    expect((await admin.request('PUT', `/identity/v3/projects/${project.body.project.id}/users/${user.body.user.id}/roles/${member.id}`)).status).toBe(204);
    const login = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { id: user.body.user.id, password: 'pw-secret' } } }, scope: { project: { id: project.body.project.id } } },
    });
    const token = login.headers.get('x-subject-token')!;
    const list = () => h.request('GET', `${COMPUTE}/servers`, undefined, { 'X-Auth-Token': token });
    expect((await list()).status).toBe(200);
    expect((await admin.request('PATCH', `/identity/v3/projects/${project.body.project.id}`, { project: { enabled: false } })).status).toBe(200);
    expect((await list()).status).toBe(401);
    expect((await h.request('POST', `${COMPUTE}/servers`, { server: { name: 'x', imageRef: 'busybox', flavorRef: '1' } }, { 'X-Auth-Token': token })).status).toBe(401);
    const validate = await admin.request('GET', '/identity/v3/auth/tokens', undefined, { 'X-Subject-Token': token });
    expect(validate.status).toBe(404);
  });

  it('lets a member change only their own password; admin-only attributes are 403, unknown ones 400, a taken name 409', async () => {
    const name = randomName('u');
    const created = await admin.request('POST', '/identity/v3/users', { user: { name, password: 'first-secret', default_project_id: demo.projectId } });
    const id = created.body.user.id;
    const member = (await admin.request('GET', '/identity/v3/roles?name=member')).body.roles[0];
    await admin.request('PUT', `/identity/v3/projects/${demo.projectId}/users/${id}/roles/${member.id}`);
    const login = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { id, password: 'first-secret' } } }, scope: { project: { id: demo.projectId } } },
    });
    const headers = { 'X-Auth-Token': login.headers.get('x-subject-token')! };
    const altProject = (await h.login('alt_demo')).projectId;
    const steal = await h.request('PATCH', `/identity/v3/users/${id}`, { user: { default_project_id: altProject } }, headers);
    expect(steal.status).toBe(403);
    expect(steal.body.error.message).toContain('identity:update_user');
    const domain = await h.request('PATCH', `/identity/v3/users/${id}`, { user: { domain_id: 'other' } }, headers);
    expect(domain.status).toBe(400);
    const unknown = await admin.request('PATCH', `/identity/v3/users/${id}`, { user: { favourite_colour: 'blue' } });
    expect(unknown.status).toBe(400);
    const taken = await admin.request('PATCH', `/identity/v3/users/${id}`, { user: { name: 'demo' } });
    expect(taken.status).toBe(409);
    const other = await h.request('PATCH', `/identity/v3/users/${demo.userId}`, { user: { password: 'x' } }, headers);
    expect(other.status).toBe(403);
    const own = await h.request('PATCH', `/identity/v3/users/${id}`, { user: { password: 'second-secret' } }, headers);
    expect(own.status).toBe(200);
    const relogin = await h.request('POST', '/identity/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { id, password: 'second-secret' } } } },
    });
    expect(relogin.status).toBe(201);
  });
});
