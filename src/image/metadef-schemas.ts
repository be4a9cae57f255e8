/**
 * The JSON schemas Glance serves at /v2/schemas/metadefs/* (glance/api/v2/metadef_*.py
 * get_schema and get_collection_schema, glance/schema.py's Schema, CollectionSchema and
 * DictCollectionSchema). glanceclient builds its metadef models from them and validates every
 * answer against them, so they list exactly the keys Snapstack's answers carry.
 */
type Json = Record<string, unknown>;

const PROPERTY_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', null];
const readOnlyTime = (description: string) => ({ type: 'string', readOnly: true, description, format: 'date-time' });
const readOnlyString = { readOnly: true, type: 'string' };

/** The definitions a namespace or object schema refers to (`#/definitions/...`). */
function definitions(stringArrayMinItems?: number): Json {
  const positiveInteger = { type: 'integer', minimum: 0 };
  const stringArray = { type: 'array', items: { type: 'string' }, ...(stringArrayMinItems ? { minItems: stringArrayMinItems } : {}), uniqueItems: true };
  return {
    positiveInteger,
    positiveIntegerDefault0: { allOf: [{ $ref: '#/definitions/positiveInteger' }, { default: 0 }] },
    stringArray,
  };
}

/** One property definition's attributes (Glance's `property` definition). */
function propertyAttributes(): Json {
  return {
    name: { type: 'string', maxLength: 80 },
    title: { type: 'string' },
    description: { type: 'string' },
    operators: { type: 'array', items: { type: 'string' } },
    type: { type: 'string', enum: PROPERTY_TYPES },
    required: { $ref: '#/definitions/stringArray' },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    maxLength: { $ref: '#/definitions/positiveInteger' },
    minLength: { $ref: '#/definitions/positiveIntegerDefault0' },
    pattern: { type: 'string', format: 'regex' },
    enum: { type: 'array' },
    readonly: { type: 'boolean' },
    default: {},
    items: { type: 'object', properties: { type: { type: 'string', enum: PROPERTY_TYPES }, enum: { type: 'array' } } },
    maxItems: { $ref: '#/definitions/positiveInteger' },
    minItems: { $ref: '#/definitions/positiveIntegerDefault0' },
    uniqueItems: { type: 'boolean', default: false },
    additionalItems: { type: 'boolean' },
  };
}

function namespaceDefinitions(): Json {
  return {
    ...definitions(),
    property: { type: 'object', additionalProperties: { type: 'object', required: ['title', 'type'], properties: propertyAttributes() } },
  };
}

function schema(name: string, properties: Json, extra: { required?: string[]; definitions?: Json } = {}): Json {
  return {
    name,
    properties,
    additionalProperties: false,
    ...(extra.definitions ? { definitions: extra.definitions } : {}),
    ...(extra.required?.length ? { required: extra.required } : {}),
  };
}

/** CollectionSchema: the items' definitions move up to the collection. */
function collection(name: string, item: Json): Json {
  const { definitions: defs, ...rest } = item;
  return {
    name,
    properties: { [name]: { type: 'array', items: rest }, first: { type: 'string' }, next: { type: 'string' }, schema: { type: 'string' } },
    links: [{ rel: 'first', href: '{first}' }, { rel: 'next', href: '{next}' }, { rel: 'describedby', href: '{schema}' }],
    ...(defs ? { definitions: defs } : {}),
  };
}

function associationSchema(): Json {
  return schema('resource_type_association', {
    name: { type: 'string', description: 'Resource type names should be aligned with Heat resource types whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html', maxLength: 80 },
    prefix: { type: 'string', description: 'Specifies the prefix to use for the given resource type. Any properties in the namespace should be prefixed with this prefix when being applied to the specified resource type. Must include prefix separator (e.g. a colon :).', maxLength: 80 },
    properties_target: { type: 'string', description: 'Some resource types allow more than one key / value pair per instance.  For example, Cinder allows user and image metadata on volumes. Only the image properties metadata is evaluated by Nova (scheduling or drivers). This property allows a namespace target to remove the ambiguity.', maxLength: 80 },
    created_at: readOnlyTime('Date and time of resource type association'),
    updated_at: readOnlyTime('Date and time of the last resource type association modification'),
  }, { required: ['name'] });
}

function namespaceSchema(): Json {
  const untyped = { type: 'object', properties: { name: { type: 'string' } } };
  return schema('namespace', {
    namespace: { type: 'string', description: 'The unique namespace text.', maxLength: 80 },
    display_name: { type: 'string', description: 'The user friendly name for the namespace. Used by UI if available.', maxLength: 80 },
    description: { type: 'string', description: 'Provides a user friendly description of the namespace.', maxLength: 500 },
    visibility: { type: 'string', description: 'Scope of namespace accessibility.', enum: ['public', 'private'] },
    protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
    owner: { type: 'string', description: 'Owner of the namespace.', maxLength: 255 },
    created_at: readOnlyTime('Date and time of namespace creation'),
    updated_at: readOnlyTime('Date and time of the last namespace modification'),
    schema: readOnlyString,
    self: readOnlyString,
    resource_type_associations: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, prefix: { type: 'string' }, properties_target: { type: 'string' } } },
    },
    properties: { $ref: '#/definitions/property' },
    objects: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, description: { type: 'string' }, required: { $ref: '#/definitions/stringArray' }, properties: { $ref: '#/definitions/property' } },
      },
    },
    tags: { type: 'array', items: untyped },
  }, { required: ['namespace'], definitions: namespaceDefinitions() });
}

function objectSchema(): Json {
  return schema('object', {
    name: { type: 'string', maxLength: 80 },
    description: { type: 'string' },
    required: { $ref: '#/definitions/stringArray' },
    properties: { $ref: '#/definitions/property' },
    schema: readOnlyString,
    self: readOnlyString,
    created_at: readOnlyTime('Date and time of object creation'),
    updated_at: readOnlyTime('Date and time of the last object modification'),
  }, { required: ['name'], definitions: namespaceDefinitions() });
}

function propertySchema(requireName: boolean): Json {
  return schema('property', propertyAttributes(), { required: requireName ? ['type', 'title', 'name'] : ['type', 'title'], definitions: definitions(1) });
}

function tagSchema(): Json {
  return schema('tag', {
    name: { type: 'string', maxLength: 80 },
    created_at: readOnlyTime('Date and time of tag creation'),
    updated_at: readOnlyTime('Date and time of the last tag modification'),
  }, { required: ['name'] });
}

/** DictCollectionSchema: properties by name. */
function propertiesSchema(): Json {
  const { definitions: defs, ...item } = propertySchema(false);
  return {
    name: 'properties',
    properties: { properties: { type: 'object', additionalProperties: item }, first: { type: 'string' }, next: { type: 'string' }, schema: { type: 'string' } },
    links: [{ rel: 'first', href: '{first}' }, { rel: 'next', href: '{next}' }, { rel: 'describedby', href: '{schema}' }],
    definitions: defs,
  };
}

/** Every metadef schema by its path under /v2/schemas/metadefs/. */
export const METADEF_SCHEMAS: Record<string, () => Json> = {
  namespace: namespaceSchema,
  namespaces: () => collection('namespaces', namespaceSchema()),
  object: objectSchema,
  objects: () => collection('objects', objectSchema()),
  property: () => propertySchema(true),
  properties: propertiesSchema,
  tag: tagSchema,
  tags: () => collection('tags', tagSchema()),
  resource_type: associationSchema,
  resource_types: () => collection('resource_type_associations', associationSchema()),
};
