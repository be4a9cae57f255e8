/**
 * --wait: poll a resource until it settles. On a terminal, stderr shows one line that is
 * rewritten with the status and the elapsed time; in a pipe nothing is drawn. An error
 * status ends with a CliError carrying the fault message (non-zero exit).
 */
import type { CommandContext } from './command';
import { CliError } from './http';

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
