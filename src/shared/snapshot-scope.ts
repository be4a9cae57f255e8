/**
 * Which snapshots are workspace snapshots and which images are instance snapshots, read from
 * what the public APIs show. Pure (no Node imports): the CLI and the dashboard share it.
 */

/** The image property and snapshot metadata key Snapstack sets (snapstack_scope=workspace|namespace). */
export const SCOPE_PROPERTY = 'snapstack_scope';
/** The pseudo-project that owns workspace snapshots and images. */
export const WORKSPACE = 'workspace';

export type SnapshotScope = 'namespace' | 'workspace';

/** The owner says (the pseudo-project `workspace` owns workspace snapshots); when a cloud hides it, the snapstack_scope mark. */
function scopeOf(owner: unknown, declared: unknown): SnapshotScope {
  if (typeof owner === 'string' && owner) return owner === WORKSPACE ? 'workspace' : 'namespace';
  return declared === 'workspace' ? 'workspace' : 'namespace';
}

/** A Cinder snapshot's scope: its owner, else its snapstack_scope metadata. */
export function volumeSnapshotScope(snap: Record<string, unknown>): SnapshotScope {
  const metadata = snap.metadata;
  const declared = metadata && typeof metadata === 'object' ? (metadata as Record<string, unknown>)[SCOPE_PROPERTY] : undefined;
  return scopeOf(snap['os-extended-snapshot-attributes:project_id'], declared);
}

/** An image's scope: its owner, else its snapstack_scope property (a project cannot pass its own image off as a workspace one). */
export function imageScope(image: Record<string, unknown>): SnapshotScope {
  return scopeOf(image.owner, image[SCOPE_PROPERTY]);
}

/** The volume snapshots an image's block_device_mapping property points at. */
export function snapshotMappings(image: Record<string, unknown>): Array<Record<string, unknown>> {
  if (typeof image.block_device_mapping !== 'string') return [];
  try {
    const bdm: unknown = JSON.parse(image.block_device_mapping);
    return Array.isArray(bdm) ? bdm.filter((b): b is Record<string, unknown> => !!b && typeof b === 'object' && b.source_type === 'snapshot') : [];
  } catch {
    return [];
  }
}

/** createImage's images: Nova's image_type=snapshot (image-backed) or a mapping of volume snapshots (volume-backed, imported). */
export function isInstanceSnapshot(image: Record<string, unknown>): boolean {
  return image.image_type === 'snapshot' || snapshotMappings(image).length > 0;
}
