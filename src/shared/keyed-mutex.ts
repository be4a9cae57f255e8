/** Which keys a holder takes shared (the rest exclusive): a key named in both is exclusive. */
export interface LockOptions {
  shared?: string[];
}

/** The keys of one acquisition, in the one order every holder takes them (sorted), with their mode. */
export function lockOrder(keys: string[], opts: LockOptions = {}): Array<{ key: string; shared: boolean }> {
  const exclusive = new Set(keys);
  return [...new Set([...keys, ...(opts.shared ?? [])])].sort().map((key) => ({ key, shared: !exclusive.has(key) }));
}

interface KeyState {
  holders: number;
  exclusive: boolean;
  queue: Array<{ shared: boolean; grant: () => void }>;
}

/**
 * In-process async locks keyed by string (a volume or server id), exclusive unless taken
 * shared: a snapshot read as a clone source is held shared by any number of clones at once,
 * while its delete, exclusive, waits for them all. Waiters are served in arrival order, so
 * shared holders arriving after a waiting exclusive one wait behind it (it is not starved).
 * `withLocks` takes several keys in sorted order, so two multi-key holders cannot deadlock.
 */
export class KeyedMutex {
  private readonly keys = new Map<string, KeyState>();

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.withLocks([key], fn);
  }

  async withLocks<T>(keys: string[], fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
    const releases: Array<() => void> = [];
    try {
      for (const { key, shared } of lockOrder(keys, opts)) releases.push(await this.acquire(key, shared));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Runs `fn` holding `key` exclusive if nobody holds or waits for it now; null (without running it) otherwise. */
  async withLockIfFree<T>(key: string, fn: () => Promise<T>): Promise<{ value: T } | null> {
    const release = this.tryAcquire(key);
    if (!release) return null;
    try {
      return { value: await fn() };
    } finally {
      release();
    }
  }

  /** How many hold `key` now (tests, logs). */
  holders(key: string): number {
    return this.keys.get(key)?.holders ?? 0;
  }

  private acquire(key: string, shared: boolean): Promise<() => void> {
    const now = this.tryAcquire(key, shared);
    if (now) return Promise.resolve(now);
    const st = this.state(key);
    return new Promise((resolve) => st.queue.push({ shared, grant: () => resolve(this.releaser(key, st)) }));
  }

  /** The hold of `key` if it can be granted now (nobody waits, and nobody holds it or, shared, only sharers do), else null. */
  private tryAcquire(key: string, shared = false): (() => void) | null {
    const st = this.state(key);
    if (st.queue.length > 0 || (st.holders > 0 && (!shared || st.exclusive))) return null;
    st.holders++;
    st.exclusive = !shared;
    return this.releaser(key, st);
  }

  private state(key: string): KeyState {
    let st = this.keys.get(key);
    if (!st) this.keys.set(key, (st = { holders: 0, exclusive: false, queue: [] }));
    return st;
  }

  private releaser(key: string, st: KeyState): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      st.holders--;
      if (st.holders === 0) st.exclusive = false;
      this.pump(st);
      this.dropIfIdle(key, st);
    };
  }

  /** Drops the entry once nobody holds or waits, so the map does not grow forever. */
  private dropIfIdle(key: string, st: KeyState): void {
    if (st.holders === 0 && st.queue.length === 0 && this.keys.get(key) === st) this.keys.delete(key);
  }

  /** Grants the waiters at the head of the queue that can hold the key now. */
  private pump(st: KeyState): void {
    while (st.queue.length > 0) {
      const head = st.queue[0];
      if (st.holders > 0 && (st.exclusive || !head.shared)) return;
      st.queue.shift();
      st.holders++;
      st.exclusive = !head.shared;
      head.grant();
    }
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
