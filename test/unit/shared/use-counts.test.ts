import { UseCounts } from '../../../src/shared/keyed-mutex';

const tick = () => new Promise((r) => setImmediate(r));

describe('UseCounts', () => {
  it('holds are shared: any number at once, counted per key', () => {
    const uses = new UseCounts();
    const a = uses.hold('s1');
    const b = uses.hold('s1');
    uses.hold('s2');
    expect(uses.inUse('s1')).toBe(2);
    a();
    a(); // a release counts once
    expect(uses.inUse('s1')).toBe(1);
    b();
    expect(uses.inUse('s1')).toBe(0);
    expect(uses.inUse('s2')).toBe(1);
  });

  it('whenFree resolves at once for a free key, and only after the last hold goes otherwise', async () => {
    const uses = new UseCounts();
    await uses.whenFree('free');
    const first = uses.hold('k');
    const second = uses.hold('k');
    let freed = false;
    const waiting = uses.whenFree('k').then(() => (freed = true));
    first();
    await tick();
    expect(freed).toBe(false);
    // A hold taken while someone waits keeps it waiting.
    const third = uses.hold('k');
    second();
    await tick();
    expect(freed).toBe(false);
    third();
    await waiting;
    expect(freed).toBe(true);
    expect(uses.inUse('k')).toBe(0);
  });
});
