import { startHarness, Harness, Session } from '../../../support/snapstack-harness';

describe('HTTP plumbing shared by every service', () => {
  let h: Harness;
  let demo: Session;
  beforeAll(async () => {
    h = await startHarness();
    demo = await h.login('demo');
  });
  afterAll(async () => { await h.stop(); });

  it('answers 401 without a token, in each service\'s own error shape', async () => {
    const nova = await h.request('GET', '/compute/v2.1/flavors');
    const cinder = await h.request('GET', `/volume/v3/${demo.projectId}/volumes`);
    const glance = await h.request('GET', '/image/v2/images');
    const keystone = await h.request('GET', '/identity/v3/projects');
    for (const r of [nova, cinder, glance, keystone]) expect(r.status).toBe(401);
    expect(nova.body).toEqual({ unauthorized: { code: 401, message: expect.any(String) } });
    expect(cinder.body).toEqual({ unauthorized: { code: 401, message: expect.any(String) } });
    expect(glance.body).toMatchObject({ code: '401 Unauthorized', title: 'Unauthorized' });
    expect(keystone.body.error.code).toBe(401);
    const bogus = await h.request('GET', '/compute/v2.1/flavors', undefined, { 'X-Auth-Token': 'not-a-token' });
    expect(bogus.status).toBe(401);
  });

  it('serves the version documents OSC and the SDK discover, without a token', async () => {
    const compute = await h.request('GET', '/compute');
    expect(compute.status).toBe(200);
    expect(compute.body.versions.map((v: any) => v.id)).toEqual(['v2.0', 'v2.1']);
    expect(compute.body.versions[0]).toMatchObject({ status: 'SUPPORTED', version: '', min_version: '' });
    expect(compute.body.versions[1]).toMatchObject({ id: 'v2.1', status: 'CURRENT', min_version: '2.1', version: '2.93' });
    for (const p of ['/compute/v2.1', '/compute/v2.1/']) {
      const v = await h.request('GET', p);
      expect(v.body.version.links[0]).toEqual({ rel: 'self', href: `${h.url}/compute/v2.1/` });
    }
    const volumeRoot = await h.request('GET', '/volume');
    expect(volumeRoot.status).toBe(300);
    const volume = await h.request('GET', '/volume/v3/');
    expect(volume.status).toBe(200);
    expect(volume.body.versions[0]).toMatchObject({ id: 'v3.0', min_version: '3.0', version: '3.60' });
    expect(volume.body.versions[0].links).toContainEqual({ rel: 'self', href: `${h.url}/volume/v3/` });
    const imageRoot = await h.request('GET', '/image');
    expect(imageRoot.status).toBe(300);
    const images = await h.request('GET', '/image/versions');
    expect(images.status).toBe(200);
    expect(images.body.versions[0]).toMatchObject({ id: 'v2.17', status: 'CURRENT', links: [{ rel: 'self', href: `${h.url}/image/v2/` }] });
  });

  it('negotiates and echoes microversions, and refuses unsupported ones with 406', async () => {
    const ok = await h.request('GET', '/compute/v2.1/', undefined, { 'OpenStack-API-Version': 'compute 2.47' });
    expect(ok.headers.get('openstack-api-version')).toBe('compute 2.47');
    expect(ok.headers.get('x-openstack-nova-api-version')).toBe('2.47');
    expect(ok.headers.get('vary')).toContain('OpenStack-API-Version');
    const bad = await h.request('GET', '/compute/v2.1/', undefined, { 'X-OpenStack-Nova-API-Version': '2.200' });
    expect(bad.status).toBe(406);
    expect(bad.body).toEqual({ computeFault: { code: 406, message: 'Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.93.' } });
    const vol = await demo.request('GET', '/volume/v3/', undefined, { 'OpenStack-API-Version': 'volume 3.99' });
    expect(vol.status).toBe(406);
    // The unversioned roots ignore microversion headers, as cinderclient's discovery needs.
    for (const [p, hdr] of [['/volume/', 'volume 3.70'], ['/compute/', 'compute 2.200']]) {
      const root = await h.request('GET', p, undefined, { 'OpenStack-API-Version': hdr });
      expect(root.status).toBe(p === '/volume/' ? 300 : 200);
      expect(root.headers.get('openstack-api-version')).toBeNull();
    }
    const plain = await h.request('GET', '/compute/v2.1/');
    expect(plain.headers.get('openstack-api-version')).toBe('compute 2.1');
  });

  it('gives every response a request id', async () => {
    const res = await h.request('GET', '/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/);
    const ok = await h.request('GET', '/identity/v3');
    expect(ok.headers.get('x-openstack-request-id')).toMatch(/^req-/);
  });

  it('answers unknown paths 404 and wrong methods 405 in the service shape', async () => {
    const unknown = await demo.request('GET', '/compute/v2.1/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.itemNotFound.code).toBe(404);
    const method = await demo.request('PATCH', '/identity/v3/auth/tokens');
    expect(method.status).toBe(405);
    expect(method.body.error.code).toBe(405);
  });

  it('routes as express mounts and routes did: mount case, literal before parameter, HEAD by GET, Cinder\'s 404 for a wrong method', async () => {
    // A mount path matches in any case (express's mounts are case-insensitive); what follows it does not.
    expect((await demo.request('GET', '/COMPUTE/v2.1/flavors')).status).toBe(200);
    expect((await demo.request('GET', '/compute/V2.1/flavors')).status).toBe(404);
    // A look-alike of a mount is no service: Snapstack's own 404.
    const lookalike = await demo.request('GET', '/computex/v2.1/flavors');
    expect(lookalike.status).toBe(404);
    expect(lookalike.body.itemNotFound).toBeUndefined();
    // /volumes/detail is the detailed list, not a volume named "detail".
    const detail = await demo.request('GET', `/volume/v3/${demo.projectId}/volumes/detail`);
    expect(detail.status).toBe(200);
    expect(Array.isArray(detail.body.volumes)).toBe(true);
    // HEAD is answered by the path's GET; a path without the method: Nova 405, Cinder 404.
    expect((await demo.request('HEAD', '/compute/v2.1/flavors')).status).toBe(200);
    expect((await demo.request('DELETE', '/compute/v2.1/flavors/detail')).status).toBe(405);
    expect((await demo.request('PATCH', `/volume/v3/${demo.projectId}/volumes`)).status).toBe(404);
    // A parameter that does not decode: 400 in the service's shape.
    const undecodable = await demo.request('GET', '/compute/v2.1/servers/%E0%A4%A');
    expect(undecodable.status).toBe(400);
    expect(undecodable.body.badRequest.code).toBe(400);
  });

  it('answers malformed JSON with 400, never 500', async () => {
    const res = await h.request('POST', '/identity/v3/auth/tokens', '{"auth": ', { 'Content-Type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(400);
    const empty = await h.request('POST', '/identity/v3/auth/tokens', '', { 'Content-Type': 'application/json' });
    expect(empty.status).toBe(400);
    const wrongShape = await h.request('POST', '/identity/v3/auth/tokens', { auth: { identity: { methods: 'password' } } });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error.message).toContain('methods');
  });

  it('answers an operation in the spec that has no implementation with the service\'s notImplemented', async () => {
    const admin = await h.login('admin');
    const res = await admin.request('GET', '/identity/v3/regions');
    expect(res.status).toBe(501);
    expect(res.body.error).toMatchObject({ code: 501, title: 'Not Implemented' });
  });

  it('refuses a Cinder URL naming another project than the token\'s, as Cinder does', async () => {
    const alt = await h.login('alt_demo');
    const res = await demo.request('GET', `/volume/v3/${alt.projectId}/volumes`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message: 'Malformed request url' } });
  });

  it('reports health', async () => {
    const res = await h.request('GET', '/snapstack/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', instance_id: h.app.instanceId });
  });
});
