import type { Flavor } from './api/models';

/** The Launch Instance wizard's rules, apart from its UI (unit-tested). */
export type SourceKind = 'image' | 'instance_snapshot' | 'volume' | 'volume_snapshot';
export interface LaunchSource { kind: SourceKind; id: string }

export interface SourceRow { id: string; name: string; size: string; created: string; minDisk: number; minRam: number; volumeSize: number }

/** What a boot source demands of a flavor: disk only when the root disk is the flavor's (an image without a new volume, an instance snapshot). */
export function flavorProblem(f: Pick<Flavor, 'disk' | 'ram'>, src: SourceRow | undefined, kind: SourceKind, newVolume: boolean): string | null {
  if (!src) return null;
  const reasons: string[] = [];
  const diskCounts = kind === 'instance_snapshot' || (kind === 'image' && !newVolume);
  if (diskCounts && src.minDisk > 0 && f.disk < src.minDisk) reasons.push(`Disk ${f.disk} GiB is below the source's minimum of ${src.minDisk} GiB`);
  if (src.minRam > 0 && f.ram < src.minRam) reasons.push(`RAM ${f.ram} MiB is below the source's minimum of ${src.minRam} MiB`);
  return reasons.length ? reasons.join('; ') : null;
}
