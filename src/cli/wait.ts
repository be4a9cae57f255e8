/**
 * --wait: poll a resource until it settles. On a terminal, stderr shows one line that is
 * rewritten with the status and the elapsed time; in a pipe nothing is drawn. An error
 * status ends with a CliError carrying the fault message (non-zero exit).
 */
import type { CommandContext } from './command';
import { ApiError, CliError } from './http';

export interface WaitSpec<T> {
  /** e.g. "server web1" */
  label: string;
  /** The current resource, or null when it is gone (404). */
  fetch(): Promise<T | null>;
  /** Status shown in the progress line (e.g. "BUILD (spawning)"). */
  describe(r: T | null): string;
  /** True when the wait is over successfully. */
  done(r: T | null): boolean;
  /** A failure message when the resource reached an error state, else undefined. */
  failure(r: T | null): string | undefined;
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export async function waitFor<T>(ctx: CommandContext, spec: WaitSpec<T>): Promise<T | null> {
  const started = Date.now();
  const draw = (text: string) => { if (ctx.stderrIsTTY) ctx.err(`\r\x1b[K${text}`); };
  for (;;) {
    const r = await spec.fetch();
    const status = spec.describe(r);
    const failure = spec.failure(r);
    if (failure !== undefined) {
      draw('');
      throw new CliError(failure);
    }
    if (spec.done(r)) {
      draw(`${spec.label}: ${status} after ${elapsed(Date.now() - started)}\n`);
      return r;
    }
    if (Date.now() - started > ctx.waitTimeoutMs) {
      draw('');
      throw new CliError(`Timed out after ${elapsed(Date.now() - started)} waiting for ${spec.label} (status ${status})`);
    }
    draw(`Waiting for ${spec.label}: ${status} ${elapsed(Date.now() - started)}`);
    await new Promise((resolve) => setTimeout(resolve, ctx.waitIntervalMs));
  }
}

/**
 * A Cinder resource (volume, snapshot) until it is `until`, or gone when that is 'deleted' (a
 * 404 then); an error status fails the wait.
 */
export function waitCinder<T extends { status: string }>(ctx: CommandContext, spec: {
  kind: 'Volume' | 'Snapshot'; id: string; label: string; until: 'available' | 'deleted';
  get(): Promise<T>;
  /** The progress line's status (default: the status). */
  describe?(r: T): string;
}): Promise<T | null> {
  const { kind, id, label, until } = spec;
  return waitFor<T>(ctx, {
    label: `${kind.toLowerCase()} ${label}`,
    fetch: async () => {
      try {
        return await spec.get();
      } catch (err) {
        if (until === 'deleted' && err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    describe: (v) => (v ? spec.describe?.(v) ?? v.status : 'deleted'),
    done: (v) => (until === 'deleted' ? v === null : v?.status === until),
    failure: (v) => (v && /^error/.test(v.status) ? `${kind} ${label} (${id}) went to status ${v.status}` : undefined),
  });
}
