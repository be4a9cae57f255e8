import { MetadefGuard } from '../../../src/image/metadef-guard';
import { metadefCatalog } from '../../../src/image/metadef-catalog';
import { METADEF_SCHEMAS } from '../../../src/image/metadef-schemas';
import { namespaceView, objectView, propertyListView } from '../../../src/image/metadef-views';
import type { NamespaceRecord } from '../../../src/image/metadef-types';

const t = new Date('2026-11-30T08:00:00.123Z');
const ns = (over: Partial<NamespaceRecord> = {}): NamespaceRecord => ({
  id: 1, namespace: 'N', displayName: null, description: null, visibility: 'private', protected: false, owner: 'p1', createdAt: t, updatedAt: t, ...over,
});

test("visibility: admins see all; others public, ownerless and their project's namespaces", () => {
  const seen = (who: { projectId: string | null; isAdmin: boolean }, n: NamespaceRecord) => MetadefGuard.visible(who, n);
  expect(seen({ projectId: 'p2', isAdmin: false }, ns())).toBe(false);
  expect(seen({ projectId: 'p1', isAdmin: false }, ns())).toBe(true);
  expect(seen({ projectId: 'p2', isAdmin: false }, ns({ visibility: 'public' }))).toBe(true);
  expect(seen({ projectId: 'p2', isAdmin: false }, ns({ owner: null }))).toBe(true);
  expect(seen({ projectId: null, isAdmin: false }, ns())).toBe(false);
  expect(seen({ projectId: 'p2', isAdmin: true }, ns())).toBe(true);
  expect(() => MetadefGuard.requireAdmin({ projectId: 'p1', isAdmin: false }, 'add_metadef_tag')).toThrow('You are not authorized to complete add_metadef_tag action.');
});

test('views leave out what is unset, as wsme does, and use Glance times and links', () => {
  expect(namespaceView({ namespace: ns(), associations: [], properties: {}, objects: [], tags: [] })).toEqual({
    namespace: 'N', visibility: 'private', protected: false, owner: 'p1', created_at: '2026-11-30T08:00:00Z', updated_at: '2026-11-30T08:00:00Z',
    schema: '/v2/schemas/metadefs/namespace', self: '/v2/metadefs/namespaces/N',
  });
  const o = { id: 1, name: 'CPU Limits', description: null, required: null, properties: { a: { title: 'A', type: 'string' } }, createdAt: t, updatedAt: t };
  expect(objectView('N', o)).toEqual({
    name: 'CPU Limits', properties: { a: { title: 'A', type: 'string' } }, created_at: '2026-11-30T08:00:00Z', updated_at: '2026-11-30T08:00:00Z',
    schema: '/v2/schemas/metadefs/object', self: '/v2/metadefs/namespaces/N/objects/CPU Limits',
  });
  expect(propertyListView([{ id: 1, name: 'p', schema: { title: 'P', type: 'integer' }, createdAt: t, updatedAt: t }])).toEqual({ properties: { p: { title: 'P', type: 'integer' } } });
});

test('the schemas carry the names tempest checks; the catalog holds Glance namespaces with their prefixes', () => {
  expect(Object.fromEntries(Object.entries(METADEF_SCHEMAS).map(([k, f]) => [k, f().name]))).toEqual({
    namespace: 'namespace', namespaces: 'namespaces', object: 'object', objects: 'objects', property: 'property', properties: 'properties',
    tag: 'tag', tags: 'tags', resource_type: 'resource_type_association', resource_types: 'resource_type_associations',
  });
  const catalog = metadefCatalog();
  expect(catalog.resourceTypes.slice(0, 5)).toEqual(['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server']);
  const libvirt = catalog.namespaces.find((e) => e.namespace.namespace === 'OS::Compute::Libvirt');
  expect(libvirt?.associations).toEqual(expect.arrayContaining([{ name: 'OS::Glance::Image', prefix: 'hw_', propertiesTarget: null }]));
  expect(catalog.namespaces.every((e) => e.namespace.visibility === 'public')).toBe(true);
  for (const e of catalog.namespaces) for (const p of Object.values(e.properties)) expect(p).toEqual(expect.objectContaining({ title: expect.any(String) }));
});
