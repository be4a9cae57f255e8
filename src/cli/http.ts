/**
 * HTTP for the CLI: fetch with the token, the API's error message turned into one line the way
 * the openstack client prints it ("<message> (HTTP 404) (Request-ID: req-...)"), and --debug
 * logging of every request and response on stderr.
 */
import { createHash } from 'crypto';
import { VERSION } from '../version';

/** A failure the CLI reports as one line on stderr, exit code 1. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export class ApiError extends CliError {
  constructor(message: string, readonly status: number, readonly requestId?: string) {
    super(message);
  }
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** JSON-encoded unless a string. */
  body?: unknown;
  /** Statuses that are not errors (default: < 400). */
  ok?: (status: number) => boolean;
}

export interface HttpLogger {
  debug: boolean;
  log(line: string): void;
}

const USER_AGENT = `snapstack/${VERSION} node/${process.versions.node}`;

function redact(name: string, value: string): string {
  if (/^(x-auth-token|x-subject-token)$/i.test(name)) return `{SHA256}${createHash('sha256').update(value).digest('hex')}`;
  return value;
}

function stripHtml(html: string): string {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  return body.replace(/<h1>[\s\S]*?<\/h1>/i, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The message a service put in its error body (Nova/Cinder, Keystone, Glance forms, or HTML). */
export function errorMessage(body: unknown, text: string): string {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const messageOf = (v: unknown) => (v && typeof v === 'object' && 'message' in v && v.message ? String(v.message) : undefined);
    const keystone = messageOf(b.error);
    if (keystone !== undefined) return keystone;
    if (typeof b.message === 'string') return b.message;
    const keys = Object.keys(b);
    const wrapped = keys.length === 1 ? messageOf(b[keys[0]]) : undefined;
    if (wrapped !== undefined) return wrapped;
  }
  if (/<html|<body|<h1/i.test(text)) return stripHtml(text);
  return text.trim();
}

export function requestIdOf(headers: Headers): string | undefined {
  return headers.get('x-openstack-request-id') ?? headers.get('x-compute-request-id') ?? undefined;
}

export async function httpRequest<T = unknown>(logger: HttpLogger, method: string, url: string, opts: RequestOptions = {}): Promise<HttpResponse<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT, ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  if (logger.debug) {
    logger.log(`REQ: ${method} ${url}`);
    for (const [k, v] of Object.entries(headers)) logger.log(`  ${k}: ${redact(k, v)}`);
    if (body !== undefined) logger.log(`  body: ${/password/.test(body) ? body.replace(/("password"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"***"') : body}`);
  }
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body });
  } catch (err) {
    // undici's TypeError('fetch failed') carries the socket error (ECONNREFUSED, address, port) as its cause.
    const cause = (err as { cause?: { code?: string; address?: string; port?: number; message?: string } } | undefined)?.cause;
    const detail = cause?.code ? `${cause.code}${cause.address ? ` ${cause.address}:${cause.port}` : ''}` : (cause?.message ?? (err as Error).message);
    throw new CliError(`Unable to establish connection to ${url}: ${detail}`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  if (text && /json/i.test(res.headers.get('content-type') ?? 'json')) {
    try { parsed = JSON.parse(text); } catch { /* keep the text */ }
  } else if (!text) parsed = undefined;
  if (logger.debug) {
    logger.log(`RESP: [${res.status}] ${method} ${url} (${Date.now() - started} ms)`);
    res.headers.forEach((v, k) => logger.log(`  ${k}: ${redact(k, v)}`));
    if (text) logger.log(`  body: ${text.length > 4000 ? `${text.slice(0, 4000)}... (${text.length} bytes)` : text}`);
  }
  const ok = opts.ok ?? ((s: number) => s < 400);
  if (!ok(res.status)) {
    const requestId = requestIdOf(res.headers);
    const message = errorMessage(parsed, text) || res.statusText;
    throw new ApiError(`${message} (HTTP ${res.status})${requestId ? ` (Request-ID: ${requestId})` : ''}`, res.status, requestId);
  }
  // The caller names the shape it expects (from the generated types); the JSON is not checked against it.
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}
