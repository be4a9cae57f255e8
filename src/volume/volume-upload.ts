/**
 * Volume to image (Cinder's os-volume_upload_image): a queued Glance image at once, the volume
 * `uploading`; a durable job imports the volume's content as the image's Docker image (its root
 * filesystem), activates the image and puts the volume back in its status. Servers boot from
 * that image and volumes are made from it like from any Docker-backed image.
 */
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { MESSAGE_ACTION, MESSAGE_DETAIL, VolumeMessages } from './volume-messages';
import type { JobDefinition, JobRunner } from '../jobs/jobs-api';
import { BadRequest, NotImplemented } from '../http/faults';
import type { ImageApi, ImageRecord, ImageVisibility } from '../image/image-api';
import type { components } from '../generated/volume';
import { requireCapability, type VolumeDataDriver } from './data/volume-data-driver';
import { invalidVolume } from './volume-faults';
import { ALL_PROJECTS, Scope, VolumeRow, VolumeStore } from './volume-store';
import type { Caller } from './volume-quotas';
import { bestEffort } from '../shared/best-effort';

export const UPLOAD_JOB = 'volume.upload_image';

export type VolumeImageSink = Pick<ImageApi, 'createImage' | 'markSaving' | 'activateFromDockerImage' | 'deleteImage' | 'snapshotDockerImageName'>;

export interface UploadImagePayload { volumeId: string; imageId: string; previousStatus: string; dockerImage: string }

export interface UploadRequest {
  imageName: string;
  force: boolean;
  diskFormat: string;
  containerFormat: string;
  /** 3.1+ */
  visibility?: ImageVisibility;
  protected?: boolean;
}

interface UploadDeps {
  volumes: VolumeStore;
  driver: VolumeDataDriver;
  jobs: JobRunner;
  images?: VolumeImageSink;
  log: Logger;
  messages?: VolumeMessages;
}

const SYSTEM: { projectId: null; isAdmin: true } = { projectId: null, isAdmin: true };

export function uploadImageJob(d: UploadDeps & { images: VolumeImageSink }): JobDefinition<UploadImagePayload> {
  return {
    kind: UPLOAD_JOB,
    onRestart: 'resume',
    async run(p) {
      const v = await d.volumes.get(ALL_PROJECTS, p.volumeId);
      if (!v || v.status !== 'uploading') return;
      const size = await requireCapability(d.driver, 'volumeToImage').importAsDockerImage(p.volumeId, p.dockerImage, { 'snapstack.image': p.imageId });
      await d.images.activateFromDockerImage(p.imageId, p.dockerImage, size);
      await d.volumes.update(ALL_PROJECTS, p.volumeId, { status: p.previousStatus }, ['uploading']);
      d.log.info({ volume_id: p.volumeId, image_id: p.imageId }, 'volume uploaded to image');
    },
    async onFail(p, error) {
      d.log.error({ volume_id: p.volumeId, image_id: p.imageId, error }, 'volume upload to image failed: the image is removed');
      await bestEffort(d.log, 'removing the failed upload image', { volume_id: p.volumeId, image_id: p.imageId }, () => d.images.deleteImage(SYSTEM, p.imageId));
      const v = await d.volumes.update(ALL_PROJECTS, p.volumeId, { status: p.previousStatus }, ['uploading']);
      if (v) await d.messages?.record({ projectId: v.project_id, resourceType: 'VOLUME', resourceUuid: v.id, action: MESSAGE_ACTION.copyVolumeToImage, detail: MESSAGE_DETAIL.failedToUploadVolume });
    },
  };
}

/** Cinder's copy_volume_to_image checks, then the image, the status change and the job. */
export async function startUpload(d: UploadDeps, caller: Caller, scope: Scope, v: VolumeRow, req: UploadRequest): Promise<ImageRecord> {
  if (!d.images || d.driver.capabilities.volumeToImage === null) throw new NotImplemented('Uploading a volume to an image is not supported by Snapstack.');
  const images = d.images;
  if (!['available', 'in-use'].includes(v.status)) throw invalidVolume('Volume status must be available/in-use.');
  if (!req.force && v.status === 'in-use') throw invalidVolume('Volume status is in-use.');
  const image = await d.images.createImage(caller, {
    name: req.imageName, diskFormat: req.diskFormat, containerFormat: req.containerFormat,
    visibility: req.visibility ?? 'private', protected: req.protected ?? false,
    minDisk: v.size, properties: copiedImageProperties(v),
  });
  await d.images.markSaving(image.id);
  const payload: UploadImagePayload = { volumeId: v.id, imageId: image.id, previousStatus: v.status, dockerImage: d.images.snapshotDockerImageName(image.id) };
  try {
    await d.volumes.transaction(async (trx: Knex.Transaction) => {
      if (!(await d.volumes.on(trx).update(scope, v.id, { status: 'uploading' }, [v.status]))) {
        throw invalidVolume('Volume status must be available/in-use.');
      }
      await d.jobs.enqueue(UPLOAD_JOB, payload, { projectId: v.project_id, resourceType: 'volume', resourceId: v.id }, trx);
    });
  } catch (err) {
    await bestEffort(d.log, 'removing the image of a refused upload', { volume_id: v.id, image_id: image.id }, () => images.deleteImage(SYSTEM, image.id));
    throw err;
  }
  return image;
}

/** What Cinder carries from the volume's own image metadata into the new image. */
function copiedImageProperties(v: VolumeRow): Record<string, string> {
  const skip = new Set(['image_id', 'image_name', 'checksum', 'container_format', 'disk_format', 'min_disk', 'min_ram', 'size']);
  return Object.fromEntries(Object.entries(v.volume_image_metadata ?? {}).filter(([k]) => !skip.has(k)));
}

/** The action's body as Cinder reads it (image_name required; formats default raw/bare). */
/** The os-volume_upload_image action's object, as the spec types it. */
export type UploadImageAction = components['schemas']['VolumeActionRequest']['os-volume_upload_image'];

export function parseUploadRequest(body: UploadImageAction | null, parseBool: (v: unknown, name: string) => boolean, at31: boolean): UploadRequest {
  const b: NonNullable<UploadImageAction> = body && typeof body === 'object' ? body : {};
  if (typeof b.image_name !== 'string' || !b.image_name) throw new BadRequest('No image_name was specified in request.');
  return {
    imageName: b.image_name,
    force: b.force === undefined || b.force === null ? false : parseBool(b.force, 'force'),
    diskFormat: typeof b.disk_format === 'string' ? b.disk_format : 'raw',
    containerFormat: typeof b.container_format === 'string' ? b.container_format : 'bare',
    visibility: at31 && typeof b.visibility === 'string' ? (b.visibility as ImageVisibility) : undefined,
    protected: at31 && b.protected !== undefined ? parseBool(b.protected, 'protected') : undefined,
  };
}
