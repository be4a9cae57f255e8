import { ARCHIVE_ID_PROPERTY, SCOPE_PROPERTY, type ImageApi, type ImageCaller } from '../image/image-api';
import { InjectedFailure } from '../faults/fault-rules';
import type { JobDefinition, JobRunner } from '../jobs/job-runner';
import type { Logger } from '../logger';
import { Conflict } from '../http/faults';
import type { VolumeApi } from '../volume/volume-api';
import type { ServerRuntime } from './runtime/server-runtime';
import { attachedVolumes, isVolumeBacked } from './server-containers';
import type { KeyedMutex } from '../shared/keyed-mutex';
import { checkState } from './server-states';
import type { BlockDeviceRow, ServerRow, ServerStore } from './server-store';

export const JOB_SNAPSHOT = 'compute.server.snapshot';

interface SnapshotPayload {
  serverId: string;
  imageId: string;
  imageName: string;
}

export interface SnapshotDeps {
  store: ServerStore;
  runtime: ServerRuntime;
  volumes: VolumeApi;
  images: ImageApi;
  locks: KeyedMutex;
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

  job(): JobDefinition<SnapshotPayload> {
    return {
      kind: JOB_SNAPSHOT,
      onRestart: 'fail',
      run: (p) => this.d.locks.withLock(p.serverId, () => this.imageBacked(p)),
      onFail: (p, error, _job, cause) => this.failed(p, error, cause),
    };
  }

  async createImage(serverId: string, name: string, metadata: Record<string, string>): Promise<string> {
    return this.d.locks.withLock(serverId, async () => {
      const server = (await this.d.store.get(serverId))!;
      checkState(server, 'createImage', { vmStates: ['active', 'stopped', 'paused', 'suspended'], mustBeLaunched: true });
      if (this.d.consistency === 'stopped' && server.vm_state !== 'stopped') {
        throw new Conflict(`Cannot 'createImage' instance ${server.id} while it is in vm_state ${server.vm_state}`);
      }
      const bdms = await this.d.store.blockDevices(serverId);
      const owner: ImageCaller = { projectId: server.project_id, isAdmin: false };
      const base = {
        name, visibility: 'private' as const,
        minDisk: Number(server.system_metadata.image_min_disk ?? server.flavor.disk),
        minRam: Number(server.system_metadata.image_min_ram ?? 0),
      };
      const inherited = inheritedProperties(server);
      // A project's own snapshot, even of a server booted from a workspace image (whose scope it inherits).
      const scope = { [SCOPE_PROPERTY]: 'namespace' };
      if (isVolumeBacked(bdms)) {
        const mapping = await this.captureVolumes(server, attachedVolumes(bdms), name);
        const image = await this.d.images.createEmptyActiveImage(owner, {
          ...base, diskFormat: 'raw', containerFormat: 'bare',
          properties: {
            ...inherited, ...metadata,
            block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True', root_device_name: server.root_device_name, ...scope,
          },
        });
        this.d.log.info({ server_id: serverId, image_id: image.id, snapshots: mapping.length }, 'volume-backed instance snapshot');
        return image.id;
      }
      const image = await this.d.images.createImage(owner, {
        ...base, diskFormat: 'raw', containerFormat: 'docker',
        properties: { ...inherited, image_type: 'snapshot', instance_uuid: server.id, user_id: server.user_id, ...metadata, ...scope },
      });
      // The job waits for this lock, so it sees the task state set below.
      await this.d.jobs.enqueue(JOB_SNAPSHOT, { serverId, imageId: image.id, imageName: name }, { projectId: server.project_id, resourceType: 'server', resourceId: serverId });
      await this.d.store.update(serverId, { task_state: 'image_snapshot_pending' });
      return image.id;
    });
  }

  /** Snapshots every volume while the server is held still; waits until each is captured. */
  private async captureVolumes(server: ServerRow, volumes: BlockDeviceRow[], imageName: string, alreadyPaused = false) {
    if (!volumes.length) return [];
    let paused = false;
    if (!alreadyPaused && this.d.consistency === 'pause' && server.container_id) paused = await this.d.runtime.pause(server.container_id);
    try {
      return await this.snapshotAll(server, volumes, imageName);
    } finally {
      if (paused) await this.d.runtime.unpause(server.container_id!);
    }
  }

  private async snapshotAll(server: ServerRow, volumes: BlockDeviceRow[], imageName: string) {
    const project = server.project_id;
    const made: { bdm: BlockDeviceRow; snapshotId: string }[] = [];
    for (const bdm of volumes) {
      const vol = await this.d.volumes.getVolume(project, bdm.volume_id!);
      const snap = await this.d.volumes.createSnapshot(project, {
        volumeId: vol.id, force: true, name: `snapshot for ${imageName}`, description: vol.description, metadata: {}, userId: server.user_id,
      });
      made.push({ bdm, snapshotId: snap.id });
    }
    // Nova does not wait; Snapstack does, so the capture is over before the server runs again.
    for (const m of made) await this.d.volumes.waitForSnapshot(project, m.snapshotId, ['available']);
    return made.map((m) => snapshotMappingItem(m.bdm, m.snapshotId));
  }

  private async imageBacked(p: SnapshotPayload): Promise<void> {
    const { store, runtime, images } = this.d;
    const server = await store.get(p.serverId);
    if (!server) throw new Error(`Instance ${p.serverId} was deleted during the snapshot.`);
    await store.update(server.id, { task_state: 'image_snapshot' });
    await images.markSaving(p.imageId);
    const target = images.snapshotDockerImageName(p.imageId);
    const volumes = attachedVolumes(await store.blockDevices(server.id));
    const state = server.container_id ? await runtime.inspect(server.container_id) : null;
    let size: number;
    let mapping: ReturnType<typeof snapshotMappingItem>[] = [];
    if (state && (state.state === 'running' || state.state === 'paused')) {
      const paused = state.state === 'running' ? await runtime.pause(state.id) : false;
      try {
        ({ size } = await runtime.commit(state.id, target, {}, { pause: false }));
        mapping = await this.captureVolumes(server, volumes, p.imageName, true);
      } finally {
        if (paused) await runtime.unpause(state.id);
      }
    } else {
      // Stopped: the root disk is the server's committed root image (or still its boot image).
      ({ size } = await runtime.tag(server.docker_image!, target));
      mapping = await this.captureVolumes(server, volumes, p.imageName, true);
    }
    await store.update(server.id, { task_state: 'image_pending_upload' });
    await store.update(server.id, { task_state: 'image_uploading' });
    const extra: Record<string, string> = mapping.length
      ? { block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True', root_device_name: server.root_device_name }
      : {};
    await images.activateFromDockerImage(p.imageId, target, size, extra);
    await store.update(server.id, { task_state: null });
    this.d.log.info({ server_id: server.id, image_id: p.imageId, size, snapshots: mapping.length }, 'image-backed instance snapshot');
  }

  /** Like Nova: the half-made image is deleted and the server's task_state cleared. */
  private async failed(p: SnapshotPayload, error: string, cause?: unknown): Promise<void> {
    this.d.log.warn({ server_id: p.serverId, image_id: p.imageId, error }, 'instance snapshot failed');
    // An injected failure leaves the image `killed`, as a failed Glance upload does, for clients to see.
    if (cause instanceof InjectedFailure) await this.d.images.markKilled(p.imageId).catch(() => undefined);
    else await this.d.images.deleteImage({ projectId: null, isAdmin: true }, p.imageId).catch(() => undefined);
    await this.d.runtime.removeImage(this.d.images.snapshotDockerImageName(p.imageId)).catch(() => undefined);
    await this.d.locks.withLock(p.serverId, async () => {
      const server = await this.d.store.get(p.serverId);
      if (!server) return;
      // Interrupted by a restart mid-capture: the container may still be paused.
      const state = server.container_id ? await this.d.runtime.inspect(server.container_id).catch(() => null) : null;
      if (state?.state === 'paused') await this.d.runtime.unpause(state.id);
      await this.d.store.update(server.id, { task_state: null });
    });
  }
}
