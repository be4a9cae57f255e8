/**
 * Glance v2 metadata definitions catalog handlers (metadefs: namespaces, objects, properties,
 * tags, resource types and their schemas); keys are openapi/image.yaml's operationIds.
 *
 * LIMITATIONS:
 * - no notifications (Glance emits metadef_* events), no metadef quotas
 *   (metadef_*_per_namespace limits of later releases);
 * - tag names are unique as given (Glance's MySQL collation compares them case-insensitively);
 * - the object list ignores marker/limit/sort (as Glance's database layer does).
 */
import type { operations, components } from '../generated/image';
import type { Handlers, RequestContext } from '../http/context';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { BadRequest, Forbidden } from '../http/faults';
import { INT_LIMIT, integerQuery } from '../http/integer-query';
import type { MetadefContentService, TagPage } from './metadef-content-service';
import type { MetadefNamespaceService } from './metadef-namespace-service';
import { METADEF_SCHEMAS } from './metadef-schemas';
import type { NamespaceInput, NamespaceListFilter, NewObject, PropertyDefinition } from './metadef-types';
import {
  associationView, namespaceHref, namespaceListView, namespaceView, objectListView, objectView, propertyListView, propertyRecordView,
  resourceTypeListView, tagListView, tagView,
} from './metadef-views';

type Schemas = components['schemas'];

export interface MetadefHandlerDeps {
  namespaces: MetadefNamespaceService;
  content: MetadefContentService;
}

/** Glance's default page (limit_param_default) and its cap (api_limit_max). */
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;

/** The attributes of Glance's PropertyType model: what a stored property definition keeps. */
const PROPERTY_KEYS = [
  'type', 'title', 'description', 'operators', 'default', 'readonly', 'minimum', 'maximum', 'enum', 'pattern', 'minLength', 'maxLength',
  'confidential', 'items', 'uniqueItems', 'minItems', 'maxItems', 'additionalItems',
];

/** Glance's deserializers refuse the read-only attributes with 403 before anything else. */
function refuseReadOnly(body: object, keys: string[]): void {
  const key = keys.find((k) => k in body);
  if (key) throw new Forbidden(`Attribute '${key}' is read-only.`);
}

const definition = (v: object): PropertyDefinition => Object.fromEntries(Object.entries(v).filter(([k]) => PROPERTY_KEYS.includes(k)));
const definitions = (m: Record<string, object> | undefined) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, definition(v)])) : undefined);

function objectInput(o: Schemas['MetadefObjectInput'] | NonNullable<Schemas['MetadefNamespaceInput']['objects']>[number]): NewObject {
  return { name: o.name, description: o.description, required: o.required, properties: definitions(o.properties) };
}

function namespaceInput(b: Schemas['MetadefNamespaceInput']): NamespaceInput {
  refuseReadOnly(b, ['self', 'schema', 'created_at', 'updated_at']);
  return {
    namespace: b.namespace, displayName: b.display_name, description: b.description, visibility: b.visibility, protected: b.protected, owner: b.owner,
    associations: b.resource_type_associations?.map((a) => ({ name: a.name, prefix: a.prefix, propertiesTarget: a.properties_target })),
    properties: definitions(b.properties),
    objects: b.objects?.map(objectInput),
    tags: b.tags?.map((t) => t.name),
  };
}

/** Glance's _validate_limit, capped at api_limit_max. */
function parseLimit(raw: string | undefined): number | undefined {
  const limit = integerQuery(raw, INT_LIMIT);
  return limit === undefined ? undefined : Math.min(limit, MAX_LIMIT);
}

function parseSortDir(raw: string | undefined): 'asc' | 'desc' {
  const dir = raw ?? 'desc';
  if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`Invalid sort direction: ${dir}`);
  return dir;
}

function parseNamespaceQuery(ctx: RequestContext): NamespaceListFilter {
  const visibility = queryString(ctx, 'visibility');
  if (visibility && visibility !== 'public' && visibility !== 'private') throw new BadRequest(`Invalid visibility value: ${visibility}`);
  const resourceTypes = queryString(ctx, 'resource_types')?.split(',').map((t) => t.trim()).filter(Boolean);
  return {
    limit: parseLimit(queryString(ctx, 'limit')) ?? DEFAULT_LIMIT,
    marker: queryString(ctx, 'marker'),
    sortKey: queryString(ctx, 'sort_key') ?? 'created_at',
    sortDir: parseSortDir(queryString(ctx, 'sort_dir')),
    visibility: visibility === 'public' || visibility === 'private' ? visibility : undefined,
    resourceTypes: resourceTypes?.length ? resourceTypes : undefined,
  };
}

function parseTagQuery(ctx: RequestContext): TagPage {
  return {
    limit: parseLimit(queryString(ctx, 'limit')),
    marker: queryString(ctx, 'marker'),
    sortKey: queryString(ctx, 'sort_key') ?? 'created_at',
    sortDir: parseSortDir(queryString(ctx, 'sort_dir')),
  };
}

/** oslo's bool_from_string, as Glance reads X-Openstack-Append. */
function truthy(v: string | string[] | undefined): boolean {
  const s = (Array.isArray(v) ? v[0] : v)?.trim().toLowerCase();
  return s !== undefined && ['1', 't', 'true', 'on', 'y', 'yes'].includes(s);
}

/** A tag name from the path, checked as Glance checks it against the tag schema. */
function tagName(name: string): string {
  if (name.length > 80) throw new BadRequest(`Provided object does not match schema 'tag': '${name}' is too long`);
  return name;
}

export function metadefHandlers({ namespaces, content }: MetadefHandlerDeps): Handlers {
  const schemaHandlers: Handlers = {};
  const schemaOps: Record<Extract<keyof operations, `showMetadef${string}Schema`>, keyof typeof METADEF_SCHEMAS> = {
    showMetadefNamespaceSchema: 'namespace', showMetadefNamespacesSchema: 'namespaces', showMetadefObjectSchema: 'object',
    showMetadefObjectsSchema: 'objects', showMetadefPropertySchema: 'property', showMetadefPropertiesSchema: 'properties',
    showMetadefTagSchema: 'tag', showMetadefTagsSchema: 'tags', showMetadefResourceTypeSchema: 'resource_type',
    showMetadefResourceTypesSchema: 'resource_types',
  };
  for (const [op, name] of Object.entries(schemaOps)) schemaHandlers[op] = async () => ({ status: 200, body: METADEF_SCHEMAS[name]() });

  return {
    ...schemaHandlers,
    ...typedHandlers<operations>({
      // --- namespaces ---
      async listMetadefNamespaces(ctx) {
        const page = await namespaces.list(requireAuth(ctx), parseNamespaceQuery(ctx));
        return { status: 200, body: namespaceListView(page, ctx.query) };
      },
      async createMetadefNamespace(ctx) {
        const made = await namespaces.create(requireAuth(ctx), namespaceInput(ctx.body));
        // A header holds no raw non-ASCII: the name is percent-encoded there (its colons kept).
        const location = `${ctx.serviceUrl}${namespaceHref(encodeURIComponent(made.namespace.namespace).replace(/%3A/g, ':'))}`;
        return { status: 201, headers: { Location: location }, body: namespaceView(made) };
      },
      async showMetadefNamespace(ctx) {
        return { status: 200, body: namespaceView(await namespaces.show(requireAuth(ctx), ctx.params.namespace_name, queryString(ctx, 'resource_type'))) };
      },
      async updateMetadefNamespace(ctx) {
        return { status: 200, body: namespaceView(await namespaces.update(requireAuth(ctx), ctx.params.namespace_name, namespaceInput(ctx.body))) };
      },
      async deleteMetadefNamespace(ctx) {
        await namespaces.delete(requireAuth(ctx), ctx.params.namespace_name);
        return { status: 204 };
      },

      // --- resource types ---
      async listMetadefResourceTypes(ctx) {
        requireAuth(ctx);
        return { status: 200, body: resourceTypeListView(await namespaces.listResourceTypes()) };
      },
      async listMetadefResourceTypeAssociations(ctx) {
        const list = await namespaces.listAssociations(requireAuth(ctx), ctx.params.namespace_name);
        return { status: 200, body: { resource_type_associations: list.map(associationView) } };
      },
      async createMetadefResourceTypeAssociation(ctx) {
        refuseReadOnly(ctx.body, ['created_at', 'updated_at']);
        const b = ctx.body;
        const made = await namespaces.associate(requireAuth(ctx), ctx.params.namespace_name, { name: b.name, prefix: b.prefix, propertiesTarget: b.properties_target });
        return { status: 201, body: associationView(made) };
      },
      async deleteMetadefResourceTypeAssociation(ctx) {
        await namespaces.dissociate(requireAuth(ctx), ctx.params.namespace_name, ctx.params.resource_type_name);
        return { status: 204 };
      },

      // --- objects ---
      async listMetadefObjects(ctx) {
        const ns = ctx.params.namespace_name;
        return { status: 200, body: objectListView(ns, await content.listObjects(requireAuth(ctx), ns)) };
      },
      async createMetadefObject(ctx) {
        refuseReadOnly(ctx.body, ['self', 'schema', 'created_at', 'updated_at']);
        const ns = ctx.params.namespace_name;
        return { status: 201, body: objectView(ns, await content.createObject(requireAuth(ctx), ns, objectInput(ctx.body))) };
      },
      async showMetadefObject(ctx) {
        const ns = ctx.params.namespace_name;
        return { status: 200, body: objectView(ns, await content.getObject(requireAuth(ctx), ns, ctx.params.object_name)) };
      },
      async updateMetadefObject(ctx) {
        refuseReadOnly(ctx.body, ['self', 'schema', 'created_at', 'updated_at']);
        const ns = ctx.params.namespace_name;
        return { status: 200, body: objectView(ns, await content.updateObject(requireAuth(ctx), ns, ctx.params.object_name, objectInput(ctx.body))) };
      },
      async deleteMetadefObject(ctx) {
        await content.deleteObject(requireAuth(ctx), ctx.params.namespace_name, ctx.params.object_name);
        return { status: 204 };
      },
      async deleteMetadefObjects(ctx) {
        await content.deleteAll(requireAuth(ctx), ctx.params.namespace_name, 'objects');
        return { status: 204 };
      },

      // --- properties ---
      async listMetadefProperties(ctx) {
        return { status: 200, body: propertyListView(await content.listProperties(requireAuth(ctx), ctx.params.namespace_name)) };
      },
      async createMetadefProperty(ctx) {
        refuseReadOnly(ctx.body, ['created_at', 'updated_at']);
        const made = await content.createProperty(requireAuth(ctx), ctx.params.namespace_name, ctx.body.name, definition(ctx.body));
        return { status: 201, body: propertyRecordView(made) };
      },
      async showMetadefProperty(ctx) {
        const p = await content.getProperty(requireAuth(ctx), ctx.params.namespace_name, ctx.params.property_name, queryString(ctx, 'resource_type'));
        return { status: 200, body: propertyRecordView(p) };
      },
      async updateMetadefProperty(ctx) {
        refuseReadOnly(ctx.body, ['created_at', 'updated_at']);
        const p = await content.updateProperty(requireAuth(ctx), ctx.params.namespace_name, ctx.params.property_name, ctx.body.name, definition(ctx.body));
        return { status: 200, body: propertyRecordView(p) };
      },
      async deleteMetadefProperty(ctx) {
        await content.deleteProperty(requireAuth(ctx), ctx.params.namespace_name, ctx.params.property_name);
        return { status: 204 };
      },
      async deleteMetadefProperties(ctx) {
        await content.deleteAll(requireAuth(ctx), ctx.params.namespace_name, 'properties');
        return { status: 204 };
      },

      // --- tags ---
      async listMetadefTags(ctx) {
        return { status: 200, body: tagListView(await content.listTags(requireAuth(ctx), ctx.params.namespace_name, parseTagQuery(ctx))) };
      },
      async createMetadefTags(ctx) {
        const names = ctx.body.tags.map((t) => t.name);
        const made = await content.createTags(requireAuth(ctx), ctx.params.namespace_name, names, truthy(ctx.headers['x-openstack-append']));
        return { status: 201, body: tagListView(made) };
      },
      async deleteMetadefTags(ctx) {
        await content.deleteAll(requireAuth(ctx), ctx.params.namespace_name, 'tags');
        return { status: 204 };
      },
      async showMetadefTag(ctx) {
        return { status: 200, body: tagView(await content.getTag(requireAuth(ctx), ctx.params.namespace_name, ctx.params.tag_name)) };
      },
      async createMetadefTag(ctx) {
        const made = await content.createTag(requireAuth(ctx), ctx.params.namespace_name, tagName(ctx.params.tag_name));
        return { status: 201, body: tagView(made) };
      },
      async updateMetadefTag(ctx) {
        refuseReadOnly(ctx.body, ['created_at', 'updated_at']);
        const t = await content.updateTag(requireAuth(ctx), ctx.params.namespace_name, ctx.params.tag_name, ctx.body.name);
        return { status: 200, body: tagView(t) };
      },
      async deleteMetadefTag(ctx) {
        await content.deleteTag(requireAuth(ctx), ctx.params.namespace_name, ctx.params.tag_name);
        return { status: 204 };
      },
    }),
  };
}
