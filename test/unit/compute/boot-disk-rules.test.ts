import { checkFlavorFitsImage, MinDiskRule } from '../../../src/compute/boot-disk-rules';

const GiB = 1024 ** 3;
const snapshotImage = { minDisk: 20, minRam: 1024, size: 0 };
const volumeRoot = (size: number | null) => ({ destination_type: 'volume' as const, volume_size: size });
const localRoot = { destination_type: 'local' as const, volume_size: null };
const flavor = (disk: number, ram = 2048) => ({ disk, ram });

function outcome(rule: MinDiskRule, f: { disk: number; ram: number }, image: typeof snapshotImage | null, root: Parameters<typeof checkFlavorFitsImage>[3]): string {
  try {
    checkFlavorFitsImage(rule, f, image, root);
    return 'ok';
  } catch (err: any) {
    return `${err.status} ${err.message}`;
  }
}

const flavorSmall = (f: number, m: number) => `400 Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${f * GiB} bytes, minimum size is ${m * GiB} bytes.`;
const volumeSmall = (v: number, m: number) => `400 Volume is smaller than the minimum size specified in image metadata. Volume size is ${v * GiB} bytes, minimum size is ${m * GiB} bytes.`;
const memory = "400 Flavor's memory is too small for requested image.";
const zeroDisk = '403 Only volume-backed servers are allowed for flavors with zero disk.';

describe('checkFlavorFitsImage: one rule set', () => {
  test.each<[string, MinDiskRule, number, number | null, string]>([
    // rule, flavor disk, root volume_size, expected
    ['flavor: flavor disk too small', 'flavor', 1, 1, flavorSmall(1, 20)],
    ['flavor: a big root volume does not help', 'flavor', 1, 40, flavorSmall(1, 20)],
    ['flavor: flavor big enough, small recorded root', 'flavor', 20, 1, 'ok'],
    ['flavor: zero disk follows nova (root too small)', 'flavor', 0, 1, volumeSmall(1, 20)],
    ['flavor: zero disk follows nova (root big enough)', 'flavor', 0, 20, 'ok'],
    ['flavor: zero disk, no size recorded: unchecked', 'flavor', 0, null, 'ok'],
    ['nova: flavor disk ignored, root too small', 'nova', 80, 1, volumeSmall(1, 20)],
    ['nova: flavor disk ignored, root big enough', 'nova', 1, 20, 'ok'],
    ['nova: zero disk, root big enough', 'nova', 0, 25, 'ok'],
    ['nova: no size given: unchecked (Cinder checks later)', 'nova', 1, null, 'ok'],
  ])('volume-backed, %s', (_name, rule, disk, size, expected) => {
    expect(outcome(rule, flavor(disk), snapshotImage, volumeRoot(size))).toBe(expected);
  });

  test.each<MinDiskRule>(['flavor', 'nova'])('%s: min_ram is checked first, for every boot', (rule) => {
    expect(outcome(rule, flavor(1, 512), snapshotImage, volumeRoot(1))).toBe(memory);
    expect(outcome(rule, flavor(0, 512), snapshotImage, localRoot)).toBe(memory);
  });

  test.each<MinDiskRule>(['flavor', 'nova'])('%s: image-backed boots follow Nova (flavor disk; zero disk 403)', (rule) => {
    const plain = { minDisk: 2, minRam: 0, size: 3 * GiB };
    expect(outcome(rule, flavor(2), plain, localRoot)).toBe(`400 Flavor's disk is too small for requested image. Flavor disk is ${2 * GiB} bytes, image is ${3 * GiB} bytes.`);
    expect(outcome(rule, flavor(1), { ...plain, size: 0 }, localRoot)).toBe(flavorSmall(1, 2));
    expect(outcome(rule, flavor(0), plain, localRoot)).toBe(zeroDisk);
    expect(outcome(rule, flavor(5), plain, localRoot)).toBe('ok');
  });

  test('no image metadata (boot from a volume): nothing to check but the zero-disk policy', () => {
    expect(outcome('flavor', flavor(0), null, volumeRoot(null))).toBe('ok');
    expect(outcome('flavor', flavor(0), null, localRoot)).toBe(zeroDisk);
  });
});
