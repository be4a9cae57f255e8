import { randomUUID } from 'crypto';
import { BadRequest, NotFound } from '../http/faults';
import type { Logger } from '../logger';
import type { VolumeApi } from '../volume/volume-api';
import { nextDevice, normaliseDevice } from './server-bdm';
import type { ServerContainers } from './server-containers';
import type { ResourceLocks } from '../shared/resource-locks';
import { checkState } from './server-states';
import type { BlockDeviceRow, ServerRow, ServerStore } from './server-store';
import type { JobDefinition, JobRunner } from '../jobs/jobs-api';
import { crashPoint } from '../shared/crash-points';
import { Reverter } from '../shared/reverter';
import { orNullIfGone } from '../shared/best-effort';

/** nova/compute/api.py attach_volume / detach_volume (no SOFT_DELETED here). */
const ATTACH_VM_STATES = ['active', 'paused', 'stopped', 'resized', 'shelved', 'shelved_offloaded'];

export interface AttachRequest {
  volumeId: string;
  device?: string | null;
  deleteOnTermination?: boolean;
  tag?: string | null;
}

export const JOB_ATTACH = 'compute.server.attach';

interface AttachJournal {
  serverId: string;
  volumeId: string;
  bdmId: string;
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
    private readonly locks: ResourceLocks,
    private readonly jobs: JobRunner,
    private readonly log: Logger,
  ) {}

  async list(server: ServerRow): Promise<BlockDeviceRow[]> {
    return (await this.store.blockDevices(server.id)).filter((b) => b.destination_type === 'volume' && b.volume_id);
  }

  /** Cinder's attachment id of an attached volume (shown from 2.89), or null. */
  async attachmentId(server: ServerRow, volumeId: string): Promise<string | null> {
    const vol = await orNullIfGone(this.volumes.getVolume(server.project_id, volumeId));
    return vol?.attachments.find((a) => a.serverId === server.id)?.attachmentId ?? null;
  }

  async get(server: ServerRow, volumeId: string): Promise<BlockDeviceRow> {
    const bdm = (await this.list(server)).find((b) => b.volume_id === volumeId);
    if (!bdm) throw new NotFound(`Volume ${volumeId} is not attached to the server ${server.id}.`);
    return bdm;
  }

  async attach(serverId: string, req: AttachRequest): Promise<BlockDeviceRow> {
    return this.locks.withLock(serverId, async () => {
      const server = await this.store.require(serverId);
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
      // The journal names what the steps below make; a crash anywhere is undone at the next start.
      const op = await this.jobs.track(JOB_ATTACH, { serverId, volumeId: vol.id, bdmId: bdm.id } satisfies AttachJournal,
        { projectId: server.project_id, resourceType: 'server', resourceId: serverId });
      const r = new Reverter(this.log, { server_id: serverId, volume_id: vol.id });
      const relaunch = server.vm_state === 'active' && server.container_id;
      // Undone last: the container comes back with the mounts as recorded, once the rows are.
      if (relaunch) {
        r.add('the container, as it was', async () => {
          const current = await this.store.require(serverId);
          if ((await this.containers.state(current)) !== 'running') await this.containers.launch(current);
        });
      }
      try {
        await this.volumes.attachVolume(server.project_id, vol.id, { serverId, device });
        r.add(`attachment of volume ${vol.id}`, () => this.volumes.detachVolume(server.project_id, vol.id, serverId));
        crashPoint('attach.volume-attached');
        await this.store.insertBlockDevice(bdm);
        r.add(`block device ${bdm.id}`, () => this.store.deleteBlockDevice(bdm.id));
        await this.remount(server);
        r.success();
        await this.jobs.settle(op);
      } catch (err) {
        this.log.error({ err, server_id: serverId, volume_id: vol.id }, 'could not attach the volume');
        await r.fail(err);
        await this.jobs.settle(op, err);
        throw err;
      }
      return bdm;
    });
  }

  /** An attach a restart met unfinished is undone: no block device, no attachment, mounts as recorded. */
  job(): JobDefinition<AttachJournal> {
    return {
      kind: JOB_ATTACH,
      onRestart: 'fail',
      run: async () => { throw new Error('an attach journal is never run, only undone'); },
      onFail: (j) => this.locks.withLock(j.serverId, async () => {
        const server = await this.store.get(j.serverId);
        const r = new Reverter(this.log, { server_id: j.serverId, volume_id: j.volumeId });
        if (server?.vm_state === 'active') r.add('the container, with the recorded mounts', async () => this.containers.recreate(await this.store.require(j.serverId)));
        r.add(`attachment of volume ${j.volumeId}`, async () => {
          if (!server) return;
          const vol = await orNullIfGone(this.volumes.getVolume(server.project_id, j.volumeId));
          if (vol?.attachments.some((a) => a.serverId === j.serverId)) await this.volumes.detachVolume(server.project_id, j.volumeId, j.serverId);
        });
        r.add(`block device ${j.bdmId}`, () => this.store.deleteBlockDevice(j.bdmId));
        await r.fail();
      }),
    };
  }

  async detach(serverId: string, volumeId: string): Promise<void> {
    await this.locks.withLock(serverId, async () => {
      const server = await this.store.require(serverId);
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
