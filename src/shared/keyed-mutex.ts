/**
 * In-process async mutex keyed by string (a volume or server id). `withLocks` takes
 * several keys in sorted order, so two multi-key holders cannot deadlock.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.withLocks([key], fn);
  }

  async withLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      // Drop the entry once nobody queued behind us, so the map does not grow forever.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

/** Runs tasks one at a time, in order (background flattening). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  push<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.tail.then(task, task);
    this.tail = run.then(
      () => this.pending--,
      () => this.pending--,
    );
    return run;
  }

  /** Resolves when every task queued so far has settled. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }
}

/**
 * Shared holds on keys (a snapshot read as a clone source): any number at once, none
 * exclusive. Whoever must not act while a key is held (a delete) waits with `whenFree`,
 * which resolves once no hold is left, checked synchronously so the caller can act on it
 * before anything else runs.
 */
export class UseCounts {
  private readonly counts = new Map<string, number>();
  private readonly waiters = new Map<string, Array<() => void>>();

  /** Holds `key` until the returned release is called (once). */
  hold(key: string): () => void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.counts.get(key) ?? 1) - 1;
      if (n > 0) return void this.counts.set(key, n);
      this.counts.delete(key);
      const waiting = this.waiters.get(key) ?? [];
      this.waiters.delete(key);
      for (const wake of waiting) wake();
    };
  }

  inUse(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Resolves when `key` has no hold; loop on `inUse` after it when acting must follow at once. */
  async whenFree(key: string): Promise<void> {
    while (this.inUse(key) > 0) {
      await new Promise<void>((resolve) => this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]));
    }
  }
}
