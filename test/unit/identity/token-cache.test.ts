import { Loaded, TokenCache } from '../../../src/identity/token-cache';

/** A fake database: a token table and the identity epoch, with query counts. */
class FakeDb {
  epoch = 0;
  valid = new Map<string, string>();
  loads = 0;
  epochReads = 0;
  async load(id: string): Promise<Loaded<string>> {
    this.loads++;
    return { value: this.valid.get(id) ?? null, epoch: String(this.epoch) };
  }
  async readEpoch(): Promise<string> {
    this.epochReads++;
    return String(this.epoch);
  }
  /** A write a token depends on, as another process makes it: the row, then the epoch. */
  revoke(id: string): void {
    this.valid.delete(id);
    this.epoch++;
  }
}

function setup(shared: boolean, opts: { ttlMs?: number; maxEntries?: number } = {}) {
  const db = new FakeDb();
  let clock = 1_000;
  const cache = new TokenCache<string>({ shared, ttlMs: opts.ttlMs ?? 10_000, maxEntries: opts.maxEntries ?? 100, now: () => clock }, () => db.readEpoch());
  const get = (id: string) => cache.get(id, () => db.load(id));
  return { db, cache, get, tick: (ms: number) => { clock += ms; } };
}

describe('token cache', () => {
  it('embedded (one process): a hit costs no query; a local invalidation is seen at once', async () => {
    const { db, cache, get } = setup(false);
    db.valid.set('t1', 'alice');
    expect(await get('t1')).toBe('alice');
    expect(await get('t1')).toBe('alice');
    expect(await get('t1')).toBe('alice');
    expect(db.loads).toBe(1);
    expect(db.epochReads).toBe(0);
    db.revoke('t1');
    cache.invalidate();
    expect(await get('t1')).toBeNull();
    expect(db.loads).toBe(2);
  });

  it('shared database: a hit reads only the epoch, and a change made by another process is seen on the next request', async () => {
    const { db, get } = setup(true);
    db.valid.set('t1', 'alice');
    db.valid.set('t2', 'bob');
    expect(await get('t1')).toBe('alice');
    expect(await get('t2')).toBe('bob');
    expect(await get('t1')).toBe('alice');
    expect(db.loads).toBe(2);
    expect(db.epochReads).toBe(1);
    db.revoke('t1'); // elsewhere: no local invalidate()
    expect(await get('t1')).toBeNull();
    // Every entry was older than the change: t2 is read again too, then cached at the new epoch.
    expect(await get('t2')).toBe('bob');
    expect(db.loads).toBe(4);
    expect(await get('t2')).toBe('bob');
    expect(db.loads).toBe(4);
  });

  it('never keeps a negative answer', async () => {
    const { db, get } = setup(false);
    expect(await get('t1')).toBeNull();
    db.valid.set('t1', 'alice');
    expect(await get('t1')).toBe('alice');
  });

  it('drops an entry after its TTL', async () => {
    const { db, get, tick } = setup(false, { ttlMs: 5_000 });
    db.valid.set('t1', 'alice');
    await get('t1');
    tick(4_999);
    await get('t1');
    expect(db.loads).toBe(1);
    tick(1);
    await get('t1');
    expect(db.loads).toBe(2);
  });

  it('does not keep a load that overlapped an invalidation (it may have read the state before it)', async () => {
    const { db, cache } = setup(false);
    db.valid.set('t1', 'alice');
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow = cache.get('t1', async () => {
      const loaded = await db.load('t1'); // read before the revocation
      await gate;
      return loaded;
    });
    db.revoke('t1');
    cache.invalidate();
    release();
    expect(await slow).toBe('alice'); // that request began before the revocation
    expect(await cache.get('t1', () => db.load('t1'))).toBeNull();
  });

  it('keeps at most maxEntries, the oldest going first', async () => {
    const { db, cache, get } = setup(false, { maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) db.valid.set(id, id);
    await get('a');
    await get('b');
    await get('c');
    expect(cache.size).toBe(2);
    await get('b');
    await get('c');
    expect(db.loads).toBe(3);
    await get('a');
    expect(db.loads).toBe(4);
  });
});
