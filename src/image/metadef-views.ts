import { isoSecondsZ } from '../shared/time-format';
import { pageLinks } from './image-views';
import type {
  AssociationRecord, NamespaceDetail, NamespacePage, ObjectRecord, PropertyDefinition, PropertyRecord, ResourceTypeRecord, TagRecord,
} from './metadef-types';

/**
 * Glance's metadef JSON (wsme models): an attribute that is unset or null is left out, times
 * are ISO 8601 seconds with Z, `self` and `schema` are Glance's relative links.
 */
type Json = Record<string, unknown>;

/** Keeps the keys whose value is neither undefined nor null, as wsme's serializer does. */
function present(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

const times = (r: { createdAt: Date; updatedAt: Date }) => ({ created_at: isoSecondsZ(r.createdAt), updated_at: isoSecondsZ(r.updatedAt) });

export const namespaceHref = (namespace: string) => `/v2/metadefs/namespaces/${namespace}`;

/** A property definition as Glance shows it (its name, when given, first). */
export function propertyView(name: string | undefined, schema: PropertyDefinition): Json {
  return present({ name, ...schema });
}

/** A namespace's (or an object's) properties: name -> definition. */
function propertyMap(props: Record<string, PropertyDefinition>): Json {
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, propertyView(undefined, v)]));
}

export function propertyRecordView(p: PropertyRecord): Json {
  return propertyView(p.name, p.schema);
}

export function propertyListView(props: PropertyRecord[]): Json {
  return { properties: Object.fromEntries(props.map((p) => [p.name, propertyView(undefined, p.schema)])) };
}

export function objectView(namespace: string, o: ObjectRecord): Json {
  return present({
    name: o.name,
    description: o.description,
    required: o.required,
    properties: o.properties ? propertyMap(o.properties) : undefined,
    ...times(o),
    schema: '/v2/schemas/metadefs/object',
    self: `${namespaceHref(namespace)}/objects/${o.name}`,
  });
}

/** GET .../objects: Glance's list names its schema without the leading slash. */
export function objectListView(namespace: string, objects: ObjectRecord[]): Json {
  return { objects: objects.map((o) => objectView(namespace, o)), schema: 'v2/schemas/metadefs/objects' };
}

export function tagView(t: TagRecord): Json {
  return { name: t.name, ...times(t) };
}

/** Tag lists (and the answer to a create of many) carry names only. */
export function tagListView(tags: TagRecord[]): Json {
  return { tags: tags.map((t) => ({ name: t.name })) };
}

export function associationView(a: AssociationRecord): Json {
  return present({ name: a.name, prefix: a.prefix, properties_target: a.propertiesTarget, ...times(a) });
}

export function resourceTypeListView(types: ResourceTypeRecord[]): Json {
  return { resource_types: types.map((t) => ({ name: t.name, ...times(t) })) };
}

/** A namespace; what it holds shows only when it holds something. */
export function namespaceView(d: NamespaceDetail): Json {
  const ns = d.namespace;
  const nonEmpty = <T>(list: T[] | undefined) => (list?.length ? list : undefined);
  return present({
    namespace: ns.namespace,
    display_name: ns.displayName,
    description: ns.description,
    visibility: ns.visibility,
    protected: ns.protected,
    owner: ns.owner,
    ...times(ns),
    resource_type_associations: nonEmpty(d.associations)?.map(associationView),
    properties: d.properties && Object.keys(d.properties).length ? propertyMap(d.properties) : undefined,
    objects: nonEmpty(d.objects)?.map((o) => objectView(ns.namespace, o)),
    tags: nonEmpty(d.tags)?.map((t) => ({ name: t.name })),
    schema: '/v2/schemas/metadefs/namespace',
    self: namespaceHref(ns.namespace),
  });
}

export function namespaceListView(page: NamespacePage, query: Record<string, string | string[]>): Json {
  const { first, next } = pageLinks('/v2/metadefs/namespaces', query, page.nextMarker);
  return present({ namespaces: page.namespaces.map(namespaceView), first, schema: '/v2/schemas/metadefs/namespaces', next });
}
