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

/** What a handler sees of a request: parsed, validated, authenticated. */
export interface RequestContext {
  operationId: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  body: any;
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
