/**
 * The durable jobs behind Cinder's transitional statuses. The API sets the transitional
 * status (creating, deleting, extending, reverting/restoring) and enqueues one of these in the
 * same transaction; the job moves the resource to its resting status, or to Cinder's error
 * status with the failure logged. Data operations are idempotent, so a restart resumes them.
 */
import type { Logger } from '../logger';
import type { JobDefinition } from '../jobs/jobs-api';
import { requireCapability, type VolumeDataDriver } from './data/volume-data-driver';
import { DataExistsError } from './data/volume-data-errors';
import type { SnapshotStore } from './snapshot-store';
import { ALL_PROJECTS, VolumeStore } from './volume-store';
import { MESSAGE_ACTION, MESSAGE_DETAIL, VolumeMessages } from './volume-messages';

/** The driver's snapshot holding an image's root filesystem (one per Glance image). */
export function imageSnapshotKey(imageId: string): string {
  return `image-${imageId}`;
}

export const JOB = {
  createVolume: 'volume.create',
  deleteVolume: 'volume.delete',
  extendVolume: 'volume.extend',
  revertVolume: 'volume.revert',
  createSnapshot: 'snapshot.create',
  deleteSnapshot: 'snapshot.delete',
} as const;

export interface CreateVolumePayload {
  volumeId: string;
  projectId: string;
  fromSnapshotId?: string;
  fromVolumeId?: string;
  /** A Glance image: its Docker image's root filesystem, when it has one (else an empty volume). */
  fromImage?: { imageId: string; dockerImage: string | null };
}
export interface DeleteVolumePayload { volumeId: string; cascade: boolean }
export interface ExtendVolumePayload { volumeId: string; newSize: number; previousStatus: string }
export interface RevertVolumePayload { volumeId: string; snapshotId: string }
export interface CreateSnapshotPayload { snapshotId: string; volumeId: string; projectId: string }
export interface DeleteSnapshotPayload { snapshotId: string }

export interface VolumeJobDeps {
  volumes: VolumeStore;
  snapshots: SnapshotStore;
  driver: VolumeDataDriver;
  log: Logger;
  /** Cinder's user messages: each failure below records one for the resource's project. */
  messages?: VolumeMessages;
  /** How long a snapshot delete waits for volumes still being created from it. */
  creatingFromWaitMs?: number;
}

async function ignoreExists(op: () => Promise<void>): Promise<void> {
  try {
    await op();
  } catch (err) {
    if (!(err instanceof DataExistsError)) throw err; // a resumed job whose data was already made
  }
}

/**
 * The read-only layer holding an image's file system, as a snapshot key volumes start from (a
 * create from the image, a re-image). Once per image: the first use makes it, later ones find it.
 */
export async function imageLayer(driver: VolumeDataDriver, imageId: string, dockerImage: string): Promise<string> {
  const key = imageSnapshotKey(imageId);
  await requireCapability(driver, 'imageSnapshots').ensureImageSnapshot(key, dockerImage);
  return key;
}

export function volumeJobs(d: VolumeJobDeps): JobDefinition[] {
  const { volumes, snapshots, driver, log } = d;

  const createVolume: JobDefinition<CreateVolumePayload> = {
    kind: JOB.createVolume,
    onRestart: 'resume',
    async run(p) {
      const v = await volumes.get(ALL_PROJECTS, p.volumeId);
      if (!v || v.status !== 'creating') return;
      let fromSnapshotId = p.fromSnapshotId;
      if (p.fromImage?.dockerImage) fromSnapshotId = await imageLayer(driver, p.fromImage.imageId, p.fromImage.dockerImage);
      await ignoreExists(() => driver.createVolume(p.volumeId, { projectId: p.projectId, fromSnapshotId, fromVolumeId: p.fromVolumeId }));
      if (!(await volumes.update(ALL_PROJECTS, p.volumeId, { status: 'available' }, ['creating']))) {
        // Force-deleted meanwhile: the delete found no data, so this job removes what it made.
        if (!(await volumes.get(ALL_PROJECTS, p.volumeId))) await driver.deleteVolume(p.volumeId);
      }
    },
    async onFail(p, error) {
      log.error({ volume_id: p.volumeId, project_id: p.projectId, error }, 'volume creation failed: status error');
      await volumes.update(ALL_PROJECTS, p.volumeId, { status: 'error' }, ['creating']);
      await d.messages?.record({
        projectId: p.projectId, resourceType: 'VOLUME', resourceUuid: p.volumeId,
        ...(p.fromImage
          ? { action: MESSAGE_ACTION.copyImageToVolume, detail: MESSAGE_DETAIL.unknownError }
          : { action: MESSAGE_ACTION.createVolumeFromBackend, detail: MESSAGE_DETAIL.driverFailedCreate }),
      });
    },
  };

  const deleteVolume: JobDefinition<DeleteVolumePayload> = {
    kind: JOB.deleteVolume,
    onRestart: 'resume',
    async run(p) {
      if (!(await volumes.get(ALL_PROJECTS, p.volumeId))) return;
      if (p.cascade) {
        for (const s of await snapshots.ofVolume(p.volumeId)) {
          await driver.deleteSnapshot(s.id);
          await snapshots.delete(s.id);
        }
      }
      await driver.deleteVolume(p.volumeId);
      await volumes.delete(p.volumeId);
    },
    async onFail(p, error) {
      log.error({ volume_id: p.volumeId, error }, 'volume deletion failed: status error_deleting');
      await volumes.update(ALL_PROJECTS, p.volumeId, { status: 'error_deleting' }, ['deleting']);
      if (p.cascade) await snapshots.setStatusOfVolume(p.volumeId, 'error_deleting', ['deleting']);
    },
  };

  const extendVolume: JobDefinition<ExtendVolumePayload> = {
    kind: JOB.extendVolume,
    onRestart: 'resume',
    // The data is a directory tree: its size is nominal, so only the record changes.
    async run(p) {
      await volumes.update(ALL_PROJECTS, p.volumeId, { size: p.newSize, status: p.previousStatus }, ['extending']);
    },
    async onFail(p, error) {
      log.error({ volume_id: p.volumeId, error }, 'volume extend failed: status error_extending');
      const v = await volumes.update(ALL_PROJECTS, p.volumeId, { status: 'error_extending' }, ['extending']);
      if (v) await d.messages?.record({ projectId: v.project_id, resourceType: 'VOLUME', resourceUuid: v.id, action: MESSAGE_ACTION.extendVolume, detail: MESSAGE_DETAIL.driverFailedExtend });
    },
  };

  const revertVolume: JobDefinition<RevertVolumePayload> = {
    kind: JOB.revertVolume,
    onRestart: 'resume',
    async run(p) {
      const v = await volumes.get(ALL_PROJECTS, p.volumeId);
      if (!v || v.status !== 'reverting') return;
      await driver.revertVolume(p.volumeId, p.snapshotId);
      await volumes.update(ALL_PROJECTS, p.volumeId, { status: 'available' }, ['reverting']);
      await snapshots.update(ALL_PROJECTS, p.snapshotId, { status: 'available' }, ['restoring']);
    },
    // Cinder's manager: the volume goes to error, the snapshot back to available.
    async onFail(p, error) {
      log.error({ volume_id: p.volumeId, snapshot_id: p.snapshotId, error }, 'volume revert failed: status error');
      await volumes.update(ALL_PROJECTS, p.volumeId, { status: 'error' }, ['reverting']);
      await snapshots.update(ALL_PROJECTS, p.snapshotId, { status: 'available' }, ['restoring']);
    },
  };

  const createSnapshot: JobDefinition<CreateSnapshotPayload> = {
    kind: JOB.createSnapshot,
    onRestart: 'resume',
    async run(p) {
      const s = await snapshots.get(ALL_PROJECTS, p.snapshotId);
      if (!s || s.status !== 'creating') return;
      await ignoreExists(() => driver.createSnapshot(p.snapshotId, p.volumeId, { projectId: p.projectId }));
      if (!(await snapshots.update(ALL_PROJECTS, p.snapshotId, { status: 'available' }, ['creating']))) {
        if (!(await snapshots.get(ALL_PROJECTS, p.snapshotId))) await driver.deleteSnapshot(p.snapshotId);
      }
    },
    async onFail(p, error) {
      log.error({ snapshot_id: p.snapshotId, volume_id: p.volumeId, error }, 'snapshot creation failed: status error');
      await snapshots.update(ALL_PROJECTS, p.snapshotId, { status: 'error' }, ['creating']);
      await d.messages?.record({
        projectId: p.projectId, resourceType: 'VOLUME_SNAPSHOT', resourceUuid: p.snapshotId, action: MESSAGE_ACTION.snapshotCreate, detail: MESSAGE_DETAIL.snapshotCreateError,
      });
    },
  };

  const deleteSnapshot: JobDefinition<DeleteSnapshotPayload> = {
    kind: JOB.deleteSnapshot,
    onRestart: 'resume',
    async run(p) {
      if (!(await snapshots.get(ALL_PROJECTS, p.snapshotId))) return;
      // Cinder lets a snapshot go while volumes are being made from it; here their data job
      // needs the snapshot's layers, so the delete waits for them (bounded).
      const deadline = Date.now() + (d.creatingFromWaitMs ?? 10 * 60_000);
      while ((await volumes.countCreatingFrom(p.snapshotId)) > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await driver.deleteSnapshot(p.snapshotId);
      await snapshots.delete(p.snapshotId);
    },
    async onFail(p, error) {
      log.error({ snapshot_id: p.snapshotId, error }, 'snapshot deletion failed: status error_deleting');
      const s = await snapshots.update(ALL_PROJECTS, p.snapshotId, { status: 'error_deleting' }, ['deleting']);
      if (s) {
        await d.messages?.record({
          projectId: s.project_id, resourceType: 'VOLUME_SNAPSHOT', resourceUuid: s.id, action: MESSAGE_ACTION.snapshotDelete, detail: MESSAGE_DETAIL.snapshotDeleteError,
        });
      }
    },
  };

  return [createVolume, deleteVolume, extendVolume, revertVolume, createSnapshot, deleteSnapshot];
}
