// Which driver the factory picks, and what connectDocker answers without an engine.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { connectDocker } from '../../../src/runtime/docker-engine';
import { createVolumeDataDriver } from '../../../src/volume/data/volume-data-driver';
import { HELPER_IMAGE, VolumeDataHarness, describeWithDocker } from './volume-data-harness';

jest.setTimeout(30_000);

test('connectDocker answers null, quickly, when no engine listens', async () => {
  const started = Date.now();
  expect(await connectDocker(path.join(os.tmpdir(), 'no-such-docker.sock'))).toBeNull();
  expect(Date.now() - started).toBeLessThan(3000);
});

test('without Docker the factory falls back to directories, and says so', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstack-vd-'));
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
  try {
    const driver = await createVolumeDataDriver({ dataDir, instanceId: 'x', docker: null, images: null, helperImage: HELPER_IMAGE, maxChainDepth: 10, logger });
    expect(driver.kind).toBe('directory');
    expect(lines.join('')).toMatch(/no Docker engine/);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});

describeWithDocker('with Docker', () => {
  const h = new VolumeDataHarness();
  beforeAll(() => h.setup());
  afterAll(() => h.teardown());

  it('the factory makes the overlay driver, initialized', async () => {
    const driver = await createVolumeDataDriver({ ...h.newInstance(), docker: h.docker, images: h.images, helperImage: HELPER_IMAGE, maxChainDepth: 10, logger: h.logger });
    expect(driver.kind).toBe('overlay-docker');
    await driver.createVolume('v1', { projectId: 'p' });
    expect((await driver.prepareMount('v1')).dockerVolume).toBe(driver.dockerVolumeName('v1'));
    await driver.deleteVolume('v1');
  });
});
