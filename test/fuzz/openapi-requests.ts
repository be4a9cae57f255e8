/**
 * Requests generated from the OpenAPI files with fast-check: for every operation, path values,
 * query values, bodies (from the operation's schema, then mutated) and a caller, mixed with
 * the hostile classes of issue 16 (NUL bytes, deep nesting, huge numbers and strings,
 * prototype keys, bad percent-encodings, regex bombs, oversized bodies).
 */
import fs from 'fs';
import path from 'path';
import yaml from 'js-yaml';
import fc from 'fast-check';

export interface FuzzOperation {
  service: string;
  operationId: string;
  method: string;
  /** Full path template from the root, e.g. /volume/v3/{project_id}/volumes */
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: any }>;
  bodySchema?: any;
  contentType?: string;
}

export interface FuzzRequest {
  operationId: string;
  method: string;
  /** Path and query, already encoded (or deliberately mis-encoded). */
  url: string;
  body?: string;
  contentType?: string;
  caller: string;
  headers: Record<string, string>;
}

const OPENAPI_DIR = path.join(__dirname, '..', '..', 'openapi');
const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

function resolve(doc: any, node: any): any {
  let cur = node;
  for (let i = 0; cur && cur.$ref && i < 10; i++) {
    cur = cur.$ref.replace(/^#\//, '').split('/').reduce((n: any, k: string) => n?.[k], doc);
  }
  return cur;
}

/** Inlines $refs (bounded depth) so a schema can be walked without its document. */
function inline(doc: any, node: any, depth = 0): any {
  if (depth > 12) return {};
  if (Array.isArray(node)) return node.map((n) => inline(doc, n, depth + 1));
  if (node && typeof node === 'object') {
    const r = node.$ref ? resolve(doc, node) : node;
    const out: any = {};
    for (const [k, v] of Object.entries(r)) out[k] = inline(doc, v, depth + 1);
    return out;
  }
  return node;
}

/** Every operation of every file in openapi/. */
export function loadOperations(): FuzzOperation[] {
  const ops: FuzzOperation[] = [];
  for (const file of fs.readdirSync(OPENAPI_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = yaml.load(fs.readFileSync(path.join(OPENAPI_DIR, file), 'utf8')) as any;
    const mount = String(doc.servers?.[0]?.url ?? '').replace(/\/+$/, '');
    for (const [p, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((x: any) => resolve(doc, x));
        const content = op.requestBody?.content ?? {};
        const type = Object.keys(content).find((t) => t.includes('json'));
        ops.push({
          service: file.replace(/\.yaml$/, ''),
          operationId: op.operationId,
          method,
          path: `${mount}${p}`,
          pathParams: params.filter((x: any) => x.in === 'path').map((x: any) => x.name),
          query: params.filter((x: any) => x.in === 'query').map((x: any) => ({ name: x.name, schema: inline(doc, x.schema ?? {}) })),
          bodySchema: type ? inline(doc, content[type].schema) : undefined,
          contentType: type ?? (content['application/octet-stream'] ? 'application/octet-stream' : undefined),
        });
      }
    }
  }
  return ops;
}

/** Strings that broke or could break something. */
export const HOSTILE_STRINGS = [
  'a\u0000b', '\u0000', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '^(a+)+$', '(.*a){25}', '((a|aa)+)+b',
  '99999999999999999999999', '1e23', '-1', 'NaN', 'Infinity', '0x10', '', ' ', "' OR 1=1 --", '%', '_', '\\', '..', '../../etc/passwd',
  '\ud800', '😀', '\u202e', 'null', 'true', '[]', '{}', 'x'.repeat(300), 'y'.repeat(5000),
];

/** Raw (not re-encoded) path or query text: bad percent-encodings. */
const RAW_SEGMENTS = ['%ZZ%', '%', '%E0%A4%A', '%00', '%2e%2e', '%C0%AF', '%FF%FE'];

/** encodeURIComponent, but a lone surrogate becomes its (invalid UTF-8) WTF-8 bytes. */
function enc(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.split('').map((ch) => {
      const c = ch.charCodeAt(0);
      if (c < 0xd800 || c > 0xdfff) return encodeURIComponent(ch);
      return `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase();
    }).join('');
  }
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
const plainString = fc.oneof(fc.string({ maxLength: 20 }), fc.uuid(), fc.constantFrom('busybox', 'm1.tiny', '1', 'default', 'member', 'auto', 'none'));

/** A value meant to satisfy a JSON schema (best effort), depth-bounded. */
export function fromSchema(schema: any, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || typeof schema !== 'object' || depth > 5) return fc.jsonValue({ maxDepth: 1 });
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return fc.oneof(...alternatives.map((s: any) => fromSchema(s, depth + 1)));
  if (schema.allOf) return fromSchema(Object.assign({}, ...schema.allOf), depth + 1);
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : schema.properties ? ['object'] : ['string'];
  return fc.oneof(...types.map((t) => fromType(t, schema, depth)));
}

function fromType(type: string, schema: any, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return schema.format === 'uuid' ? fc.uuid() : fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 24, 24) }).map((s) => (s.length < (schema.minLength ?? 0) ? s.padEnd(schema.minLength, 'x') : s));
    case 'integer':
      {
        const min = schema.minimum ?? -2;
        // Small values near the lower bound (a schema's minimum may lie above 64).
        return fc.integer({ min, max: Math.min(schema.maximum ?? Number.MAX_SAFE_INTEGER, Math.max(min, 0) + 64) });
      }
    case 'number':
      return fc.double({ min: -2, max: 64, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}, depth + 1), { maxLength: 3 });
    case 'object': {
      const props: Record<string, any> = schema.properties ?? {};
      const required: string[] = schema.required ?? [];
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = fromSchema(v, depth + 1);
      if (!Object.keys(record).length) return fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 });
      return fc.record(record, { requiredKeys: required.filter((k) => k in record) });
    }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

/** Replaces one leaf of a JSON value by a hostile one. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  const hostileLeaf = fc.oneof(hostileString, fc.constantFrom(1e23, -1, 2 ** 63, 1e308, -0, 0.5, true, null, [], {}, { __proto__: 1 }, 'z'.repeat(300 * 1024)));
  return fc.tuple(fc.nat(), hostileLeaf).map(([pick, leaf]) => {
    const copy = JSON.parse(JSON.stringify(value ?? null));
    const slots: Array<[any, string]> = [];
    const walk = (node: any) => {
      if (node && typeof node === 'object') {
        for (const k of Object.keys(node)) {
          slots.push([node, k]);
          walk(node[k]);
        }
      }
    };
    walk(copy);
    if (!slots.length) return leaf;
    const [parent, key] = slots[pick % slots.length];
    parent[key] = leaf;
    return copy;
  });
}

/** A JSON body for an operation: mostly schema-shaped and mutated, some hostile wholesale. */
function bodyFor(op: FuzzOperation): fc.Arbitrary<string | undefined> {
  const shaped = op.bodySchema ? fromSchema(op.bodySchema) : fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    { weight: 4, arbitrary: shaped.map((v) => JSON.stringify(v)) },
    { weight: 5, arbitrary: shaped.chain(mutate).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'not json', '{"a":', 'null', '[]', '"\\u0000"', `{"k\\u0000": 1}`) },
    { weight: 1, arbitrary: fc.constantFrom(5000, 100_000).map((d) => `{"x": ${nested(d)}}`) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  );
}

/** One value for a path parameter: a known id, a plain string, a hostile one, or raw text. */
function pathValue(pool: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: pool.length ? fc.constantFrom(...pool).map(enc) : fc.uuid() },
    { weight: 2, arbitrary: plainString.map(enc) },
    { weight: 3, arbitrary: hostileString.map(enc) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
}

function queryValue(schema: any): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fromSchema(schema).map((v) => enc(typeof v === 'string' ? v : JSON.stringify(v))) },
    { weight: 3, arbitrary: hostileString.map(enc) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
}

export interface RequestContextPools {
  /** Path parameter name -> known values (ids of the cast's resources). */
  ids: Record<string, string[]>;
  callers: string[];
}

/** Arbitrary requests to one operation. */
export function requestArbitrary(op: FuzzOperation, pools: RequestContextPools): fc.Arbitrary<FuzzRequest> {
  {
    const params = op.pathParams.map((name) => pathValue(pools.ids[name] ?? []));
    const candidates = [...op.query, { name: 'sort_key', schema: { type: 'string' } }, { name: 'name', schema: { type: 'string' } }];
    const query = fc.subarray(candidates, { maxLength: Math.min(3, candidates.length) })
      .chain((qs) => fc.tuple(...qs.map((q) => queryValue(q.schema).map((v) => `${enc(q.name)}=${v}`))));
    const headers = fc.oneof(
      { weight: 4, arbitrary: fc.constant({} as Record<string, string>) },
      { weight: 1, arbitrary: fc.constantFrom('2.1', '2.37', '2.93', '3.0', '3.60', '9.99', 'latest', 'x').map((v) => ({ 'OpenStack-API-Version': `${op.service} ${v}`, 'X-OpenStack-Nova-API-Version': v })) },
    );
    const contentType = fc.oneof(
      { weight: 8, arbitrary: fc.constant(op.contentType ?? 'application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/openstack-images-v2.1-json-patch', 'application/octet-stream') },
    );
    const sendsBody = ['post', 'put', 'patch'].includes(op.method);
    return fc.record({
      params: fc.tuple(...params),
      query,
      body: sendsBody ? bodyFor(op) : fc.constant(undefined),
      caller: fc.constantFrom(...pools.callers),
      headers,
      contentType,
    }).map(({ params: values, query: q, body, caller, headers: h, contentType: ct }) => {
      let i = 0;
      const url = op.path.replace(/\{[^}]+\}/g, () => values[i++]) + (q.length ? `?${q.join('&')}` : '');
      return { operationId: op.operationId, method: op.method.toUpperCase(), url, body, contentType: body === undefined ? undefined : ct, caller, headers: h };
    });
  }
}
