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
 * A best-effort step (a cleanup on a failure path, an undo, an optional record or reading):
 * runs `work` and answers its value; an error `expected` recognises (by default: the thing is
 * already gone) is dropped, any other is logged at warn with its cause and the resource ids, and
 * not thrown, so the caller's own outcome (often the first error) stands. On an error the
 * answer is undefined.
 */
export async function bestEffort<T>(
  log: Logger, what: string, ids: Record<string, unknown>, work: () => Promise<T>, expected: (err: unknown) => boolean = isGone,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    if (!expected(err)) log.warn({ ...ids, err }, `${what} failed`);
    return undefined;
  }
}

/**
 * The value of `work`, or null when it answers "not there" (`isGone`: a 404 fault or Docker
 * answer, a missing file): the expected absence handled as a value; any other error is thrown.
 */
export async function orNullIfGone<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}
