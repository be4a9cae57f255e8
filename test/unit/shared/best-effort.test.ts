import { bestEffort, isGone, orNullIfGone } from '../../../src/shared/best-effort';
import { NotFound } from '../../../src/http/faults';
import { capturedLog } from '../../support/log-capture';


describe('bestEffort', () => {
  it('drops an already-gone answer silently (Snapstack 404, Docker 404, ENOENT)', async () => {
    const { log, lines } = capturedLog();
    await bestEffort(log, 'removing x', { id: 'a' }, async () => { throw new NotFound('gone'); });
    await bestEffort(log, 'removing x', { id: 'a' }, async () => { throw Object.assign(new Error('no such container'), { statusCode: 404 }); });
    await bestEffort(log, 'removing x', { id: 'a' }, async () => { throw Object.assign(new Error('missing'), { code: 'ENOENT' }); });
    expect(lines).toEqual([]);
  });

  it('logs any other failure at warn with its cause and the ids, and does not throw', async () => {
    const { log, lines } = capturedLog();
    await expect(bestEffort(log, 'removing the image', { image_id: 'img-1' }, async () => { throw new Error('engine on fire'); })).resolves.toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, image_id: 'img-1', msg: 'removing the image failed', err: { message: 'engine on fire' } });
  });

  it('catches a synchronous throw of the work too, and honours a caller-given expectation', async () => {
    const { log, lines } = capturedLog();
    await bestEffort(log, 'x', {}, () => { throw Object.assign(new Error('busy'), { statusCode: 409 }); }, (err) => isGone(err) || (err as { statusCode?: number }).statusCode === 409);
    expect(lines).toEqual([]);
    await bestEffort(log, 'x', {}, () => { throw new Error('sync'); });
    expect(lines).toHaveLength(1);
  });

  it('runs the work once when it succeeds, logging nothing', async () => {
    const { log, lines } = capturedLog();
    const work = jest.fn(async () => 'ok');
    await expect(bestEffort(log, 'x', {}, work)).resolves.toBe('ok');
    expect(work).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([]);
    expect(isGone(null)).toBe(false);
    expect(isGone({ status: 500 })).toBe(false);
  });
});

describe('orNullIfGone', () => {
  it('turns "not there" (404 fault, Docker 404, ENOENT) into null and answers a value otherwise', async () => {
    await expect(orNullIfGone(Promise.reject(new NotFound('gone')))).resolves.toBeNull();
    await expect(orNullIfGone(Promise.reject(Object.assign(new Error('no such image'), { statusCode: 404 })))).resolves.toBeNull();
    await expect(orNullIfGone(Promise.reject(Object.assign(new Error('missing'), { code: 'ENOENT' })))).resolves.toBeNull();
    await expect(orNullIfGone(Promise.resolve(7))).resolves.toBe(7);
  });

  it('throws any other error: it is not an absence', async () => {
    await expect(orNullIfGone(Promise.reject(new Error('engine on fire')))).rejects.toThrow('engine on fire');
    await expect(orNullIfGone(Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })))).rejects.toThrow('denied');
  });
});
