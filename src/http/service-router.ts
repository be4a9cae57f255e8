import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { randomUUID } from 'crypto';
import { performance } from 'perf_hooks';
import type { Logger } from '../logger';
import type { AuthContext, Handlers, Reply, RequestContext } from './context';
import { mapError, ErrorStyle } from './error-mappers';
import { BadRequest, Fault, MethodNotAllowed, NotFound, NotImplemented, Unauthorized } from './faults';
import { MicroversionPolicy, negotiate, microversionHeaders, Microversion } from './microversion';
import type { LoadedSpec, OperationSpec } from './openapi-spec';
import { authorize } from './policy';
import { checkParams, drainRequest, readJsonBody } from './request-input';
import { PathTable } from './path-table';
import { applyFault, CONTROL_OPERATIONS, type FaultPort } from '../faults/fault-rules';

export interface ServiceMount {
  name: string;
  spec: LoadedSpec;
  errorStyle: ErrorStyle;
  microversion?: MicroversionPolicy;
  /** The URL names the caller's project ({project_id}), as Cinder's does; a mismatch is refused. */
  projectScopedUrl?: boolean;
  /**
   * Nova's optional project id after the version (`/v2.1/{project_id}/servers`, documented at
   * 2.18, routed at every version): a hex id there is taken out of the path and must be the
   * token's project (400 otherwise).
   */
  optionalProjectId?: boolean;
  /** A known path with a method it lacks: Cinder's routes answer 404 (Nova and Keystone 405). */
  wrongMethodNotFound?: boolean;
  /**
   * Below the version root, a trailing slash makes another path: GET /v2/images/ or
   * /v3/{project}/volumes/ is no list, Glance and Cinder answer 404 (the roots keep both forms).
   */
  strictTrailingSlash?: boolean;
  handlers: Handlers;
}

export interface RouterDeps {
  publicUrl: string;
  logger: Logger;
  authenticate(token: string): Promise<AuthContext>;
  /** Fault injection: API calls may be answered with an error or delayed (target 'api'). */
  faults?: FaultPort;
  /** Told of every routed call once answered (metrics). */
  observe?(call: { service: string; operation: string; status: number; seconds: number }): void;
}

/**
 * Every service at its mount path, in one layer: the request's first path segment picks the
 * service (case-insensitive, as express mounts match), which then sees the rest of the URL, as
 * under `app.use(mountPath, router)`. Anything else goes on to the next layer.
 */
export function createServiceRoutes(mounts: ServiceMount[], deps: RouterDeps): RequestHandler {
  const services = new Map<string, RequestHandler>();
  for (const m of mounts) services.set(m.spec.mountPath.toLowerCase(), createServiceRouter(m, deps));
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const end = path.indexOf('/', 1);
    const head = end === -1 ? path : path.slice(0, end);
    const serve = services.get(head.toLowerCase());
    if (!serve) return next();
    // An absolute-form request target keeps its scheme and host in front, as express does.
    const protohost = protohostOf(req.url);
    const rest = req.url.slice(protohost.length + head.length);
    req.baseUrl = head;
    req.url = protohost || rest.startsWith('/') ? protohost + rest : `/${rest}`;
    // A service answers every request it is given and never passes one on: let go of the
    // router's `next` (its closure holds express's dispatch state), so a request in flight
    // keeps less of it through young collections (sampled: a fifth less of that state survives).
    req.next = undefined;
    serve(req, res, next);
  };
}

/** 'http://host' of an absolute-form request target, '' for the usual '/path'. */
function protohostOf(url: string): string {
  if (url.length === 0 || url.startsWith('/')) return '';
  const query = url.indexOf('?');
  const fqdn = url.slice(0, query === -1 ? url.length : query).indexOf('://');
  return fqdn === -1 ? '' : url.slice(0, url.indexOf('/', 3 + fqdn));
}

/**
 * Builds one service's router from its OpenAPI file: every operation in the spec is routed,
 * an operation without a handler answers the service's "not implemented" fault, bodies are
 * validated by ajv from the same file, and every fault is mapped once, here.
 */
function createServiceRouter(mount: ServiceMount, deps: RouterDeps): RequestHandler {
  const byPath = new Map<string, OperationSpec[]>();
  for (const op of mount.spec.operations) {
    const list = byPath.get(op.path) ?? [];
    list.push(op);
    byPath.set(op.path, list);
  }
  const table = new PathTable<RoutedPath>();
  for (const [p, ops] of byPath) {
    // A HEAD is answered by the path's HEAD operation when it has one, else by its GET.
    ops.sort((a, b) => (a.method === 'head' ? -1 : b.method === 'head' ? 1 : 0));
    table.add(p, { ops, rootLevel: p.split('/').length <= 2 });
  }
  const projectIdIn = mount.optionalProjectId ? projectIdSegment(mount.spec) : undefined;
  return (req: Request, res: Response) => {
    const answer = (err: unknown) => sendFault(mount, res, req, err);
    let found: Route;
    try {
      projectIdIn?.(req, res);
      found = route(mount, table, req.method.toLowerCase(), req.path);
    } catch (err) {
      // A path whose percent-encoding does not decode, in the service's shape.
      return answer(routingFault(err));
    }
    if (found === 'method-not-allowed') return answer(new MethodNotAllowed());
    if (found) return void handle(mount, deps, found.op, found.params, req, res);
    // Auth runs before routing in OpenStack (keystonemiddleware), so an unknown path is 401 without a valid token.
    const token = header(req, 'x-auth-token');
    if (!token) return answer(new Unauthorized());
    deps.authenticate(token).then(() => answer(new NotFound()), answer);
  };
}

interface RoutedPath {
  /** The path's operations, HEAD first. */
  ops: OperationSpec[];
  /** The version roots (/v2.1, /v3) keep both forms of a trailing slash. */
  rootLevel: boolean;
}

/** The operation a request names with its decoded path parameters, a known path without its method, or nothing. */
type Route = { op: OperationSpec; params: Record<string, string> } | 'method-not-allowed' | null;

/**
 * Of the paths a request fits (literal segments first), the first whose operations take its
 * method answers. A path that fits without the method answers 405, unless the service sends
 * 404 for a wrong method (Cinder) or the request ends with a slash where an id would be
 * (DELETE /images/ names no resource): then the next path that fits is tried, and after the
 * last one the request names nothing (404, after the token check).
 */
function route(mount: ServiceMount, table: PathTable<RoutedPath>, method: string, pathname: string): Route {
  const trailingSlash = pathname.length > 1 && pathname.endsWith('/');
  for (const { value, rawParams } of table.match(pathname)) {
    const params: Record<string, string> = {};
    for (const [name, raw] of rawParams) params[name] = raw.includes('%') ? decodeURIComponent(raw) : raw;
    for (const op of value.ops) {
      if (op.method !== method && !(method === 'head' && op.method === 'get')) continue;
      if (mount.strictTrailingSlash && !value.rootLevel && trailingSlash) continue;
      return { op, params };
    }
    if (!mount.wrongMethodNotFound && !trailingSlash) return 'method-not-allowed';
  }
  return null;
}

/** Takes Nova's `{project_id:[0-9a-f-]+}` segment after the version out of the URL (res.locals.urlProjectId). */
function projectIdSegment(spec: LoadedSpec) {
  const collections = new Set(spec.operations.map((op) => op.path.split('/')[2]).filter(Boolean));
  return (req: Request, res: Response) => {
    const m = /^\/([^/?]+)\/([0-9a-f-]+)(\/[^?]*[^/?][^?]*(?:\?.*)?)$/.exec(req.url);
    if (m && !collections.has(m[2])) {
      res.locals.urlProjectId = m[2];
      req.url = `/${m[1]}${m[3]}`;
    }
  };
}

async function handle(mount: ServiceMount, deps: RouterDeps, op: OperationSpec, params: Record<string, string>, req: Request, res: Response): Promise<void> {
  const requestId: string = res.locals.requestId;
  const arrived = performance.now();
  if (deps.observe) {
    const started = process.hrtime.bigint();
    res.once('finish', () => deps.observe!({ service: mount.name, operation: op.operationId, status: res.statusCode, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
  }
  let version: Microversion | null = null;
  try {
    // The unversioned root (GET /volume/, GET /compute/) is outside every version: Nova and
    // Cinder ignore microversion headers there (cinderclient sends one during discovery).
    if (mount.microversion && op.path !== '/') {
      version = negotiate(mount.microversion, req.headers);
      res.locals.microversionHeaders = microversionHeaders(mount.microversion, version);
    }
    let auth: AuthContext | null = null;
    const token = header(req, 'x-auth-token');
    if (!op.public || token) {
      if (!token) throw new Unauthorized();
      try {
        auth = await deps.authenticate(token);
      } catch (err) {
        if (op.public) auth = null;
        else throw err;
      }
      res.locals.projectId = auth?.projectId ?? undefined;
    }
    authorize(mount.errorStyle, mount.name, op, auth);
    // Nova and Cinder refuse a URL naming another project than the token's (wsgi "Malformed request url").
    if (mount.projectScopedUrl && auth && params.project_id !== undefined && params.project_id !== auth.projectId) {
      throw new BadRequest('Malformed request url');
    }
    const urlProjectId: string | undefined = res.locals.urlProjectId;
    if (urlProjectId !== undefined && auth && urlProjectId !== auth.projectId) {
      throw new BadRequest(`Malformed request URL: URL's project_id '${urlProjectId}' doesn't match Context's project_id '${auth.projectId}'`);
    }
    // Express parses the query string again on every read of req.query: once here.
    const query = req.query as Record<string, string | string[]>;
    checkParams(op, params, query);
    const body = op.streamsBody ? undefined : await readJsonBody(req, op);
    let log: Logger | undefined;
    const ctx: RequestContext = {
      operationId: op.operationId,
      params,
      query,
      body,
      headers: req.headers,
      auth,
      microversion: version,
      requestId,
      serviceUrl: `${deps.publicUrl}${mount.spec.mountPath}`,
      publicUrl: deps.publicUrl,
      // Made when first used: most reads never log, and a pino child costs more than their view.
      get log() {
        log ??= deps.logger.child({ request_id: requestId, project_id: auth?.projectId ?? undefined });
        return log;
      },
      req,
    };
    if (!CONTROL_OPERATIONS.includes(op.operationId)) {
      await applyFault(deps.faults, { target: 'api', projectId: auth?.projectId ?? null, service: mount.name, operationId: op.operationId, since: arrived });
    }
    const handler = mount.handlers[op.operationId];
    if (!handler) throw new NotImplemented(`${op.operationId} is not implemented by Snapstack.`);
    const reply = await handler(ctx);
    sendReply(res, reply);
  } catch (err) {
    if (!(err instanceof Fault)) deps.logger.error({ err, request_id: requestId, operation: op.operationId }, 'unhandled error');
    // A body that will not be read (a refused upload, an oversize JSON body, a request refused
    // before its body): discard what the client is still sending, so it gets the answer.
    if ((await drainRequest(req)) === 'too-much') res.setHeader('Connection', 'close');
    sendFault(mount, res, req, err);
  }
}

/** A routing error as a fault: a 4xx stays a 400-class fault with a fixed text, nothing else leaks. */
export function routingFault(err: unknown): Fault {
  if (err instanceof Fault) return err;
  const status = (err as { status?: number } | null)?.status;
  if (err instanceof URIError || status === 400) return new BadRequest('The request URL could not be decoded.');
  return new Fault(typeof status === 'number' && status >= 400 && status < 500 ? status : 500, 'An unexpected error prevented the server from fulfilling your request.');
}

function sendReply(res: Response, reply: Reply): void {
  res.status(reply.status);
  applyHeaders(res, res.locals.microversionHeaders);
  applyHeaders(res, reply.headers);
  if (reply.stream) {
    if (!res.getHeader('content-type')) res.setHeader('Content-Type', 'application/octet-stream');
    reply.stream.pipe(res);
    return;
  }
  if (reply.body === undefined) {
    if (reply.status !== 204 && reply.status !== 304) res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  // As bytes: Node sends them beside the head without first joining head and text into one
  // more string, and the young generation does not copy a body in flight at each collection.
  res.end(Buffer.from(JSON.stringify(reply.body)));
}

function sendFault(mount: ServiceMount, res: Response, req: Request, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const mapped = mapError(mount.errorStyle, err, req.accepts(['text/html', 'application/json']) === 'application/json');
  res.locals.error = err instanceof Fault ? err.message : String(err);
  res.status(mapped.status);
  applyHeaders(res, res.locals.microversionHeaders);
  applyHeaders(res, mapped.headers);
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(mapped.body));
}

/** Sets each header; a later call's value wins for a name set before. */
function applyHeaders(res: Response, headers: Record<string, string> | undefined): void {
  if (!headers) return;
  for (const k in headers) res.setHeader(k, headers[k]);
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Request id and one structured log line per request, for every service. */
export function requestLogging(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = `req-${randomUUID()}`;
    const started = process.hrtime.bigint();
    res.locals.requestId = requestId;
    res.setHeader('x-openstack-request-id', requestId);
    res.setHeader('x-compute-request-id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({
        request_id: requestId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        duration_ms: Math.round(ms * 10) / 10,
        project_id: res.locals.projectId,
        error: res.locals.error,
      }, 'request');
    });
    next();
  };
}
