import fs from 'fs';
import path from 'path';
import yaml from 'js-yaml';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { AnySchemaObject } from 'ajv';
import addFormats from 'ajv-formats';
import { pyRepr } from '../shared/py-format';

export interface OperationSpec {
  operationId: string;
  method: SpecMethod;
  /** OpenAPI path, e.g. /v3/{project_id}/volumes/{volume_id} */
  path: string;
  /** true when the operation needs no token (security: []). */
  public: boolean;
  /** JSON body validator, when the operation takes a JSON body (compiled on first use: start-up time). */
  readonly validate?: ValidateFunction;
  bodyRequired: boolean;
  /** The operation streams raw bytes (application/octet-stream, application/x-tar). */
  streamsBody: boolean;
  /** Declared path and query parameters, each with its validator (bounds included). */
  params: ParamSpec[];
}

/** A path or query parameter of the spec; validate() sees { v: <one raw value> }. */
export interface ParamSpec {
  name: string;
  in: 'path' | 'query';
  validate: ValidateFunction;
}

/**
 * Bounds for parameters whose schema sets none: an id or name in a path fits an index row,
 * a query value stays short. A spec's own maxLength/maximum wins.
 */
const DEFAULT_MAX_LENGTH = { path: 255, query: 1024 } as const;

export interface LoadedSpec {
  file: string;
  /** Where the service is mounted, from servers[0].url, e.g. /compute */
  mountPath: string;
  operations: OperationSpec[];
}

export const OPENAPI_DIR = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []), 'openapi');

const METHODS = ['head', 'get', 'put', 'post', 'delete', 'patch'] as const;
export type SpecMethod = (typeof METHODS)[number];

/** The parts of an OpenAPI 3 document this loader reads (the file is trusted: it ships with the code). */
interface SpecParameter {
  $ref?: string;
  name: string;
  in: string;
  schema?: AnySchemaObject;
}
interface SpecOperation {
  operationId?: string;
  security?: unknown[];
  parameters?: SpecParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: AnySchemaObject }> };
}
type SpecPathItem = Partial<Record<(typeof METHODS)[number], SpecOperation>> & { parameters?: SpecParameter[] };
interface SpecDocument {
  servers?: { url?: string }[];
  security?: unknown[];
  paths?: Record<string, SpecPathItem>;
  components?: Record<string, unknown>;
}

/** Loads an OpenAPI file and compiles an ajv validator for every JSON request body in it. */
export function loadSpec(fileName: string): LoadedSpec {
  const file = path.join(OPENAPI_DIR, fileName);
  const doc = yaml.load(fs.readFileSync(file, 'utf8')) as SpecDocument;
  const ajv = new Ajv({ allErrors: false, strict: false, discriminator: true });
  addFormats(ajv);
  ajv.addSchema({ components: doc.components ?? {} }, 'spec');
  // Query and path values arrive as text: coerce to the declared type, then check its bounds.
  const paramAjv = new Ajv({ strict: false, coerceTypes: true });
  addFormats(paramAjv);
  const paramValidators = new Map<string, ValidateFunction>();
  const globalPublic = Array.isArray(doc.security) && doc.security.length === 0;
  const operations: OperationSpec[] = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (!op.operationId) throw new Error(`${fileName}: ${method.toUpperCase()} ${p} has no operationId`);
      const content = op.requestBody?.content ?? {};
      const jsonType = Object.keys(content).find((t) => t.includes('json'));
      const schema = jsonType ? content[jsonType].schema : undefined;
      let compiled: ValidateFunction | undefined;
      operations.push({
        operationId: op.operationId,
        method,
        path: p,
        public: op.security ? op.security.length === 0 : globalPublic,
        get validate() {
          if (schema) compiled ??= ajv.compile(rewriteRefs(schema) as AnySchemaObject);
          return compiled;
        },
        bodyRequired: Boolean(op.requestBody?.required),
        streamsBody: Boolean(content['application/octet-stream'] || content['application/x-tar']),
        params: [...(item.parameters ?? []), ...(op.parameters ?? [])]
          .map((prm) => (prm.$ref ? (resolveRef(doc, prm.$ref) as SpecParameter | undefined) : prm))
          .filter((prm): prm is SpecParameter & { in: 'path' | 'query' } => !!prm && (prm.in === 'path' || prm.in === 'query'))
          .map((prm) => {
            // Compiled on first use, one function per distinct schema: compiling every
            // parameter of every operation up front was most of a start's CPU.
            const paramSchema = { type: 'object', properties: { v: bounded(prm.schema ?? { type: 'string' }, prm.in) } };
            let compiledParam: ValidateFunction | undefined;
            return {
              name: prm.name,
              in: prm.in,
              get validate() {
                if (!compiledParam) {
                  const key = JSON.stringify(paramSchema);
                  compiledParam = paramValidators.get(key) ?? paramAjv.compile(paramSchema);
                  paramValidators.set(key, compiledParam);
                }
                return compiledParam;
              },
            };
          }),
      });
    }
  }
  const mountPath = String(doc.servers?.[0]?.url ?? '/').replace(/\/+$/, '') || '/';
  return { file, mountPath, operations };
}

function resolveRef(doc: SpecDocument, ref: string): unknown {
  return ref.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), doc);
}

function bounded(schema: AnySchemaObject, where: 'path' | 'query'): AnySchemaObject {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'string'];
  const out = { ...schema };
  if (types.includes('string') && out.maxLength === undefined && !out.enum) out.maxLength = DEFAULT_MAX_LENGTH[where];
  if ((types.includes('integer') || types.includes('number')) && out.maximum === undefined) out.maximum = Number.MAX_SAFE_INTEGER;
  if ((types.includes('integer') || types.includes('number')) && out.minimum === undefined) out.minimum = Number.MIN_SAFE_INTEGER;
  return out;
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `spec${v}` : rewriteRefs(v);
    }
    return out;
  }
  return node;
}

/** One line naming the field, in the spirit of Nova's "Invalid input for field/attribute X." */
export function describeValidationError(errors: ErrorObject[] | null | undefined, body: unknown): string {
  const e = errors?.[0];
  if (!e) return 'Invalid input.';
  const segments = e.instancePath.split('/').filter(Boolean);
  let field = segments.length ? segments[segments.length - 1] : '';
  let reason = e.message ?? 'is invalid';
  // ajv's params per keyword (RequiredParams, AdditionalPropertiesParams, TypeParams...).
  const params = e.params as Partial<Record<'missingProperty' | 'additionalProperty' | 'type' | 'format', string>> & { allowedValues?: unknown[]; limit?: number };
  if (e.keyword === 'required') {
    reason = `'${params.missingProperty}' is a required property`;
    field = field || (params.missingProperty ?? '');
  } else if (e.keyword === 'additionalProperties') {
    reason = `Additional properties are not allowed ('${params.additionalProperty}' was unexpected)`;
  } else if (e.keyword === 'type') {
    reason = `${JSON.stringify(valueAt(body, segments))} is not of type '${params.type}'`;
  } else if (e.keyword === 'format') {
    reason = `${JSON.stringify(valueAt(body, segments))} is not a '${params.format}'`;
  } else if (e.keyword === 'enum') {
    reason = `${JSON.stringify(valueAt(body, segments))} is not one of ${JSON.stringify(params.allowedValues)}`;
  } else if (e.keyword in JSONSCHEMA_BOUNDS) {
    // Python jsonschema's wording (Nova, Cinder and Keystone validate with it), not ajv's
    // "must NOT have more than 255 characters".
    reason = JSONSCHEMA_BOUNDS[e.keyword](pyRepr(valueAt(body, segments)), params.limit);
  }
  return field ? `Invalid input for field/attribute ${field}. ${reason}` : `Invalid input. ${reason}`;
}

const JSONSCHEMA_BOUNDS: Record<string, (value: string, limit?: number) => string> = {
  maxLength: (v) => `${v} is too long`,
  minLength: (v, limit) => (limit === 1 ? `${v} should be non-empty` : `${v} is too short`),
  maximum: (v, limit) => `${v} is greater than the maximum of ${limit}`,
  minimum: (v, limit) => `${v} is less than the minimum of ${limit}`,
};

function valueAt(body: unknown, segments: string[]): unknown {
  let cur = body;
  for (const s of segments) cur = cur == null ? undefined : (cur as Record<string, unknown>)[s];
  return cur;
}
