import { flavorProblem, type SourceRow } from '../../../web/src/launch-rules';
import { ApiError, ok, serviceMessage } from '../../../web/src/api/errors';

const flavor = (name: string, ram: number, disk: number) => ({ id: name, name, ram, disk, vcpus: 1 });
const source = (minDisk: number, minRam = 0): SourceRow => ({ id: 's', name: 's', size: '0', created: '', minDisk, minRam, volumeSize: 1 });

describe('flavorProblem (Launch Instance, Flavor step)', () => {
  test('an instance snapshot needs the flavor disk to reach its min_disk, and says why not', () => {
    expect(flavorProblem(flavor('m1.tiny', 512, 1), source(20), 'instance_snapshot', false)).toBe("Disk 1 GiB is below the source's minimum of 20 GiB");
    expect(flavorProblem(flavor('m1.small', 2048, 20), source(20), 'instance_snapshot', false)).toBeNull();
  });

  test('a volume-backed boot does not use the flavor disk; RAM always counts', () => {
    expect(flavorProblem(flavor('m1.zero', 512, 0), source(5), 'image', true)).toBeNull();
    expect(flavorProblem(flavor('m1.zero', 512, 0), source(5), 'volume', false)).toBeNull();
    expect(flavorProblem(flavor('m1.zero', 512, 0), source(5), 'image', false)).toBe("Disk 0 GiB is below the source's minimum of 5 GiB");
    expect(flavorProblem(flavor('m1.tiny', 512, 1), source(0, 1024), 'volume_snapshot', false)).toBe("RAM 512 MiB is below the source's minimum of 1024 MiB");
  });

  test('both reasons at once; nothing allocated yet means no problem', () => {
    expect(flavorProblem(flavor('m1.tiny', 512, 1), source(20, 2048), 'image', false)).toBe(
      "Disk 1 GiB is below the source's minimum of 20 GiB; RAM 512 MiB is below the source's minimum of 2048 MiB",
    );
    expect(flavorProblem(flavor('m1.tiny', 512, 1), undefined, 'image', false)).toBeNull();
  });
});

describe('serviceMessage (the service text the dashboard shows)', () => {
  test.each([
    ['Nova/Cinder', { badRequest: { code: 400, message: 'Invalid volume' } }, 'Invalid volume'],
    ['Keystone/Snapstack', { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }, 'The request you have made requires authentication.'],
    ['Glance', { message: 'Image not found', code: '404 Not Found', title: 'Not Found' }, 'Image not found'],
    ['plain text', 'Bad gateway ', 'Bad gateway'],
  ])('%s', (_shape, body, text) => {
    expect(serviceMessage(body, 400)).toBe(text);
  });

  test('an empty body still says what happened', () => {
    expect(serviceMessage(undefined, 503)).toBe('Request failed with status 503');
  });

  test('ok() returns the data or throws an ApiError with the status and text', () => {
    const response = (status: number) => ({ ok: status < 400, status }) as Response;
    expect(ok({ data: { a: 1 }, response: response(200) })).toEqual({ a: 1 });
    const err = (() => { try { ok({ error: { itemNotFound: { message: 'Snapshot x could not be found.' } }, response: response(404) }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).message).toBe('Snapshot x could not be found.');
  });
});
