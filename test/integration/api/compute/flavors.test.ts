import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { COMPUTE, mv, randomName } from '../../../support/compute-helpers';

let h: Harness;
let demo: Session;
let admin: Session;

beforeAll(async () => {
  h = await startHarness();
  [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
});
afterAll(async () => h?.stop());

test('DevStack defaults plus the zero-disk flavor, detail fields at 2.1', async () => {
  const res = await demo.request('GET', `${COMPUTE}/flavors/detail`);
  expect(res.status).toBe(200);
  expect(res.headers.get('openstack-api-version')).toBe('compute 2.1');
  const byName = Object.fromEntries(res.body.flavors.map((f: any) => [f.name, f]));
  expect(byName['m1.tiny']).toMatchObject({ id: '1', ram: 512, disk: 1, vcpus: 1, swap: '', 'OS-FLV-EXT-DATA:ephemeral': 0, 'os-flavor-access:is_public': true, 'OS-FLV-DISABLED:disabled': false, rxtx_factor: 1 });
  expect(byName['m1.small']).toMatchObject({ id: '2', ram: 2048, disk: 20, vcpus: 1 });
  expect(byName['m1.medium']).toMatchObject({ id: '3', ram: 4096, disk: 40, vcpus: 2 });
  expect(byName['m1.large']).toMatchObject({ id: '4', ram: 8192, disk: 80, vcpus: 4 });
  expect(byName['m1.xlarge']).toMatchObject({ id: '5', ram: 16384, disk: 160, vcpus: 8 });
  expect(byName['m1.zero']).toMatchObject({ id: '0', disk: 0 });
  expect(byName['m1.tiny']).not.toHaveProperty('description');
  expect(byName['m1.tiny']).not.toHaveProperty('extra_specs');
  expect(byName['m1.tiny'].links).toEqual([
    { rel: 'self', href: `${h.url}/compute/v2.1/flavors/1` },
    { rel: 'bookmark', href: `${h.url}/compute/flavors/1` },
  ]);
  const summary = await demo.request('GET', `${COMPUTE}/flavors`);
  expect(Object.keys(summary.body.flavors[0]).sort()).toEqual(['id', 'links', 'name']);
});

test('microversion shapes: description 2.55, extra_specs 2.61, swap 0 from 2.75', async () => {
  const at61 = (await demo.request('GET', `${COMPUTE}/flavors/1`, undefined, mv('2.61'))).body.flavor;
  expect(at61).toMatchObject({ description: null, extra_specs: {}, swap: '' });
  const at75 = (await demo.request('GET', `${COMPUTE}/flavors/1`, undefined, mv('2.75'))).body.flavor;
  expect(at75.swap).toBe(0);
  const summary = await demo.request('GET', `${COMPUTE}/flavors`, undefined, mv('2.55'));
  expect(summary.body.flavors[0]).toHaveProperty('description');
});

test('filters, sort, limit/marker with flavors_links, is_public', async () => {
  const big = await demo.request('GET', `${COMPUTE}/flavors/detail?minDisk=40&minRam=4096`);
  expect(big.body.flavors.map((f: any) => f.name).sort()).toEqual(['m1.large', 'm1.medium', 'm1.xlarge']);
  expect((await demo.request('GET', `${COMPUTE}/flavors?minDisk=x`)).status).toBe(400);
  const page = await demo.request('GET', `${COMPUTE}/flavors?limit=2`);
  expect(page.body.flavors.map((f: any) => f.id)).toEqual(['0', '1']);
  expect(page.body.flavors_links[0]).toMatchObject({ rel: 'next' });
  expect(page.body.flavors_links[0].href).toContain('marker=1');
  const next = await demo.request('GET', `${COMPUTE}/flavors?limit=2&marker=1`);
  expect(next.body.flavors.map((f: any) => f.id)).toEqual(['2', '3']);
  expect((await demo.request('GET', `${COMPUTE}/flavors?marker=nope`)).status).toBe(400);
  // novaclient sends the literal is_public=None, the SDK is_public=True: both fine.
  expect((await demo.request('GET', `${COMPUTE}/flavors/detail?is_public=None`)).status).toBe(200);
  expect((await demo.request('GET', `${COMPUTE}/flavors/detail?is_public=True`)).status).toBe(200);
  const bad = await admin.request('GET', `${COMPUTE}/flavors?is_public=maybe`);
  expect(bad.status).toBe(400);
  expect(bad.body).toEqual({ badRequest: { code: 400, message: 'Invalid is_public filter [maybe]' } });
});

test('show 404, os-extra_specs', async () => {
  const missing = await demo.request('GET', `${COMPUTE}/flavors/m1.tiny`);
  expect(missing.status).toBe(404);
  expect(missing.body).toEqual({ itemNotFound: { code: 404, message: 'Flavor m1.tiny could not be found.' } });
  const specs = await demo.request('GET', `${COMPUTE}/flavors/1/os-extra_specs`);
  expect(specs.status).toBe(200);
  expect(specs.body).toEqual({ extra_specs: {} });
});

test('admin creates and deletes flavors; others get 403; private flavors hidden from non-admins', async () => {
  const name = randomName('flv');
  const body = { flavor: { name, ram: 256, vcpus: 1, disk: 2, 'os-flavor-access:is_public': false } };
  const denied = await demo.request('POST', `${COMPUTE}/flavors`, body);
  expect(denied.status).toBe(403);
  expect(denied.body.forbidden.code).toBe(403);
  const created = await admin.request('POST', `${COMPUTE}/flavors`, body);
  expect(created.status).toBe(200);
  const id = created.body.flavor.id;
  expect(created.body.flavor).toMatchObject({ name, ram: 256, vcpus: 1, disk: 2, 'os-flavor-access:is_public': false });
  expect((await admin.request('POST', `${COMPUTE}/flavors`, body)).status).toBe(409);
  expect((await demo.request('GET', `${COMPUTE}/flavors/${id}`)).status).toBe(404);
  expect((await demo.request('GET', `${COMPUTE}/flavors`)).body.flavors.map((f: any) => f.id)).not.toContain(id);
  expect((await admin.request('GET', `${COMPUTE}/flavors?is_public=false`)).body.flavors.map((f: any) => f.id)).toContain(id);
  expect((await admin.request('GET', `${COMPUTE}/flavors?is_public=none`)).body.flavors.map((f: any) => f.id)).toContain(id);
  expect((await demo.request('DELETE', `${COMPUTE}/flavors/${id}`)).status).toBe(403);
  expect((await admin.request('DELETE', `${COMPUTE}/flavors/${id}`)).status).toBe(202);
  expect((await admin.request('GET', `${COMPUTE}/flavors/${id}`)).status).toBe(404);
  expect((await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { name: 'x' } })).status).toBe(400);
});
