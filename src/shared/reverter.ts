import type { Logger } from '../logger';

/** One undo step: what it removes (for the log) and how. */
export type Undo = () => Promise<unknown> | unknown;

/**
 * An undo stack for a multi-step change (Incus's shared/revert): `add(undo)` right after each
 * step that made something; on the way out `fail()` runs the undos newest first, logging each
 * one's own failure with its cause (never swallowed, never hiding the first error); `success()`
 * at the end clears them. `run` wraps the pattern: undos run when `fn` throws.
 */
export class Reverter {
  private undos: Array<{ what: string; undo: Undo }> = [];

  constructor(private readonly log: Logger, private readonly context: Record<string, unknown> = {}) {}

  /** Registers the undo of a step just done; `what` names it in the log. */
  add(what: string, undo: Undo): void {
    this.undos.push({ what, undo });
  }

  /** The change is complete: nothing is undone. */
  success(): void {
    this.undos = [];
  }

  /** Runs every registered undo, newest first; each failure is logged and the next still runs. */
  async fail(cause?: unknown): Promise<void> {
    const undos = this.undos.reverse();
    this.undos = [];
    for (const { what, undo } of undos) {
      try {
        await undo();
      } catch (err) {
        this.log.error({ ...this.context, err, cause: cause instanceof Error ? cause.message : cause, undo: what }, `undo failed: ${what}`);
      }
    }
  }

  /** `fn(reverter)`; its undos run when it throws (then the error is rethrown), else cleared. */
  static async run<T>(log: Logger, context: Record<string, unknown>, fn: (r: Reverter) => Promise<T>): Promise<T> {
    const r = new Reverter(log, context);
    try {
      const result = await fn(r);
      r.success();
      return result;
    } catch (err) {
      await r.fail(err);
      throw err;
    }
  }
}
