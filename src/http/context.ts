import type { Request } from 'express';
import type { Logger } from '../logger';
import type { Microversion } from './microversion';

/** Who is calling: what a validated token says. */
export interface AuthContext {
  tokenId: string;
  userId: string;
  userName: string;
  projectId: string | null;
  projectName: string | null;
  roles: string[];
  isAdmin: boolean;
  expiresAt: Date;
}

/**
 * What a handler sees of a request: parsed, validated, authenticated. `Body` and `Params` are
 * the operation's own (see `OperationContext`); untyped code sees `unknown` and plain strings.
 */
export interface RequestContext<Body = unknown, Params extends Record<string, string> = Record<string, string>> {
  operationId: string;
  params: Params;
  query: Record<string, string | string[]>;
  body: Body;
  headers: Record<string, string | string[] | undefined>;
  auth: AuthContext | null;
  microversion: Microversion | null;
  requestId: string;
  /** Public base URL of the service root, e.g. http://127.0.0.1:8700/compute */
  serviceUrl: string;
  /** Public base URL of Snapstack itself, e.g. http://127.0.0.1:8700 */
  publicUrl: string;
  log: Logger;
  req: Request;
}

export interface StreamBody {
  pipe(dest: NodeJS.WritableStream): unknown;
}

/** What a handler returns; the router writes it. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw bytes instead of JSON (image data). */
  stream?: NodeJS.ReadableStream;
}

export type Handler = (ctx: RequestContext) => Promise<Reply>;
export type Handlers = Record<string, Handler>;

/** The JSON body of a generated operation (undefined when optional and absent, or not JSON). */
type JsonContent<C> = { [K in keyof C]: K extends `${string}json${string}` ? C[K] : never }[keyof C];
type JsonBody<C> = [JsonContent<C>] extends [never] ? undefined : JsonContent<C>;
export type BodyOf<O> = O extends { requestBody: { content: infer C } }
  ? JsonBody<C>
  : O extends { requestBody?: { content: infer C } }
    ? JsonBody<C> | undefined
    : undefined;

/** The path parameters of a generated operation; the router hands them over as strings. */
export type ParamsOf<O> = O extends { parameters: { path: infer P } }
  ? [P] extends [never] ? Record<never, string> : { [K in keyof P]-?: string }
  : Record<never, string>;

/** The context of one generated operation: its body as validated against the spec, its path. */
export type OperationContext<O> = RequestContext<BodyOf<O>, ParamsOf<O>>;

/** Handlers keyed by the spec's operationIds, each seeing its own operation's typed context. */
export type TypedHandlers<Ops> = { [K in keyof Ops]?: (ctx: OperationContext<Ops[K]>) => Promise<Reply> };

/**
 * The router's view of typed handlers. Sound because the router validates each body against
 * its operation's schema (request-input.ts) before a handler runs, and path parameters are the
 * route's own names.
 */
export function typedHandlers<Ops>(handlers: TypedHandlers<Ops>): Handlers {
  return handlers as Handlers;
}

/** The authenticated caller, or a fault when the route was public (a programming error). */
export function requireAuth(ctx: RequestContext): AuthContext {
  if (!ctx.auth) throw new Error(`operation ${ctx.operationId} needs authentication`);
  return ctx.auth;
}

export function queryString(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function queryList(ctx: RequestContext, name: string): string[] {
  const v = ctx.query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
