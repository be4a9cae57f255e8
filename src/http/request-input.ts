import type { Request } from 'express';
import { BadRequest, OverLimit } from './faults';
import { describeValidationError, OperationSpec } from './openapi-spec';

/**
 * Every input of a request is bounded and typed here, before any handler (and so any SQL,
 * shell or Docker call) sees it: no NUL byte anywhere, path and query values checked against
 * their declared schemas (with default length bounds), JSON bodies limited in size, nesting
 * and number range, then validated against the operation's schema.
 */

/** Largest JSON body read; bigger ones are drained and answered 413. */
export const MAX_JSON_BODY = 1024 * 1024;
/** A client still sending past this is cut off instead of drained. */
const MAX_DRAIN = 64 * 1024 * 1024;
/** Deeper JSON is refused before it is parsed (no recursion in parse, validation or error text). */
export const MAX_JSON_DEPTH = 32;
/** No single string in a JSON body is longer (the spec's own maxLength is usually much less). */
const MAX_BODY_STRING = 256 * 1024;

const NUL = '\u0000';

function invalidValue(where: string, name: string, reason: string): BadRequest {
  return new BadRequest(`Invalid input for ${where} ${name}. ${reason}`);
}

/** Path and query values: no NUL, each value within its declared schema. */
export function checkParams(op: OperationSpec, params: Record<string, string>, query: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(params)) {
    if (value.includes(NUL)) throw invalidValue('path parameter', name, 'NUL characters are not allowed.');
  }
  for (const [name, raw] of Object.entries(query)) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (typeof v !== 'string') throw invalidValue('query parameters', name, 'Unexpected value.');
      if (v.includes(NUL) || name.includes(NUL)) throw invalidValue('query parameters', name.replace(/\0/g, ''), 'NUL characters are not allowed.');
    }
  }
  for (const p of op.params) {
    const raw = p.in === 'path' ? params[p.name] : query[p.name];
    if (raw === undefined) continue;
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (!p.validate({ v })) {
        const reason = p.validate.errors?.[0]?.message ?? 'is invalid';
        const shown = String(v).length > 64 ? `${String(v).slice(0, 64)}...` : String(v);
        throw p.in === 'path'
          ? invalidValue('path parameter', p.name, `${reason}.`)
          : new BadRequest(`Invalid input for query parameters ${p.name}. Value: ${shown}. ${reason}`);
      }
    }
  }
}

/** Reads, bounds, parses and validates an operation's JSON body. */
export async function readJsonBody(req: Request, op: OperationSpec): Promise<unknown> {
  const raw = await readRaw(req);
  if (raw.length === 0) {
    if (op.bodyRequired) throw new BadRequest('The server could not comply with the request since it is either malformed or otherwise incorrect.');
    return undefined;
  }
  const text = raw.toString('utf8');
  if (nestingDepthExceeds(text, MAX_JSON_DEPTH)) throw new BadRequest(`Malformed request body: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`);
  let body: unknown;
  try {
    body = JSON.parse(text, boundedValue);
  } catch (err) {
    if (err instanceof BadRequest) throw err;
    throw new BadRequest('Malformed request body');
  }
  if (op.validate && !op.validate(body)) {
    throw new BadRequest(describeValidationError(op.validate.errors, body));
  }
  return body;
}

/** JSON.parse reviver: refuses NUL in keys and strings, overlong strings and unsafe numbers. */
function boundedValue(key: string, value: unknown): unknown {
  if (key.includes(NUL)) throw new BadRequest('Invalid input: NUL characters are not allowed.');
  if (typeof value === 'string') {
    if (value.includes(NUL)) throw new BadRequest(`Invalid input for field/attribute ${key}. NUL characters are not allowed.`);
    if (value.length > MAX_BODY_STRING) throw new BadRequest(`Invalid input for field/attribute ${key}. Value is too long.`);
  } else if (typeof value === 'number' && Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    throw new BadRequest(`Invalid input for field/attribute ${key}. Value ${value} is out of range.`);
  }
  return value;
}

/** One pass over the text, outside strings, counting open brackets. */
export function nestingDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * The body, or 413 when it is larger than MAX_JSON_BODY. An oversized body is drained (not
 * cut), so the client reads the 413 instead of a reset connection.
 */
function readRaw(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_DRAIN) {
      reject(new OverLimit('Request is too large.'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_DRAIN) {
        req.destroy();
        return;
      }
      if (size <= MAX_JSON_BODY) chunks.push(c);
    });
    req.on('end', () => (size > MAX_JSON_BODY ? reject(new OverLimit('Request is too large.')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    req.on('close', () => reject(new OverLimit('Request is too large.')));
  });
}
