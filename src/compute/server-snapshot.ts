import { randomUUID } from 'node:crypto';
import { ARCHIVE_ID_PROPERTY, SCOPE_PROPERTY, type ImageApi, type ImageCaller, type NewImage } from '../image/image-api';
import { InjectedFailure } from '../faults/fault-rules';
import type { JobDefinition, JobRunner } from '../jobs/jobs-api';
import type { Logger } from '../logger';
import { Conflict } from '../http/faults';
import type { VolumeApi } from '../volume/volume-api';
import type { ServerRuntime } from './runtime/server-runtime';
import { attachedVolumes, isVolumeBacked } from './server-containers';
import type { ResourceLocks } from '../shared/resource-locks';
import { crashPoint } from '../shared/crash-points';
import { Reverter } from '../shared/reverter';
import { rotateBackups } from './server-backup';
import { checkState } from './server-states';
import type { BlockDeviceRow, ServerRow, ServerStore } from './server-store';
import { bestEffort } from '../shared/best-effort';

export const JOB_SNAPSHOT = 'compute.server.snapshot';
/** The journal of a volume-backed createImage (it runs in the request): what it made so far. */
export const JOB_CAPTURE = 'compute.server.capture';

/** createBackup: the image is a backup of this type; the oldest beyond `rotation` go after it. */
export interface BackupSpec {
  type: string;
  rotation: number;
}

interface SnapshotPayload {
  serverId: string;
  imageId: string;
  imageName: string;
  /** Volume snapshots made so far (recorded before each is waited for). */
  snapshotIds?: string[];
  backup?: BackupSpec;
}

interface CapturePayload {
  serverId: string;
  projectId: string;
  imageId: string;
  snapshotIds: string[];
}

export interface SnapshotDeps {
  store: ServerStore;
  runtime: ServerRuntime;
  volumes: VolumeApi;
  images: ImageApi;
  locks: ResourceLocks;
  jobs: JobRunner;
  /** 'pause': a running server is paused around the capture of all its disks; 'stopped': only SHUTOFF servers. */
  consistency: 'pause' | 'stopped';
  log: Logger;
}

/** One block_device_mapping item of a snapshot image (contract 3.3: every key, unset ones null). */
export function snapshotMappingItem(bdm: BlockDeviceRow, snapshotId: string) {
  return {
    source_type: 'snapshot', destination_type: 'volume', snapshot_id: snapshotId, boot_index: bdm.boot_index,
    device_name: bdm.device_name, delete_on_termination: bdm.delete_on_termination, volume_size: bdm.volume_size,
    disk_bus: bdm.disk_bus, device_type: bdm.device_type, guest_format: null, image_id: null, volume_id: null,
    no_device: null, tag: null, volume_type: null, encrypted: null, encryption_secret_uuid: null,
    encryption_format: null, encryption_options: null,
  };
}

/** Properties a snapshot inherits from the instance's system metadata (nova/compute/utils.py). */
export function inheritedProperties(server: ServerRow): Record<string, string> {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(server.system_metadata)) {
    if (k === 'image_min_disk' || k === 'image_min_ram' || k === 'image_disk_format' || k === 'image_container_format') continue;
    const key = k.startsWith('image_') ? k.slice('image_'.length) : k;
    // Nova drops os_glance*; the archive id names the source's archive, not this snapshot.
    if (key.startsWith('os_glance') || key === ARCHIVE_ID_PROPERTY) continue;
    props[key] = v;
  }
  return props;
}

/**
 * The Glance record of an instance snapshot (createImage, createBackup, shelve): private, min
 * disk and RAM and the properties inherited from the server. `imageType` null: a volume-backed
 * snapshot (no image_type, instance_uuid or user_id, as Nova); otherwise a Docker-format image.
 */
export function snapshotImageInput(server: ServerRow, name: string, properties: Record<string, string>, imageType: 'snapshot' | 'backup' | null): NewImage {
  const own: Record<string, string> = imageType ? { image_type: imageType, instance_uuid: server.id, user_id: server.user_id } : {};
  return {
    name, visibility: 'private', diskFormat: 'raw', containerFormat: 'docker',
    minDisk: Number(server.system_metadata.image_min_disk ?? server.flavor.disk),
    minRam: Number(server.system_metadata.image_min_ram ?? 0),
    // A project's own snapshot, even of a server booted from a workspace image (whose scope it inherits).
    properties: { ...inheritedProperties(server), ...own, ...properties, [SCOPE_PROPERTY]: 'namespace' },
  };
}

/**
 * createImage. Volume-backed server (contract 3): one Cinder snapshot per attached volume and
 * an empty private image, active at once, whose block_device_mapping points at them; task_state
 * never changes. Image-backed server: the container is committed to snapstack/snap-<image id>
 * in a durable job (task_state image_snapshot_pending -> image_snapshot -> image_uploading ->
 * null), with snapshots of attached data volumes in the mapping. Either way every disk is
 * captured at one instant: the container is paused around the whole group ('pause'), or the
 * server must be stopped ('stopped').
 */
export class ServerSnapshots {
  constructor(private readonly d: SnapshotDeps) {}

  jobs(): [JobDefinition<SnapshotPayload>, JobDefinition<CapturePayload>] {
    return [{
      kind: JOB_SNAPSHOT,
      onRestart: 'fail',
      run: (p, job) => this.d.locks.withLock(p.serverId, () => this.imageBacked(p, job.id)),
      onFail: (p, error, job, cause) => this.failed(p, error, job.project_id, cause),
    }, {
      kind: JOB_CAPTURE,
      onRestart: 'fail',
      run: async () => { throw new Error('a capture journal is never run, only undone'); },
      // A restart met it unfinished: what it recorded is removed (its reverter did not run).
      onFail: async (p) => {
        await bestEffort(this.d.log, 'removing an unfinished snapshot image', { image_id: p.imageId }, () => this.d.images.deleteImage({ projectId: null, isAdmin: true }, p.imageId));
        await this.removeSnapshots(p.projectId, p.snapshotIds);
        await this.unpauseLeftover(p.serverId);
      },
    }];
  }

  private async removeSnapshots(projectId: string, ids: string[] | undefined): Promise<void> {
    const r = new Reverter(this.d.log, { project_id: projectId });
    for (const id of ids ?? []) r.add(`volume snapshot ${id}`, () => this.d.volumes.deleteSnapshot(projectId, id));
    await r.fail();
  }

  /** createImage, or createBackup when `backup` is given (image_type backup, then the rotation). */
  async createImage(serverId: string, name: string, metadata: Record<string, string>, backup?: BackupSpec): Promise<string> {
    return this.d.locks.withLock(serverId, async () => {
      const server = await this.d.store.require(serverId);
      const action = backup ? 'createBackup' : 'createImage';
      checkState(server, action, { vmStates: ['active', 'stopped', 'paused', 'suspended'], mustBeLaunched: !backup });
      if (this.d.consistency === 'stopped' && server.vm_state !== 'stopped') {
        throw new Conflict(`Cannot '${action}' instance ${server.id} while it is in vm_state ${server.vm_state}`);
      }
      const bdms = await this.d.store.blockDevices(serverId);
      const owner: ImageCaller = { projectId: server.project_id, isAdmin: false };
      if (isVolumeBacked(bdms)) {
        const imageId = randomUUID();
        const payload: CapturePayload = { serverId, projectId: server.project_id, imageId, snapshotIds: [] };
        const op = await this.d.jobs.track(JOB_CAPTURE, payload, { projectId: server.project_id, resourceType: 'server', resourceId: serverId });
        const r = new Reverter(this.d.log, { server_id: serverId, image_id: imageId });
        try {
          const mapping = await this.captureVolumes(server, attachedVolumes(bdms), name, r, op);
          crashPoint('capture.image');
          // A backup of a volume-backed server (Nova refuses one) is its instance snapshot typed
          // `backup`: the rotation deletes it with its volume snapshots.
          const input = snapshotImageInput(server, name, {
            ...(backup ? { backup_type: backup.type } : {}),
            ...metadata, block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True', root_device_name: server.root_device_name,
          }, backup ? 'backup' : null);
          await this.d.images.createEmptyActiveImage(owner, { id: imageId, ...input, diskFormat: 'raw', containerFormat: 'bare' });
          r.success();
          await this.d.jobs.settle(op);
          this.d.log.info({ server_id: serverId, image_id: imageId, snapshots: mapping.length, backup: backup ?? null }, 'volume-backed instance snapshot');
        } catch (err) {
          await r.fail(err);
          await this.d.jobs.settle(op, err);
          throw err;
        }
        if (backup) await rotateBackups(this.d, server, backup);
        return imageId;
      }
      const image = await this.d.images.createImage(owner, snapshotImageInput(server, name, {
        ...(backup ? { backup_type: backup.type } : {}), ...metadata,
      }, backup ? 'backup' : 'snapshot'));
      // The job waits for this lock, so it sees the task state set below.
      const payload: SnapshotPayload = { serverId, imageId: image.id, imageName: name, ...(backup ? { backup } : {}) };
      await this.d.jobs.enqueue(JOB_SNAPSHOT, payload, { projectId: server.project_id, resourceType: 'server', resourceId: serverId });
      await this.d.store.update(serverId, { task_state: backup ? 'image_backup' : 'image_snapshot_pending' });
      return image.id;
    });
  }

  /**
   * Snapshots every volume while the server is held still (a counted pause: a volume snapshot
   * meeting it shares it); waits until each is captured. Each snapshot is recorded in the
   * operation's journal `op` and its undo added to `r`.
   */
  private async captureVolumes(server: ServerRow, volumes: BlockDeviceRow[], imageName: string, r: Reverter, op: string) {
    if (!volumes.length) return [];
    const hold = this.d.consistency === 'pause' && server.container_id ? await this.d.runtime.hold(server.container_id) : null;
    try {
      return await this.snapshotAll(server, volumes, imageName, r, op);
    } finally {
      await hold?.release();
    }
  }

  private async snapshotAll(server: ServerRow, volumes: BlockDeviceRow[], imageName: string, r: Reverter, op: string) {
    const project = server.project_id;
    const made: { bdm: BlockDeviceRow; snapshotId: string }[] = [];
    for (const bdm of volumes) {
      const vol = await this.d.volumes.getVolume(project, bdm.volume_id!);
      const snap = await this.d.volumes.createSnapshot(project, {
        volumeId: vol.id, force: true, name: `snapshot for ${imageName}`, description: vol.description, metadata: {}, userId: server.user_id,
      });
      made.push({ bdm, snapshotId: snap.id });
      r.add(`volume snapshot ${snap.id}`, () => this.d.volumes.deleteSnapshot(project, snap.id));
      await this.d.jobs.record(op, { snapshotIds: made.map((m) => m.snapshotId) });
      crashPoint('capture.snapshot');
    }
    // Nova does not wait; Snapstack does, so the capture is over before the server runs again.
    for (const m of made) await this.d.volumes.waitForSnapshot(project, m.snapshotId, ['available']);
    return made.map((m) => snapshotMappingItem(m.bdm, m.snapshotId));
  }

  private async imageBacked(p: SnapshotPayload, jobId: string): Promise<void> {
    const { store, runtime, images } = this.d;
    // The snapshots made are undone by onFail (from the journal), on an exception as after a crash.
    const r = new Reverter(this.d.log, { server_id: p.serverId, image_id: p.imageId });
    const server = await store.get(p.serverId);
    if (!server) throw new Error(`Instance ${p.serverId} was deleted during the snapshot.`);
    // A backup stays image_backup until the upload (nova/compute/manager.py backup_instance).
    if (!p.backup) await store.update(server.id, { task_state: 'image_snapshot' });
    await images.markSaving(p.imageId);
    const target = images.snapshotDockerImageName(p.imageId);
    const volumes = attachedVolumes(await store.blockDevices(server.id));
    const state = server.container_id ? await runtime.inspect(server.container_id) : null;
    let size: number;
    let mapping: ReturnType<typeof snapshotMappingItem>[] = [];
    if (state && (state.state === 'running' || state.state === 'paused')) {
      const hold = await runtime.hold(state.id);
      try {
        ({ size } = await runtime.commit(state.id, target, {}, { pause: false }));
        crashPoint('snapshot.committed');
        mapping = await this.captureVolumes(server, volumes, p.imageName, r, jobId);
      } finally {
        await hold.release();
      }
    } else {
      // Stopped: the root disk is the server's committed root image (or still its boot image).
      ({ size } = await runtime.tag(server.docker_image!, target));
      mapping = await this.captureVolumes(server, volumes, p.imageName, r, jobId);
    }
    r.success();
    await store.update(server.id, { task_state: 'image_pending_upload' });
    await store.update(server.id, { task_state: 'image_uploading' });
    const extra: Record<string, string> = mapping.length
      ? { block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True', root_device_name: server.root_device_name }
      : {};
    await images.activateFromDockerImage(p.imageId, target, size, extra);
    await store.update(server.id, { task_state: null });
    this.d.log.info({ server_id: server.id, image_id: p.imageId, size, snapshots: mapping.length, backup: p.backup ?? null }, 'image-backed instance snapshot');
    if (p.backup) await rotateBackups(this.d, server, p.backup);
  }

  /** Like Nova: the half-made image is deleted and the server's task_state cleared. */
  private async failed(p: SnapshotPayload, error: string, projectId: string | null, cause?: unknown): Promise<void> {
    this.d.log.warn({ server_id: p.serverId, image_id: p.imageId, error }, 'instance snapshot failed');
    // An injected failure leaves the image `killed`, as a failed Glance upload does, for clients to see.
    const ids = { server_id: p.serverId, image_id: p.imageId };
    if (cause instanceof InjectedFailure) await bestEffort(this.d.log, 'marking the failed snapshot image killed', ids, () => this.d.images.markKilled(p.imageId));
    else await bestEffort(this.d.log, 'removing the failed snapshot image', ids, () => this.d.images.deleteImage({ projectId: null, isAdmin: true }, p.imageId));
    await bestEffort(this.d.log, "removing the failed snapshot's Docker image", ids, () => this.d.runtime.removeImage(this.d.images.snapshotDockerImageName(p.imageId)));
    if (projectId) await this.removeSnapshots(projectId, p.snapshotIds);
    await this.unpauseLeftover(p.serverId, { clearTask: true });
  }

  /** Interrupted by a restart mid-capture: the container may still be paused (no hold is left in this process). */
  private async unpauseLeftover(serverId: string, opts: { clearTask?: boolean } = {}): Promise<void> {
    await this.d.locks.withLock(serverId, async () => {
      const server = await this.d.store.get(serverId);
      if (!server) return;
      const containerId = server.container_id;
      const state = containerId
        ? await bestEffort(this.d.log, 'reading the container of an interrupted capture', { server_id: serverId, container_id: containerId }, () => this.d.runtime.inspect(containerId))
        : null;
      // A server the user paused stays paused.
      if (state?.state === 'paused' && server.vm_state !== 'paused') await this.d.runtime.unpause(state.id);
      if (opts.clearTask) await this.d.store.update(server.id, { task_state: null });
    });
  }
}
