import type { ImageApi, ImageCaller, ImageRecord } from '../image/image-api';
import type { Logger } from '../logger';
import type { VolumeApi } from '../volume/volume-api';
import type { ServerRow } from './server-store';

export interface RotationDeps {
  images: ImageApi;
  volumes: VolumeApi;
  log: Logger;
}

/** The server's backups of one type, newest first (nova/compute/manager.py _rotate_backups' filters). */
export async function backupsOf(images: ImageApi, server: ServerRow, type: string): Promise<ImageRecord[]> {
  const caller: ImageCaller = { projectId: server.project_id, isAdmin: false };
  const found: ImageRecord[] = [];
  let marker: string | undefined;
  do {
    const properties = { image_type: 'backup', backup_type: type, instance_uuid: server.id };
    const page = await images.listImages(caller, { owner: server.project_id, properties, limit: 100, ...(marker ? { marker } : {}) });
    found.push(...page.images);
    marker = page.nextMarker;
  } while (marker);
  return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id));
}

/** Volume snapshots an image's block_device_mapping refers to. */
function mappedSnapshots(image: ImageRecord): string[] {
  try {
    const mapping = JSON.parse(image.properties.block_device_mapping ?? '[]') as { snapshot_id?: string | null }[];
    return mapping.map((m) => m.snapshot_id).filter((id): id is string => typeof id === 'string' && id.length > 0);
  } catch {
    return [];
  }
}

/**
 * After a backup: the oldest backups of the server and type beyond `rotation` are deleted, with
 * the volume snapshots they hold (Nova leaves those; Snapstack's backups own theirs). Rotation 0
 * deletes every one, the new one too, as Nova does. Failures are logged, never thrown: the
 * backup itself succeeded.
 */
export async function rotateBackups(d: RotationDeps, server: ServerRow, spec: { type: string; rotation: number }): Promise<string[]> {
  const excess = (await backupsOf(d.images, server, spec.type)).slice(spec.rotation);
  const deleted: string[] = [];
  for (const image of excess) {
    try {
      await d.images.deleteImage({ projectId: server.project_id, isAdmin: false }, image.id);
      deleted.push(image.id);
    } catch (err) {
      d.log.warn({ err, server_id: server.id, image_id: image.id }, 'could not delete a rotated backup');
      continue;
    }
    for (const snapshotId of mappedSnapshots(image)) {
      await d.volumes.deleteSnapshot(server.project_id, snapshotId).catch((err) => {
        d.log.warn({ err, server_id: server.id, image_id: image.id, snapshot_id: snapshotId }, 'could not delete a rotated backup\'s volume snapshot');
      });
    }
  }
  if (deleted.length) d.log.info({ server_id: server.id, backup_type: spec.type, rotation: spec.rotation, deleted }, 'backups rotated');
  return deleted;
}
