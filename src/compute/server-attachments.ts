import { randomUUID } from 'crypto';
import { BadRequest, NotFound } from '../http/faults';
import type { Logger } from '../logger';
import type { VolumeApi } from '../volume/volume-api';
import { nextDevice, normaliseDevice } from './server-bdm';
import type { ServerContainers } from './server-containers';
import type { KeyedMutex } from '../shared/keyed-mutex';
import { checkState } from './server-states';
import type { BlockDeviceRow, ServerRow, ServerStore } from './server-store';

/** nova/compute/api.py attach_volume / detach_volume (no SOFT_DELETED here). */
const ATTACH_VM_STATES = ['active', 'paused', 'stopped', 'resized', 'shelved', 'shelved_offloaded'];

export interface AttachRequest {
  volumeId: string;
  device?: string | null;
  deleteOnTermination?: boolean;
  tag?: string | null;
}

/**
 * os-volume_attachments. A running container's mounts cannot change, so attaching to or
 * detaching from an ACTIVE server re-creates its container (the root disk of an image-backed
 * server is committed first, so nothing written to it is lost); a SHUTOFF server just gets the
 * new mount at its next start.
 */
export class ServerAttachments {
  constructor(
    private readonly store: ServerStore,
    private readonly containers: ServerContainers,
    private readonly volumes: VolumeApi,
    private readonly locks: KeyedMutex,
    private readonly log: Logger,
  ) {}

  async list(server: ServerRow): Promise<BlockDeviceRow[]> {
    return (await this.store.blockDevices(server.id)).filter((b) => b.destination_type === 'volume' && b.volume_id);
  }

  /** Cinder's attachment id of an attached volume (shown from 2.89), or null. */
  async attachmentId(server: ServerRow, volumeId: string): Promise<string | null> {
    const vol = await this.volumes.getVolume(server.project_id, volumeId).catch(() => null);
    return vol?.attachments.find((a) => a.serverId === server.id)?.attachmentId ?? null;
  }

  async get(server: ServerRow, volumeId: string): Promise<BlockDeviceRow> {
    const bdm = (await this.list(server)).find((b) => b.volume_id === volumeId);
    if (!bdm) throw new NotFound(`Volume ${volumeId} is not attached to the server ${server.id}.`);
    return bdm;
  }

  async attach(serverId: string, req: AttachRequest): Promise<BlockDeviceRow> {
    return this.locks.withLock(serverId, async () => {
      const server = (await this.store.get(serverId))!;
      checkState(server, 'attach_volume', { vmStates: ATTACH_VM_STATES });
      const vol = await this.volumes.getVolume(server.project_id, req.volumeId);
      if (vol.status !== 'available') {
        throw new BadRequest(`Invalid volume: volume '${vol.id}' status must be 'available'. Currently in '${vol.status}'`);
      }
      const bdms = await this.store.blockDevices(serverId);
      const used = new Set(bdms.map((b) => b.device_name).filter((d): d is string => Boolean(d)));
      used.add(server.root_device_name);
      let device = normaliseDevice(req.device);
      if (device && used.has(device)) throw new BadRequest(`The supplied device path (${device}) is in use.`);
      device ??= nextDevice(used);
      const bdm: BlockDeviceRow = {
        id: randomUUID(), server_id: serverId, boot_index: null, source_type: 'volume', destination_type: 'volume',
        image_id: null, snapshot_id: null, volume_id: vol.id, volume_size: vol.size, volume_type: null,
        delete_on_termination: req.deleteOnTermination ?? false, device_name: device, device_type: 'disk', disk_bus: 'virtio',
        guest_format: null, tag: req.tag ?? null, created_by_build: false,
      };
      await this.volumes.attachVolume(server.project_id, vol.id, { serverId, device });
      await this.store.insertBlockDevice(bdm);
      try {
        await this.remount(server);
      } catch (err) {
        this.log.error({ err, server_id: serverId, volume_id: vol.id }, 'could not mount the attached volume');
        await this.store.deleteBlockDevice(bdm.id);
        await this.volumes.detachVolume(server.project_id, vol.id, serverId).catch(() => undefined);
        await this.containers.launch((await this.store.get(serverId))!).catch(() => undefined);
        throw err;
      }
      return bdm;
    });
  }

  async detach(serverId: string, volumeId: string): Promise<void> {
    await this.locks.withLock(serverId, async () => {
      const server = (await this.store.get(serverId))!;
      checkState(server, 'detach_volume', { vmStates: ATTACH_VM_STATES });
      const bdm = (await this.store.blockDevices(serverId)).find((b) => b.volume_id === volumeId && b.destination_type === 'volume');
      if (!bdm) throw new NotFound(`No volume Block Device Mapping with id ${volumeId}.`);
      if (bdm.boot_index === 0) throw new BadRequest('Cannot detach a root device volume');
      await this.store.deleteBlockDevice(bdm.id);
      await this.remount(server);
      await this.volumes.detachVolume(server.project_id, volumeId, serverId);
    });
  }

  /** A running (or paused) container's mounts cannot change: it is re-created, and paused again if it was. */
  private async remount(server: ServerRow): Promise<void> {
    if (!server.container_id) return;
    const state = await this.containers.state(server);
    if (state !== 'running' && state !== 'paused') return;
    const fresh = await this.containers.recreate(server);
    if (state === 'paused') await this.containers.pause(fresh);
  }
}
