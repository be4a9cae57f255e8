// The start-up image sweep's decisions on the fakes (the real engine: test/integration/compute-runtime/image-sweep.test.ts).
import { FakeServerRuntime } from '../../../src/compute/runtime/fake-server-runtime';
import type { ServerConsoleStore } from '../../../src/compute/server-console-store';
import { ServerContainers } from '../../../src/compute/server-containers';
import type { ServerRow, ServerStore } from '../../../src/compute/server-store';
import { createLogger } from '../../../src/logger';
import { LABELS } from '../../../src/runtime/docker-engine';
import { FakeImageDriver } from '../../../src/runtime/fake-image-driver';
import type { VolumeApi } from '../../../src/volume/volume-api';

const BASE = 'snapstack/busybox:latest';
const server = (id: string, dockerImage: string | null = BASE) => ({ id, docker_image: dockerImage }) as ServerRow;

function setup() {
  const images = new FakeImageDriver([BASE]);
  const mine = new FakeServerRuntime(images, 'mine');
  const other = new FakeServerRuntime(images, 'other');
  const containers = new ServerContainers(mine, {} as VolumeApi, {} as ServerStore, createLogger('silent'), {} as ServerConsoleStore);
  return { images, mine, other, containers };
}

test('tags and commits carry the instance label, also a tag of an unlabelled base image', async () => {
  const { images, mine } = setup();
  await mine.tag(BASE, 'snapstack/snap-a:latest');
  await mine.commit('c1', 'snapstack/root-s:latest', { [LABELS.role]: 'root-disk' });
  for (const ref of ['snapstack/snap-a:latest', 'snapstack/root-s:latest']) expect((await images.inspect(ref))!.labels[LABELS.instance]).toBe('mine');
  expect((await images.inspect(BASE))!.labels).toEqual({});
});

test('names no record accounts for go; accounted ones, base images and other instances\' stay', async () => {
  const { images, mine, other, containers } = setup();
  await mine.commit('c1', 'snapstack/root-live:latest', {});
  await mine.commit('c2', 'snapstack/root-gone:latest', {});
  await mine.tag('snapstack/root-live:latest', 'snapstack/snap-kept:latest');
  await mine.tag('snapstack/root-live:latest', 'snapstack/snap-orphan:latest');
  await mine.commit('c3', 'snapstack/snap-runs:latest', {});
  await other.commit('c4', 'snapstack/root-gone2:latest', {});
  const removed = await containers.sweepImages(
    [server('live'), server('runner', 'snapstack/snap-runs')],
    new Set(['snapstack/snap-kept:latest']),
  );
  expect(removed.sort()).toEqual(['snapstack/root-gone:latest', 'snapstack/snap-orphan:latest']);
  for (const ref of ['snapstack/root-live:latest', 'snapstack/snap-kept:latest', 'snapstack/snap-runs:latest', 'snapstack/root-gone2:latest', BASE]) {
    expect(await images.exists(ref)).toBe(true);
  }
  expect(await images.exists('snapstack/snap-orphan:latest')).toBe(false);
  expect(await images.exists('snapstack/root-gone:latest')).toBe(false);
});
