import type { Logger } from '../logger';

/**
 * A "not there (any more)" answer: a Snapstack fault or Docker answer with status 404, or a
 * missing file. What a cleanup expects when the thing it removes is already gone.
 */
export function isGone(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown };
  return e.status === 404 || e.statusCode === 404 || e.code === 'ENOENT';
}

/**
 * A best-effort step (a cleanup on a failure path, an undo, an optional record): runs `work`;
 * an error `expected` recognises (by default: the thing is already gone) is dropped, any other
 * is logged at warn with its cause and the resource ids, and not thrown, so the caller's own
 * outcome (often the first error) stands.
 */
export async function bestEffort(
  log: Logger, what: string, ids: Record<string, unknown>, work: () => Promise<unknown>, expected: (err: unknown) => boolean = isGone,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!expected(err)) log.warn({ ...ids, err }, `${what} failed`);
  }
}
