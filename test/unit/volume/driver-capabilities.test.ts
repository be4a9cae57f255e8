/**
 * Driver capabilities declared once: a capability is the driver's own implementation or null,
 * so a check narrows the type; the fake image driver's filesystem export and import.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { DirectoryDriver } from '../../../src/volume/data/directory-driver';
import { FakeVolumeDataDriver } from '../../../src/volume/data/fake-volume-data-driver';
import { requireCapability } from '../../../src/volume/data/volume-data-driver';
import { FakeImageDriver } from '../../../src/runtime/fake-image-driver';
import { ImageMissing } from '../../../src/runtime/image-driver';

describe('volume data capabilities', () => {
  test('the fake makes volumes from images and declares nothing else', async () => {
    const fake = new FakeVolumeDataDriver();
    expect(fake.capabilities.imageSnapshots).toBe(fake);
    expect(fake.capabilities.archives).toBeNull();
    expect(fake.capabilities.volumeToImage).toBeNull();
    expect(fake.capabilities.flatten).toBeNull();
    const snapshots = requireCapability(fake, 'imageSnapshots');
    await expect(snapshots.ensureImageSnapshot('k', 'busybox')).resolves.toBe('made');
    await expect(snapshots.ensureImageSnapshot('k', 'busybox')).resolves.toBe('found');
    expect(fake.listSnapshotIds()).toEqual(['k']);
  });

  test('a missing capability is the caller\'s error, or an internal one naming it', () => {
    const fake = new FakeVolumeDataDriver();
    expect(() => requireCapability(fake, 'archives')).toThrow('the fake volume driver has no archives capability');
    expect(() => requireCapability(fake, 'volumeToImage', () => new RangeError('no upload'))).toThrow(RangeError);
  });

  test('plain directories declare none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-caps-'));
    try {
      const d = new DirectoryDriver({ dataDir: dir, logger: pino({ level: 'silent' }) });
      expect(Object.values(d.capabilities)).toEqual([null, null, null, null]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the fake image driver\'s filesystems', () => {
  test('exportFilesystem hands an empty tar of an image there, ImageMissing otherwise', async () => {
    const images = new FakeImageDriver(['busybox']);
    const bytes = await images.exportFilesystem('busybox:latest', {}, async (tar) => {
      let n = 0;
      for await (const chunk of tar as AsyncIterable<Buffer>) n += chunk.length;
      return n;
    });
    expect(bytes).toBe(1024);
    await expect(images.exportFilesystem('nope', {}, async () => 0)).rejects.toBeInstanceOf(ImageMissing);
  });

  test('importFilesystem makes an image of the tar, with its labels and size', async () => {
    const images = new FakeImageDriver();
    const { size } = await images.importFilesystem(Readable.from([Buffer.alloc(3000)]), 'snapstack/snap-x:latest', { 'snapstack.image': 'x' });
    expect(size).toBe(3000);
    expect(await images.inspect('snapstack/snap-x')).toMatchObject({ size: 3000, labels: { 'snapstack.image': 'x' } });
    expect(await images.list(['snapstack.image=x'])).toHaveLength(1);
  });
});
