import { BadRequest, Forbidden } from '../http/faults';

const GiB = 1024 ** 3;

/**
 * 'flavor' (default, SNAPSTACK_MIN_DISK_RULE): the flavor's disk stands for the root disk,
 * also for volume-backed boots, so a snapshot's min_disk picks the flavors it fits.
 * 'nova': real Nova (nova/compute/api.py _validate_flavor_image_nostatus).
 */
export type MinDiskRule = 'flavor' | 'nova';

export interface FlavorSize {
  /** MiB */
  ram: number;
  /** GiB; 0 = no local root disk */
  disk: number;
}

export interface ImageNeeds {
  /** GiB */
  minDisk: number;
  /** MiB */
  minRam: number;
  /** bytes (0 for a volume-backed instance snapshot) */
  size: number | null;
}

export interface RootDisk {
  destination_type: 'volume' | 'local';
  /** GiB as requested or recorded on the mapping (before Snapstack fills it from the source), or null */
  volume_size: number | null;
}

/**
 * The one place flavor/image/root-disk sizes are checked at server create, before anything is
 * made. Every boot: flavor RAM >= image min_ram. Then, by the root disk:
 *
 * | root disk                  | 'flavor' (default)                         | 'nova'                                  |
 * | local (image-backed)       | flavor disk 0: 403 (Nova's zero-disk policy); else image size and min_disk <= flavor disk       ||
 * | volume, flavor disk > 0    | min_disk <= flavor disk                    | min_disk <= root volume_size (if given) |
 * | volume, flavor disk 0      | as 'nova': disk 0 = no local root disk, so the root volume is what is checked             ||
 *
 * Messages and units (bytes) are Nova's (contract 2.2).
 */
export function checkFlavorFitsImage(rule: MinDiskRule, flavor: FlavorSize, image: ImageNeeds | null, root: RootDisk): void {
  const volumeBacked = root.destination_type === 'volume';
  if (!image) {
    // Nova checks nothing without image metadata, except its zero-disk policy for local disks.
    if (!volumeBacked && flavor.disk === 0) throw zeroDisk();
    return;
  }
  if (flavor.ram < image.minRam) throw new BadRequest("Flavor's memory is too small for requested image.");
  const flavorBytes = flavor.disk * GiB;
  const minBytes = image.minDisk * GiB;
  if (!volumeBacked) {
    if (flavor.disk === 0) throw zeroDisk();
    const size = image.size ?? 0;
    if (size > flavorBytes) throw new BadRequest(`Flavor's disk is too small for requested image. Flavor disk is ${flavorBytes} bytes, image is ${size} bytes.`);
    if (minBytes > flavorBytes) throw flavorDiskTooSmall(flavorBytes, minBytes);
    return;
  }
  if (rule === 'flavor' && flavor.disk > 0) {
    if (minBytes > flavorBytes) throw flavorDiskTooSmall(flavorBytes, minBytes);
    return;
  }
  if (root.volume_size !== null && root.volume_size * GiB < minBytes) {
    throw new BadRequest(`Volume is smaller than the minimum size specified in image metadata. Volume size is ${root.volume_size * GiB} bytes, minimum size is ${minBytes} bytes.`);
  }
}

function flavorDiskTooSmall(flavorBytes: number, minBytes: number): BadRequest {
  return new BadRequest(`Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${flavorBytes} bytes, minimum size is ${minBytes} bytes.`);
}

function zeroDisk(): Forbidden {
  return new Forbidden('Only volume-backed servers are allowed for flavors with zero disk.');
}
