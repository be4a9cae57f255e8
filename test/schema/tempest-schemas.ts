import { execFileSync } from 'child_process';
import path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ApiResponse } from '../support/snapstack-harness';

/**
 * tempest's response schemas (Debian python3-tempest), read at test time by
 * dump-tempest-schemas.py and chosen per microversion as tempest's clients choose them.
 * Debian's tempest lives in the system python, whatever `python3` is first on PATH.
 */
const PYTHON = process.env.SNAPSTACK_TEMPEST_PYTHON || '/usr/bin/python3';
const DUMP = path.join(__dirname, 'dump-tempest-schemas.py');

export interface TempestSchema {
  status_code: number[];
  response_body?: object;
}

type Modules = Record<string, Record<string, TempestSchema>>;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// tempest's own checkers (tempest/lib/common/jsonschema_validator.py): ISO 8601 as
// oslo_utils.timeutils.parse_isotime reads it, and base64; null passes as there.
ajv.addFormat('iso8601-date-time', /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)?)?$/);
ajv.addFormat('base64', /^[A-Za-z0-9+/]*={0,2}$/);
// jsonschema's Draft 4 checker, tempest's, knows no 'uuid' (Keystone ids have no dashes anyway).
ajv.addFormat('uuid', true);
const compiled = new Map<object, ValidateFunction>();
const dumps = new Map<string, Modules>();

/** Reads the schemas of every version in one python process (their first use would read each alone). */
export function preloadTempestSchemas(service: 'compute' | 'volume', microversions: string[]): void {
  const missing = microversions.filter((v) => !dumps.has(`${service} ${v}`));
  if (!missing.length) return;
  const out = JSON.parse(execFileSync(PYTHON, [DUMP, service, ...missing], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as Record<string, Modules>;
  for (const [v, modules] of Object.entries(out)) dumps.set(`${service} ${v}`, modules);
}

export function tempestSchemas(service: 'compute' | 'volume', microversion: string): Modules {
  preloadTempestSchemas(service, [microversion]);
  return dumps.get(`${service} ${microversion}`)!;
}

/** Problems with `res` against tempest's `<module>.<name>` schema: a status not listed, or body errors. */
export function schemaProblems(modules: Modules, ref: string, res: ApiResponse): string[] {
  // `status:202`: the operations tempest's clients check by status only (no schema of their own).
  const statusOnly = /^status:(\d+)$/.exec(ref);
  if (statusOnly) return res.status === Number(statusOnly[1]) ? [] : [`status ${res.status}, expected ${statusOnly[1]}: ${res.text.slice(0, 300)}`];
  const [module, name] = ref.split('.');
  const schema = modules[module]?.[name];
  if (!schema) return [`tempest has no schema ${ref}`];
  const problems: string[] = [];
  if (!schema.status_code.includes(res.status)) problems.push(`status ${res.status}, expected one of ${schema.status_code.join(', ')}: ${res.text.slice(0, 300)}`);
  if (schema.response_body) {
    let validate = compiled.get(schema.response_body);
    if (!validate) {
      validate = ajv.compile(schema.response_body);
      compiled.set(schema.response_body, validate);
    }
    if (!validate(res.text === '' ? null : res.body)) {
      for (const e of validate.errors ?? []) problems.push(`${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
    }
  } else if (res.text !== '') {
    // tempest: "HTTP response body should not exist"
    problems.push(`a body where tempest wants none: ${res.text.slice(0, 300)}`);
  }
  return problems;
}
