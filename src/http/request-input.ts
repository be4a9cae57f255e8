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
/** A refused body is read and discarded up to this; past it the answer closes the connection. */
const MAX_DRAIN = 16 * 1024 * 1024;
/** Deeper JSON is refused before it is parsed (no recursion in parse, validation or error text). */
export const MAX_JSON_DEPTH = 32;
/** No single string in a JSON body is longer (the spec's own maxLength is usually much less). */
const MAX_BODY_STRING = 256 * 1024;

const NUL = '\u0000';
const EMPTY = Buffer.alloc(0);
/** A UTF-16 surrogate without its pair (String.prototype.isWellFormed, not in this TypeScript lib). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

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

/**
 * JSON.parse reviver: refuses NUL in keys and strings, unpaired surrogates (a `\ud800` escape is
 * valid JSON but no Unicode text: PostgreSQL refuses it), overlong strings and unsafe numbers.
 */
function boundedValue(key: string, value: unknown): unknown {
  if (key.includes(NUL)) throw new BadRequest('Invalid input: NUL characters are not allowed.');
  if (LONE_SURROGATE.test(key)) throw new BadRequest('Invalid input: a key is not valid Unicode (an unpaired surrogate).');
  if (typeof value === 'string') {
    if (value.includes(NUL)) throw new BadRequest(`Invalid input for field/attribute ${key}. NUL characters are not allowed.`);
    if (LONE_SURROGATE.test(value)) throw new BadRequest(`Invalid input for field/attribute ${key}. The value is not valid Unicode (an unpaired surrogate).`);
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
 * The body, or 413 when it is larger than MAX_JSON_BODY. Reading stops at the limit; the router
 * drains what is left (drainRequest) so the client reads the 413 rather than a reset.
 */
function readRaw(req: Request): Promise<Buffer> {
  // Neither header: HTTP/1.1 says the request has no body (RFC 9112 6.3), as Node's parser
  // reads it; nothing to wait for (Node discards the unread stream once the answer is sent).
  if (req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0') return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_JSON_BODY) {
      reject(new OverLimit('Request is too large.'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (fn: () => void) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      fn();
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_JSON_BODY) {
        req.pause();
        settle(() => reject(new OverLimit('Request is too large.')));
      } else {
        chunks.push(c);
      }
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks)));
    const onError = (err: Error) => settle(() => reject(err));
    // The client went away mid-body: nothing to answer; the fault is only logged.
    const onClose = () => settle(() => reject(new BadRequest('The request body was cut off.')));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/**
 * Reads and discards the rest of a request body that will not be used (a refused upload, an
 * oversize JSON body, a body sent to a request refused before reading it), up to MAX_DRAIN
 * bytes: the client then reads the answer instead of a reset connection. 'too-much' when the
 * client was still sending past the cap: the answer must close the connection.
 */
export function drainRequest(req: Request): Promise<'drained' | 'too-much'> {
  if (req.complete || req.destroyed) return Promise.resolve('drained');
  return new Promise((resolve) => {
    let n = 0;
    const done = (how: 'drained' | 'too-much') => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onEnd);
      if (how === 'too-much') req.pause();
      resolve(how);
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > MAX_DRAIN) done('too-much');
    };
    const onEnd = () => done('drained');
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onEnd);
    req.resume();
  });
}
