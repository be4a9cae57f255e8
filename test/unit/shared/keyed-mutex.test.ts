import { KeyedMutex, lockOrder } from '../../../src/shared/keyed-mutex';

const tick = () => new Promise((r) => setImmediate(r));

/** Starts fn under the locks; returns its promise and a way to let it finish. */
function holder(m: KeyedMutex, keys: string[], shared: string[] = []) {
  let finish!: () => void;
  let entered = false;
  const done = m.withLocks(keys, () => {
    entered = true;
    return new Promise<void>((r) => (finish = r));
  }, { shared });
  return { done, entered: () => entered, finish: () => finish() };
}

describe('KeyedMutex', () => {
  it('serialises holders of one key and leaves other keys free', async () => {
    const m = new KeyedMutex();
    const a = holder(m, ['v1']);
    const b = holder(m, ['v1']);
    const c = holder(m, ['v2']);
    await tick();
    expect([a.entered(), b.entered(), c.entered()]).toEqual([true, false, true]);
    a.finish();
    await a.done;
    await tick();
    expect(b.entered()).toBe(true);
    b.finish();
    c.finish();
    await Promise.all([b.done, c.done]);
    expect(m.holders('v1')).toBe(0);
  });

  it('shared holders run at once; an exclusive one waits for them all, and shared ones after it wait for it', async () => {
    const m = new KeyedMutex();
    const clone1 = holder(m, ['new1'], ['snap']);
    const clone2 = holder(m, ['new2'], ['snap']);
    await tick();
    expect([clone1.entered(), clone2.entered()]).toEqual([true, true]);
    expect(m.holders('snap')).toBe(2);
    const del = holder(m, ['snap']);
    const late = holder(m, ['new3'], ['snap']);
    await tick();
    expect([del.entered(), late.entered()]).toEqual([false, false]);
    clone1.finish();
    await clone1.done;
    await tick();
    expect(del.entered()).toBe(false);
    clone2.finish();
    await clone2.done;
    await tick();
    expect([del.entered(), late.entered()]).toEqual([true, false]);
    del.finish();
    await del.done;
    await tick();
    expect(late.entered()).toBe(true);
    late.finish();
    await late.done;
    expect(m.holders('snap')).toBe(0);
  });

  it('withLockIfFree runs only on a key nobody holds, shared or not, or waits for; never waits', async () => {
    const m = new KeyedMutex();
    expect(await m.withLockIfFree('k', async () => 'ran')).toEqual({ value: 'ran' });
    const reader = holder(m, [], ['k']);
    await tick();
    expect(await m.withLockIfFree('k', async () => 'ran')).toBeNull();
    reader.finish();
    await reader.done;
    const inside = m.withLockIfFree('k', async () => {
      // Held exclusive: a shared taker waits for it.
      const late = holder(m, [], ['k']);
      await tick();
      expect(late.entered()).toBe(false);
      return late;
    });
    const late = (await inside)!.value;
    await tick();
    expect(late.entered()).toBe(true);
    late.finish();
    await late.done;
    expect(m.holders('k')).toBe(0);
  });

  it('takes keys in one sorted order; a key named both ways is exclusive', () => {
    expect(lockOrder(['b', 'a'], { shared: ['c', 'a'] })).toEqual([
      { key: 'a', shared: false }, { key: 'b', shared: false }, { key: 'c', shared: true },
    ]);
  });
});
