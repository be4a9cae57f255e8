// Glance's metadata definitions catalog (metadefs) over HTTP on real PostgreSQL: the seeded
// catalog, admin-only writes, namespace visibility (another project's private namespace is a
// 404, a visible one a 403 to non-admins), and each resource's CRUD with Glance's errors.
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { GLANCE, randomName } from '../../../support/compute-helpers';

const MD = `${GLANCE}/metadefs`;
let h: Harness;
let admin: Session;
let demo: Session;
let alt: Session;

beforeAll(async () => {
  h = await startHarness();
  [admin, demo, alt] = await Promise.all([h.login('admin'), h.login('demo'), h.login('alt_demo')]);
});
afterAll(async () => h?.stop());

const names = (r: any) => r.body.namespaces.map((n: any) => n.namespace);

async function namespace(body: Record<string, unknown> = {}) {
  const name = randomName('ns');
  const res = await admin.request('POST', `${MD}/namespaces`, { namespace: name, visibility: 'public', ...body });
  expect(res.status).toBe(201);
  return name;
}

test('the seeded catalog: public, owned by admin, with its resource types and prefixes', async () => {
  const list = await demo.request('GET', `${MD}/namespaces?limit=100`);
  expect(list.status).toBe(200);
  expect(list.body.schema).toBe('/v2/schemas/metadefs/namespaces');
  expect(names(list)).toEqual(expect.arrayContaining(['OS::Compute::Hypervisor', 'OS::Compute::Libvirt', 'OS::Glance::CommonImageProperties', 'OS::Compute::Quota']));
  const hypervisor = list.body.namespaces.find((n: any) => n.namespace === 'OS::Compute::Hypervisor');
  expect(hypervisor).toMatchObject({
    visibility: 'public', protected: true, owner: 'admin', display_name: 'Hypervisor Selection',
    self: '/v2/metadefs/namespaces/OS::Compute::Hypervisor', schema: '/v2/schemas/metadefs/namespace',
    resource_type_associations: [{ name: 'OS::Glance::Image' }],
  });
  expect(hypervisor.properties).toBeUndefined(); // lists carry no content

  const types = await demo.request('GET', `${MD}/resource_types`);
  expect(types.status).toBe(200);
  expect(types.body.resource_types.map((t: any) => t.name)).toEqual(expect.arrayContaining(['OS::Glance::Image', 'OS::Nova::Flavor', 'OS::Cinder::Volume']));
  expect(types.body.resource_types[0]).toEqual({ name: expect.any(String), created_at: expect.stringMatching(/Z$/), updated_at: expect.stringMatching(/Z$/) });

  const libvirt = await demo.request('GET', `${MD}/namespaces/OS::Compute::Libvirt`);
  expect(libvirt.status).toBe(200);
  expect(Object.keys(libvirt.body.properties)).toContain('boot_menu');
  const forImages = await demo.request('GET', `${MD}/namespaces/OS::Compute::Libvirt?resource_type=OS::Glance::Image`);
  expect(Object.keys(forImages.body.properties)).toContain('hw_boot_menu');
  const forFlavors = await demo.request('GET', `${MD}/namespaces/OS::Compute::Libvirt?resource_type=OS::Nova::Flavor`);
  expect(Object.keys(forFlavors.body.properties)).toContain('hw:boot_menu');
  const prop = await demo.request('GET', `${MD}/namespaces/OS::Compute::Libvirt/properties/hw_boot_menu?resource_type=OS::Glance::Image`);
  expect(prop.status).toBe(200);
  expect(prop.body).toMatchObject({ name: 'boot_menu', type: 'string' });
  const unprefixed = await demo.request('GET', `${MD}/namespaces/OS::Compute::Libvirt/properties/boot_menu?resource_type=OS::Glance::Image`);
  expect(unprefixed.status).toBe(404);
  expect(unprefixed.body.message).toBe("Property boot_menu does not start with the expected resource type association prefix of 'hw_'.");

  const quota = await demo.request('GET', `${MD}/namespaces/OS::Compute::Quota/objects`);
  expect(quota.body.objects.map((o: any) => o.name)).toContain('CPU Limits');
  const cpu = await demo.request('GET', `${MD}/namespaces/OS::Compute::Quota/objects/CPU%20Limits`);
  expect(cpu.status).toBe(200);
  expect(cpu.body.self).toBe('/v2/metadefs/namespaces/OS::Compute::Quota/objects/CPU Limits');
  expect(cpu.body.properties['quota:cpu_period']).toMatchObject({ type: 'integer', minimum: 1000 });
});

test('a namespace with its content in one create; protected until updated; gone with everything in it', async () => {
  const name = randomName('ns');
  const created = await admin.request('POST', `${MD}/namespaces`, {
    namespace: name, display_name: 'Tempest', description: 'd', visibility: 'public', protected: true,
    resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'x_' }],
    properties: { speed: { title: 'Speed', type: 'integer', minimum: 1 } },
    objects: [{ name: 'Obj', description: 'o', required: ['a'], properties: { a: { title: 'A', type: 'string', enum: ['p', 'q'] } } }],
    tags: [{ name: 't1' }, { name: 't2' }],
  });
  expect(created.status).toBe(201);
  expect(created.headers.get('location')).toMatch(new RegExp(`/image/v2/metadefs/namespaces/${name}$`));
  expect(created.body).toMatchObject({ namespace: name, display_name: 'Tempest', visibility: 'public', protected: true, owner: admin.projectId, tags: [{ name: 't1' }, { name: 't2' }] });

  const shown = await demo.request('GET', `${MD}/namespaces/${name}?resource_type=OS::Glance::Image`);
  expect(shown.body.properties).toEqual({ x_speed: { title: 'Speed', type: 'integer', minimum: 1 } });
  expect(shown.body.objects[0]).toMatchObject({ name: 'Obj', required: ['x_a'], properties: { x_a: { title: 'A', type: 'string', enum: ['p', 'q'] } } });
  expect(shown.body.resource_type_associations).toEqual([expect.objectContaining({ name: 'OS::Glance::Image', prefix: 'x_' })]);

  const dup = await admin.request('POST', `${MD}/namespaces`, { namespace: name });
  expect(dup.status).toBe(409);
  expect(dup.body).toEqual({ code: '409 Conflict', title: 'Conflict', message: `The metadata definition namespace=${name} already exists.` });

  const protectedDelete = await admin.request('DELETE', `${MD}/namespaces/${name}`);
  expect(protectedDelete.status).toBe(403);
  expect(protectedDelete.body.message).toBe(`Metadata definition namespace ${name} is protected and cannot be deleted.`);
  expect((await admin.request('DELETE', `${MD}/namespaces/${name}/tags`)).status).toBe(403);

  // glanceclient's update sends the namespace back as shown, its embedded lists with their times.
  const { self: _self, schema: _schema, created_at: _c, updated_at: _u, ...asShown } = (await admin.request('GET', `${MD}/namespaces/${name}`)).body;
  const resent = await admin.request('PUT', `${MD}/namespaces/${name}`, { ...asShown, display_name: 'Again' });
  expect([resent.status, resent.body.display_name, resent.body.protected]).toEqual([200, 'Again', true]);

  const updated = await admin.request('PUT', `${MD}/namespaces/${name}`, { namespace: name, description: 'Tempest', visibility: 'private', protected: false });
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({ namespace: name, visibility: 'private', protected: false, description: 'Tempest' });
  expect(updated.body.display_name).toBeUndefined(); // left out: cleared, as Glance does

  expect((await admin.request('DELETE', `${MD}/namespaces/${name}`)).status).toBe(204);
  const gone = await admin.request('GET', `${MD}/namespaces/${name}`);
  expect(gone.status).toBe(404);
  expect(gone.body.message).toBe(`Metadata definition namespace=${name} was not found.`);
  expect((await admin.request('GET', `${MD}/namespaces/${name}/objects/Obj`)).status).toBe(404);
});

test("another project's private namespace is invisible (404, writes too); its own project reads it; non-admin writes are 403", async () => {
  const name = await namespace({ visibility: 'private', owner: alt.projectId });
  const other = (method: string, p = '', body?: unknown) => demo.request(method, `${MD}/namespaces/${name}${p}`, body);

  expect(names(await demo.request('GET', `${MD}/namespaces?limit=1000`))).not.toContain(name);
  expect(names(await alt.request('GET', `${MD}/namespaces?limit=1000`))).toContain(name);
  expect(names(await admin.request('GET', `${MD}/namespaces?limit=1000&visibility=private`))).toContain(name);
  for (const [method, p, body] of [
    ['GET', ''], ['GET', '/objects'], ['GET', '/properties'], ['GET', '/tags'], ['GET', '/resource_types'],
    ['PUT', '', { namespace: name }], ['DELETE', ''], ['POST', '/objects', { name: 'o' }], ['POST', '/tags/t'], ['DELETE', '/tags'],
    ['POST', '/resource_types', { name: 'OS::Glance::Image' }],
  ] as Array<[string, string, unknown?]>) {
    const res = await other(method, p, body);
    expect([method, p, res.status]).toEqual([method, p, 404]);
  }

  expect((await alt.request('GET', `${MD}/namespaces/${name}`)).status).toBe(200);
  const denied = await alt.request('POST', `${MD}/namespaces/${name}/objects`, { name: 'o' });
  expect(denied.status).toBe(403);
  expect(denied.body.message).toBe('You are not authorized to complete add_metadef_object action.');
  expect((await alt.request('DELETE', `${MD}/namespaces/${name}`)).status).toBe(403);

  // A public namespace: every project reads it, no non-admin writes it.
  const pub = await namespace();
  expect((await demo.request('GET', `${MD}/namespaces/${pub}`)).status).toBe(200);
  const put = await demo.request('PUT', `${MD}/namespaces/${pub}`, { namespace: pub });
  expect(put.status).toBe(403);
  expect(put.body.message).toBe('You are not authorized to complete modify_metadef_namespace action.');
  const create = await demo.request('POST', `${MD}/namespaces`, { namespace: randomName('ns') });
  expect(create.status).toBe(403);
  expect(create.body.message).toBe('You are not authorized to complete add_metadef_namespace action.');
});

test('objects, properties, tags and resource type associations: CRUD and conflicts', async () => {
  const ns = await namespace();
  const at = (p: string) => `${MD}/namespaces/${ns}${p}`;

  // objects
  const obj = await admin.request('POST', at('/objects'), { name: 'o1', description: 'd', properties: { p: { title: 'P', type: 'boolean' } } });
  expect(obj.status).toBe(201);
  expect(obj.body).toMatchObject({ name: 'o1', schema: '/v2/schemas/metadefs/object', self: `/v2/metadefs/namespaces/${ns}/objects/o1` });
  expect((await admin.request('POST', at('/objects'), { name: 'o1' })).body.message).toBe(`A metadata definition object with name=o1 already exists in namespace=${ns}.`);
  const renamed = await admin.request('PUT', at('/objects/o1'), { name: 'o2' });
  expect(renamed.status).toBe(200);
  expect(renamed.body.name).toBe('o2');
  expect(renamed.body.properties).toBeUndefined();
  expect((await admin.request('POST', at('/objects'), { name: 'o1', self: 'x' })).status).toBe(403);
  const objects = await demo.request('GET', at('/objects'));
  expect(objects.body).toMatchObject({ schema: 'v2/schemas/metadefs/objects', objects: [{ name: 'o2' }] });
  expect((await admin.request('DELETE', at('/objects/o2'))).status).toBe(204);
  const missing = await admin.request('GET', at('/objects/o2'));
  expect(missing.status).toBe(404);
  expect(missing.body.message).toBe(`The metadata definition object with name=o2 was not found in namespace=${ns}.`);

  // properties
  const prop = await admin.request('POST', at('/properties'), { name: 'hypervisor', title: 'H', type: 'string', enum: ['kvm', 'qemu'] });
  expect(prop.status).toBe(201);
  expect(prop.body).toEqual({ name: 'hypervisor', title: 'H', type: 'string', enum: ['kvm', 'qemu'] });
  expect((await admin.request('POST', at('/properties'), { name: 'hypervisor', title: 'H', type: 'string' })).status).toBe(409);
  expect((await admin.request('POST', at('/properties'), { name: 'x', type: 'string' })).status).toBe(400); // title is required
  const upd = await admin.request('PUT', at('/properties/hypervisor'), { name: 'hypervisor', title: 'H2', type: 'string' });
  expect(upd.body).toEqual({ name: 'hypervisor', title: 'H2', type: 'string' });
  expect((await demo.request('GET', at('/properties'))).body).toEqual({ properties: { hypervisor: { title: 'H2', type: 'string' } } });
  expect((await admin.request('DELETE', at('/properties/hypervisor'))).status).toBe(204);
  expect((await admin.request('DELETE', at('/properties/hypervisor'))).status).toBe(404);

  // tags
  const made = await admin.request('POST', at('/tags'), { tags: [{ name: 'a' }, { name: 'b' }] });
  expect(made.status).toBe(201);
  expect(made.body).toEqual({ tags: [{ name: 'a' }, { name: 'b' }] });
  expect((await admin.request('POST', at('/tags'), { tags: [{ name: 'c' }] }, { 'X-Openstack-Append': 'True' })).status).toBe(201);
  expect((await demo.request('GET', at('/tags?sort_dir=asc'))).body.tags.map((t: any) => t.name)).toEqual(['a', 'b', 'c']);
  expect((await demo.request('GET', at('/tags?sort_dir=asc&sort_key=name&limit=1&marker=a'))).body.tags.map((t: any) => t.name)).toEqual(['b']);
  expect((await admin.request('POST', at('/tags'), { tags: [{ name: 'x' }, { name: 'x' }] })).status).toBe(409);
  const appended = await admin.request('POST', at('/tags'), { tags: [{ name: 'y' }, { name: 'b' }] }, { 'X-Openstack-Append': 'true' });
  expect([appended.status, appended.body.message]).toEqual([409, `A metadata tag with name=b already exists in namespace=${ns}. (Please note that metadata tag names are case insensitive).`]);
  const one = await admin.request('POST', at('/tags/d'));
  expect(one.status).toBe(201);
  expect(one.body).toEqual({ name: 'd', created_at: expect.any(String), updated_at: expect.any(String) });
  expect((await admin.request('POST', at('/tags/d'))).status).toBe(409);
  expect((await admin.request('PUT', at('/tags/d'), { name: 'e' })).body.name).toBe('e');
  expect((await demo.request('GET', at('/tags/e'))).status).toBe(200);
  expect((await admin.request('DELETE', at('/tags/e'))).status).toBe(204);
  expect((await admin.request('POST', at('/tags'), { tags: [{ name: 'z' }] })).body.tags).toEqual([{ name: 'z' }]); // replaces
  expect((await admin.request('POST', at('/tags'), { tags: [] })).body.tags).toEqual([]); // an empty list changes nothing
  expect((await demo.request('GET', at('/tags'))).body.tags).toEqual([{ name: 'z' }]);
  expect((await admin.request('DELETE', at('/tags'))).status).toBe(204);
  expect((await demo.request('GET', at('/tags'))).body).toEqual({ tags: [] });

  // resource type associations
  const assoc = await admin.request('POST', at('/resource_types'), { name: 'OS::Nova::Flavor', prefix: 'hw:' });
  expect(assoc.status).toBe(201);
  expect(assoc.body).toMatchObject({ name: 'OS::Nova::Flavor', prefix: 'hw:' });
  const again = await admin.request('POST', at('/resource_types'), { name: 'OS::Nova::Flavor' });
  expect(again.status).toBe(409);
  expect(again.body.message).toBe(`The metadata definition resource-type association of resource-type=OS::Nova::Flavor to namespace=${ns} already exists.`);
  expect((await admin.request('POST', at('/resource_types'), { name: 'Custom::Type' })).status).toBe(201);
  expect((await demo.request('GET', `${MD}/resource_types`)).body.resource_types.map((t: any) => t.name)).toContain('Custom::Type');
  expect(names(await demo.request('GET', `${MD}/namespaces?resource_types=Custom::Type`))).toEqual([ns]);
  expect((await demo.request('GET', at('/resource_types'))).body.resource_type_associations.map((a: any) => a.name)).toEqual(['OS::Nova::Flavor', 'Custom::Type']);
  expect((await admin.request('DELETE', at('/resource_types/OS::Nova::Flavor'))).status).toBe(204);
  const notThere = await admin.request('DELETE', at('/resource_types/OS::Nova::Flavor'));
  expect(notThere.status).toBe(404);
  expect(notThere.body.message).toBe('Failed to find resource type OS::Nova::Flavor to delete');
});

test('unicode and spaces in namespace, object and tag names (the Location header percent-encodes)', async () => {
  const name = `ns ünï ${randomName('x')} ✓`;
  const made = await admin.request('POST', `${MD}/namespaces`, { namespace: name, visibility: 'public' });
  expect(made.status).toBe(201);
  expect(made.headers.get('location')).toContain(`/image/v2/metadefs/namespaces/${encodeURIComponent(name)}`);
  const at = `${MD}/namespaces/${encodeURIComponent(name)}`;
  expect((await demo.request('GET', at)).body.namespace).toBe(name);
  expect((await admin.request('POST', `${at}/objects`, { name: 'öbj ✓' })).body.self).toBe(`/v2/metadefs/namespaces/${name}/objects/öbj ✓`);
  expect((await demo.request('GET', `${at}/objects/${encodeURIComponent('öbj ✓')}`)).status).toBe(200);
  expect((await admin.request('POST', `${at}/tags/${encodeURIComponent('täg ✓')}`)).body.name).toBe('täg ✓');
  expect((await admin.request('DELETE', at)).status).toBe(204);
});

test('list filters, paging and bad input answered as Glance does', async () => {
  const mine = [await namespace({ resource_type_associations: [{ name: 'Paging::Type' }] }), await namespace({ resource_type_associations: [{ name: 'Paging::Type' }] }), await namespace({ resource_type_associations: [{ name: 'Paging::Type' }] })];
  const q = 'resource_types=Paging::Type&sort_key=namespace&sort_dir=asc';
  const first = await demo.request('GET', `${MD}/namespaces?${q}&limit=2`);
  expect(names(first)).toEqual([...mine].sort().slice(0, 2));
  expect(first.body.first).toBe(`/v2/metadefs/namespaces?${q.replace(/:/g, '%3A')}&limit=2`);
  expect(first.body.next).toContain(`marker=${encodeURIComponent(names(first)[1])}`);
  const second = await demo.request('GET', `/image${first.body.next}`);
  expect(names(second)).toEqual([...mine].sort().slice(2));
  expect(second.body.next).toBeUndefined();

  // Horizon's "Update Metadata" list: resource types and a properties_target Glance ignores.
  expect(names(await demo.request('GET', `${MD}/namespaces?resource_types=OS::Cinder::Volume,Paging::Type&properties_target=image&limit=1000`))).toEqual(expect.arrayContaining([...mine, 'OS::OperatingSystem']));

  const bad = async (query: string, message: string) => {
    const res = await demo.request('GET', `${MD}/namespaces?${query}`);
    expect([query, res.status, res.body.message]).toEqual([query, 400, message]);
  };
  await bad('visibility=shared', 'Invalid visibility value: shared');
  await bad('sort_dir=up', 'Invalid sort direction: up');
  await bad('limit=x', 'limit param must be an integer');
  await bad('limit=-1', 'limit param must be positive');
  expect((await demo.request('GET', `${MD}/namespaces?marker=nope`)).status).toBe(404);
  expect((await admin.request('POST', `${MD}/namespaces`, { namespace: randomName('ns'), created_at: 'x' })).status).toBe(403);
  expect((await admin.request('POST', `${MD}/namespaces`, { namespace: randomName('ns'), visibility: 'shared' })).status).toBe(400);
  expect((await admin.request('POST', `${MD}/namespaces`, { namespace: 'n'.repeat(81) })).status).toBe(400);
  const longKey = await admin.request('POST', `${MD}/namespaces`, { namespace: randomName('ns'), properties: { ['k'.repeat(3000)]: { title: 'T', type: 'string' } } });
  expect(longKey.status).toBe(400);
});

test('the schemas tempest fetches, named as Glance names them', async () => {
  const expected: Record<string, string> = {
    namespace: 'namespace', namespaces: 'namespaces', object: 'object', objects: 'objects', property: 'property', properties: 'properties',
    tag: 'tag', tags: 'tags', resource_type: 'resource_type_association', resource_types: 'resource_type_associations',
  };
  for (const [path, name] of Object.entries(expected)) {
    const res = await demo.request('GET', `${GLANCE}/schemas/metadefs/${path}`);
    expect([path, res.status, res.body.name]).toEqual([path, 200, name]);
  }
});

test('the catalog\'s seed mark is the seeding transaction\'s own time, the seeded namespaces\' creation time', async () => {
  // A clock reading in milliseconds was older than namespaces seeded within that millisecond: a reset counted them as made since.
  const { rows } = await h.app.db.raw(`select s.value = (select min(created_at)::text from metadef_namespaces where owner = 'admin') as exact
    from settings as s where s.key = 'metadef.seeded'`);
  expect(rows).toEqual([{ exact: true }]);
});

test('reset brings the seeded catalog back and removes what was made since', async () => {
  const made = await namespace();
  await admin.request('PUT', `${MD}/namespaces/OS::Compute::Watchdog`, { namespace: 'OS::Compute::Watchdog', visibility: 'public', protected: false });
  expect((await admin.request('DELETE', `${MD}/namespaces/OS::Compute::Watchdog`)).status).toBe(204);
  const reset = await admin.request('POST', '/snapstack/v1/reset');
  expect(reset.status).toBe(200);
  expect(reset.body.reset.rows).toMatchObject({ metadef_namespaces: expect.any(Number) });
  const again = await h.login('admin');
  expect((await again.request('GET', `${MD}/namespaces/${made}`)).status).toBe(404);
  const watchdog = await again.request('GET', `${MD}/namespaces/OS::Compute::Watchdog`);
  expect(watchdog.status).toBe(200);
  expect(watchdog.body).toMatchObject({ protected: true, owner: 'admin', properties: { watchdog_action: expect.any(Object) } });

  // Untouched since: the next reset leaves the catalog as it is.
  const quiet = await again.request('POST', '/snapstack/v1/reset');
  expect(quiet.body.reset.rows.metadef_namespaces).toBeUndefined();
  const after = await (await h.login('demo')).request('GET', `${MD}/namespaces/OS::Compute::Watchdog`);
  expect([after.status, after.body.created_at]).toEqual([200, watchdog.body.created_at]);
});
