/**
 * Validated tokens, kept in the process for a short time so an authenticated request costs no
 * query (one server owns the database) or one tiny one (replicas sharing PostgreSQL), instead of the join.
 *
 * Invalidation is by an identity epoch: a counter in the database that every change a token's
 * validity depends on (revocation, user or project disabled, changed or deleted, password
 * changed, role assignments changed, reset) moves after its write. Each entry remembers the
 * epoch it was read with (in the same query as the token, so from the same snapshot).
 * - This process's own changes clear the cache at once (`invalidate()`).
 * - With `shared` (replicas: several Snapstack processes on one database), a hit is
 *   trusted only after reading the epoch again (one primary-key read, shared by concurrent
 *   requests: freshEpoch): a change made through another process is seen on the very next request. LISTEN/NOTIFY was the alternative, but
 *   its delivery is asynchronous (a request reaching this process right after another one
 *   answered a revocation could still hit), it needs a connection of its own per process, and
 *   it does not pass transaction-mode poolers; the epoch read is exact and costs about as much
 *   as one notification check.
 * - Without it (one server, embedded database or DATABASE_URL: it holds the database's lock, see
 *   lockDatabase), changes can only come from this process, so a hit costs nothing.
 * Negative answers are never kept; an entry lives `ttlMs` at most in any case.
 */
export interface TokenCacheOptions {
  /** Several processes share the database: check the epoch on every hit. */
  shared: boolean;
  /** How long an entry is trusted at most. */
  ttlMs: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries: number;
  now?: () => number;
}

export interface Loaded<T> {
  /** null: unknown, revoked, expired or otherwise invalid (not kept). */
  value: T | null;
  /** The identity epoch read with it. */
  epoch: string;
}

interface Entry<T> { value: T; epoch: string; storedAt: number }

export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Moves with every local invalidation: a load that overlapped one is not kept. */
  private generation = 0;
  /** The epoch read in flight, and the one queued to start when it settles (freshEpoch). */
  private epochInFlight: Promise<string> | null = null;
  private epochQueued: Promise<string> | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: TokenCacheOptions, private readonly readEpoch: () => Promise<string>) {
    this.now = opts.now ?? Date.now;
  }

  /** The cached value for `id`, or what `load` finds (kept when valid). */
  async get(id: string, load: () => Promise<Loaded<T>>): Promise<T | null> {
    const hit = this.entries.get(id);
    if (hit) {
      if (this.now() - hit.storedAt >= this.opts.ttlMs) {
        this.entries.delete(id);
      } else if (!this.opts.shared) {
        return hit.value;
      } else {
        const generation = this.generation;
        const epoch = await this.freshEpoch();
        if (epoch === hit.epoch && generation === this.generation) return hit.value;
        if (epoch !== hit.epoch) this.invalidate(); // changed elsewhere: every entry is older than that
      }
    }
    const generation = this.generation;
    const loaded = await load();
    if (loaded.value !== null && generation === this.generation) {
      this.entries.delete(id);
      this.entries.set(id, { value: loaded.value, epoch: loaded.epoch, storedAt: this.now() });
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= this.opts.maxEntries) break;
        this.entries.delete(oldest);
      }
    }
    return loaded.value;
  }

  /**
   * The identity epoch as read by a query issued after this call. Concurrent callers share
   * reads: one arriving while a read is in flight (perhaps sent before it arrived, so blind to a
   * change made just before) waits for the next read, which is shared by every caller that
   * arrived meanwhile. Ten concurrent requests on cached tokens then cost about two epoch
   * queries, not ten, and each still sees every change committed before it arrived.
   */
  private freshEpoch(): Promise<string> {
    if (!this.epochInFlight) {
      const read: Promise<string> = this.readEpoch().finally(() => {
        if (this.epochInFlight === read) this.epochInFlight = null;
      });
      this.epochInFlight = read;
      return read;
    }
    this.epochQueued ??= this.epochInFlight.then(() => undefined, () => undefined).then(() => {
      this.epochQueued = null;
      return this.freshEpoch();
    });
    return this.epochQueued;
  }

  /** Forget everything: something a token's validity depends on changed here. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
