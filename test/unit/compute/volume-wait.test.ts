/**
 * A build waiting for its volume (waitForMadeVolume) is woken when the volume's job ends in this
 * process, not at its next poll: with the clock stopped (fake timers), no poll ever comes, and the
 * wait still ends. Without such an end (another replica's job), it polls; when every job's end is
 * seen here (no replicas), it reads the volume only when woken (and once a second, a safety net).
 * A build's watch started before it asks for the volume skips the first read until the job ends.
 */
import { VolumeWatch, waitForMadeVolume } from '../../../src/compute/server-lifecycle';
import type { EndedJob } from '../../../src/jobs/jobs-api';
import type { VolumeRecord } from '../../../src/volume/volume-api';

function fakes(statuses: string[], seesEveryJobEnd = false) {
  const listeners = new Set<(job: EndedJob) => void>();
  let reads = 0;
  let status = statuses[0];
  let read!: () => void;
  let nextRead = new Promise<void>((r) => (read = r));
  return {
    volumes: {
      getVolume: async (_project: string, id: string) => {
        reads++;
        const r = read;
        nextRead = new Promise<void>((res) => (read = res));
        r();
        return { id, status } as VolumeRecord;
      },
    },
    jobs: {
      seesEveryJobEnd,
      onJobEnd: (l: (job: EndedJob) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
    end: (resourceId: string, next: string) => {
      status = next;
      for (const l of listeners) l({ id: 'j', kind: 'volume.create', resourceType: 'volume', resourceId });
    },
    reads: () => reads,
    listening: () => listeners.size,
    nextRead: () => nextRead,
  };
}

afterEach(() => jest.useRealTimers());

/** A build's wait for vol-1, once it has read the volume a first time. */
async function waitingFor(f: ReturnType<typeof fakes>): Promise<{ made: Promise<VolumeRecord> }> {
  const first = f.nextRead();
  const made = waitForMadeVolume(f.volumes, f.jobs, 'p', 'vol-1');
  await first;
  return { made };
}

test('woken at once when the volume\'s job ends here, without waiting for a poll; then it stops listening', async () => {
  jest.useFakeTimers();
  const f = fakes(['creating']);
  const { made } = await waitingFor(f);
  await Promise.resolve();
  f.end('vol-2', 'creating'); // another volume's job: no wake
  expect(f.reads()).toBe(1);
  f.end('vol-1', 'available');
  await expect(made).resolves.toMatchObject({ id: 'vol-1', status: 'available' });
  expect(f.reads()).toBe(2);
  expect(jest.getTimerCount()).toBe(0);
  expect(f.listening()).toBe(0);
});

test('without a job end here (another replica ran it), it polls until the volume is made; an error status fails the build', async () => {
  const f = fakes(['creating']);
  const made = waitForMadeVolume(f.volumes, f.jobs, 'p', 'vol-1');
  await f.nextRead();
  await f.nextRead();
  f.end('elsewhere', 'available'); // the status changed, told to no one of vol-1
  await expect(made).resolves.toMatchObject({ status: 'available' });
  expect(f.reads()).toBeGreaterThanOrEqual(3);

  const g = fakes(['creating']);
  const failed = waitForMadeVolume(g.volumes, g.jobs, 'p', 'vol-9');
  await g.nextRead();
  g.end('vol-9', 'error');
  await expect(failed).rejects.toThrow('Volume vol-9 did not finish being created. And its status is error.');
  expect(g.listening()).toBe(0);
});

test('when every job ends here (no replicas), it reads the volume only when woken, not every 50 ms', async () => {
  jest.useFakeTimers();
  const f = fakes(['creating'], true);
  const { made } = await waitingFor(f);
  await jest.advanceTimersByTimeAsync(900);
  expect(f.reads()).toBe(1);
  f.end('vol-1', 'available');
  await expect(made).resolves.toMatchObject({ status: 'available' });
  expect(f.reads()).toBe(2);
  expect(jest.getTimerCount()).toBe(0);
});

test('the safety look still comes when no end is told (every second)', async () => {
  jest.useFakeTimers();
  const f = fakes(['creating'], true);
  const { made } = await waitingFor(f);
  f.end('elsewhere', 'available'); // the status changed, told to no one of vol-1
  await jest.advanceTimersByTimeAsync(1_000);
  await expect(made).resolves.toMatchObject({ status: 'available' });
  expect(f.reads()).toBe(2);
});

test('a volume the build asked for, watched from before: no read until its job ends (no replicas), then one', async () => {
  jest.useFakeTimers();
  const f = fakes(['creating'], true);
  const watch = new VolumeWatch(f.jobs, 'vol-1', true);
  const made = watch.made(f.volumes, 'p');
  await jest.advanceTimersByTimeAsync(500);
  expect(f.reads()).toBe(0);
  f.end('vol-1', 'available');
  await expect(made).resolves.toMatchObject({ status: 'available' });
  expect(f.reads()).toBe(1);
  watch.stop();
  expect(f.listening()).toBe(0);
});

test('a watched volume whose job ended before the wait is read at once; with replicas it is read first anyway', async () => {
  const f = fakes(['creating'], true);
  const watch = new VolumeWatch(f.jobs, 'vol-1', true);
  f.end('vol-1', 'available'); // the clone finished before the build came to wait
  await expect(watch.made(f.volumes, 'p')).resolves.toMatchObject({ status: 'available' });
  expect(f.reads()).toBe(1);
  watch.stop();

  const g = fakes(['available'], false);
  const replicated = new VolumeWatch(g.jobs, 'vol-1', true);
  await expect(replicated.made(g.volumes, 'p')).resolves.toMatchObject({ status: 'available' });
  expect(g.reads()).toBe(1);
  replicated.stop();
});
