import { Reverter } from '../../../src/shared/reverter';
import { capturedLog } from '../../support/log-capture';

describe('Reverter', () => {
  test('fail runs undos newest first; one undo failing is logged with its cause and the next still runs', async () => {
    const { log, lines } = capturedLog();
    const order: string[] = [];
    const r = new Reverter(log, { op: 'test' });
    r.add('first', () => order.push('first'));
    r.add('second', () => { throw new Error('disk gone'); });
    r.add('third', async () => order.push('third'));
    await r.fail(new Error('step 4 failed'));
    expect(order).toEqual(['third', 'first']);
    const err = lines.find((l) => l.undo === 'second');
    expect(err).toMatchObject({ op: 'test', cause: 'step 4 failed', err: { message: 'disk gone' } });
    // Undos run once.
    await r.fail();
    expect(order).toEqual(['third', 'first']);
  });

  test('success clears; run undoes only when fn throws, and rethrows', async () => {
    const { log } = capturedLog();
    const undone: string[] = [];
    await expect(Reverter.run(log, {}, async (r) => { r.add('a', () => undone.push('a')); return 7; })).resolves.toBe(7);
    expect(undone).toEqual([]);
    await expect(Reverter.run(log, {}, async (r) => { r.add('b', () => undone.push('b')); throw new Error('boom'); })).rejects.toThrow('boom');
    expect(undone).toEqual(['b']);
  });
});
