/**
 * Name-or-id resolution, the openstack client's way: GET by id; on 404 (or 400) list with a
 * name filter and keep exact matches; none -> "No <resource> with a name or ID of 'x' exists.",
 * several -> "More than one <resource> exists with the name 'x'."
 */
import { ApiError, CliError } from './http';
import type { ServiceKind, ServiceRequestOptions, Session } from './auth';
import type { JsonObject, Link } from './wire';

export interface Finder<T> {
  /** e.g. 'server', 'volume', 'snapshot' (the word in the messages). */
  resource: string;
  /** The resource by id; throws ApiError 404/400 when there is none. */
  get(id: string): Promise<T>;
  /** Candidates for a name (the API's name filter; may return more, exact match is checked here). */
  list(name: string): Promise<T[]>;
  /** Further candidates when the first list has no match (Glance's hidden images). */
  fallbackList?(name: string): Promise<T[]>;
}

const isMissing = (err: unknown) => err instanceof ApiError && (err.status === 404 || err.status === 400);

export async function findResource<T extends { id?: unknown; name?: unknown }>(finder: Finder<T>, nameOrId: string): Promise<T> {
  try {
    return await finder.get(nameOrId);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  const match = (items: T[]) => items.filter((x) => x.name === nameOrId || x.id === nameOrId);
  let found = match(await finder.list(nameOrId));
  if (found.length === 0 && finder.fallbackList) found = match(await finder.fallbackList(nameOrId));
  if (found.length > 1) throw new CliError(`More than one ${finder.resource} exists with the name '${nameOrId}'.`);
  if (found.length === 0) throw new CliError(`No ${finder.resource} with a name or ID of '${nameOrId}' exists.`);
  return found[0];
}

/** Runs `fn` on each name, reporting failures one per line like OSC's delete commands. */
export async function forEachTarget(
  names: string[],
  fn: (name: string) => Promise<void>,
  report: (line: string) => void,
  messages: { failedOne: (name: string, err: string) => string; failedSome: (failed: number, total: number) => string },
): Promise<void> {
  let failed = 0;
  for (const name of names) {
    try {
      await fn(name);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      failed++;
      report(messages.failedOne(name, err.message));
    }
  }
  if (failed > 0) throw new CliError(messages.failedSome(failed, names.length));
}

/** OSC's `set` commands: every part is tried, each failure reported on its own line, one error at the end. */
export class SetOperations {
  private failed = 0;

  constructor(private readonly report: (line: string) => void) {}

  fail(message: string): void {
    this.failed++;
    this.report(`${message}\n`);
  }

  async attempt(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      this.fail(`Failed to ${what}: ${err.message}`);
    }
  }

  finish(): void {
    if (this.failed) throw new CliError('One or more of the set operations failed');
  }
}

export const q = encodeURIComponent;

/** Every item of a Nova or Cinder collection, following its `<key>_links` rel=next pages. */
export async function listAll<T>(s: Session, kind: ServiceKind, key: string, firstPath: string, opts: ServiceRequestOptions = {}): Promise<T[]> {
  const out: T[] = [];
  let path: string | undefined = firstPath;
  while (path) {
    const res: { body: JsonObject | undefined } = await s.request<JsonObject | undefined>(kind, 'GET', path, opts);
    const items = res.body?.[key];
    if (Array.isArray(items)) out.push(...(items as T[]));
    const links: unknown = res.body?.[`${key}_links`];
    path = Array.isArray(links) ? (links as Link[]).find((l) => l.rel === 'next')?.href : undefined;
  }
  return out;
}
