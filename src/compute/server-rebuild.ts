import type { AuthContext } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import type { ImageRecord } from '../image/image-api';
import type { JobDefinition } from '../jobs/jobs-api';
import type { VolumeApi } from '../volume/volume-api';
import { checkFlavorFitsImage, MinDiskRule } from './boot-disk-rules';
import { isVolumeBacked } from './server-containers';
import { systemMetadata } from './server-create';
import { acceptAction, type ServerWorkDeps } from './server-jobs';
import { checkState, POWER } from './server-states';
import type { ServerRow } from './server-store';
import { bestEffort } from '../shared/best-effort';

export const JOB_REBUILD = 'compute.server.rebuild';

interface RebuildPayload {
  serverId: string;
  /** what the container runs after the rebuild */
  dockerImage: string;
  /** to roll back to */
  previous: { dockerImage: string | null; imageRef: string; systemMetadata: Record<string, string> };
  /** the vm_state before: a stopped server stays SHUTOFF (nova/compute/manager.py rebuild_instance) */
  wasVmState: string;
  /** 2.93, volume-backed: the root volume re-imaged from the image (its block device follows) */
  reimage?: { volumeId: string; imageId: string; bdmId: string };
}

export interface RebuildRequest {
  imageRef: string;
  name?: string;
  metadata?: Record<string, string>;
  description?: string | null;
  accessIPv4?: string;
  accessIPv6?: string;
  /** 2.90 */
  hostname?: string;
  /** 2.63: null unsets them */
  trustedCerts?: string[] | null;
  /** 2.54: the caller's key pair (checked by the caller), null to unset */
  keyName?: string | null;
  /** 2.93: a volume-backed server may take another image */
  reimageBootVolume: boolean;
}

export interface RebuildDeps extends ServerWorkDeps {
  volumes: Pick<VolumeApi, 'reimageVolume'>;
  minDiskRule: MinDiskRule;
  defaultServerImage: string;
}

/**
 * rebuild: the root disk replaced from an image (an instance snapshot included), attached
 * volumes kept and mounted again. rebuilding -> rebuild_block_device_mapping ->
 * rebuild_spawning -> ACTIVE (SHUTOFF when it was stopped). The old root disk is committed and
 * removed only once the new container runs; a failure puts it back. A volume-backed server at
 * 2.93 has its root volume re-imaged from the image (the volume's old data is gone, as in Nova).
 */
export class ServerRebuilds {
  constructor(private readonly d: RebuildDeps) {}

  job(): JobDefinition<RebuildPayload> {
    return {
      kind: JOB_REBUILD,
      onRestart: 'fail',
      run: (p) => this.d.locks.withLock(p.serverId, () => this.perform(p)),
      onFail: (p, error) => this.d.locks.withLock(p.serverId, () => this.failed(p, error)),
    };
  }

  async rebuild(auth: AuthContext, serverId: string, req: RebuildRequest): Promise<ServerRow> {
    // Filled in by the check, before the job is enqueued.
    const payload = { serverId } as RebuildPayload;
    const marked = await acceptAction(this.d, JOB_REBUILD, payload, async (server) => {
      checkState(server, 'rebuild', { vmStates: ['active', 'stopped', 'error'] });
      const image = await this.image(auth, req.imageRef);
      const bdms = await this.d.store.blockDevices(serverId);
      const volumeBacked = isVolumeBacked(bdms);
      const root = bdms.find((b) => b.boot_index === 0);
      if (volumeBacked && (root?.image_id ?? null) !== image.id && !req.reimageBootVolume) {
        throw new BadRequest(`Image ${image.id} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`);
      }
      checkFlavorFitsImage(this.d.minDiskRule, server.flavor, image, { destination_type: volumeBacked ? 'volume' : 'local', volume_size: root?.volume_size ?? null });
      const kept = Object.fromEntries(Object.entries(server.system_metadata).filter(([k]) => !k.startsWith('image_')));
      const fresh = Object.fromEntries(Object.entries(systemMetadata(auth, image, image.id, server.flavor)).filter(([k]) => k.startsWith('image_')));
      Object.assign(payload, {
        dockerImage: this.d.images.dockerImageOf(image) || this.d.defaultServerImage,
        previous: { dockerImage: server.docker_image, imageRef: server.image_ref, systemMetadata: server.system_metadata },
        wasVmState: server.vm_state,
        // From 2.93 Nova re-images the root volume on every rebuild of a volume-backed server.
        ...(volumeBacked && req.reimageBootVolume && root?.volume_id ? { reimage: { volumeId: root.volume_id, imageId: image.id, bdmId: root.id } } : {}),
      });
      return {
        task_state: 'rebuilding',
        image_ref: volumeBacked ? server.image_ref : image.id,
        system_metadata: { ...kept, ...fresh },
        ...(req.name !== undefined ? { name: req.name } : {}),
        ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
        ...(req.description !== undefined ? { description: req.description } : {}),
        ...(req.accessIPv4 !== undefined ? { access_ip_v4: req.accessIPv4 } : {}),
        ...(req.accessIPv6 !== undefined ? { access_ip_v6: req.accessIPv6 } : {}),
        ...(req.hostname !== undefined ? { hostname: req.hostname } : {}),
        ...(req.trustedCerts !== undefined ? { trusted_certs: req.trustedCerts } : {}),
        ...(req.keyName !== undefined ? { key_name: req.keyName } : {}),
      };
    });
    if (!marked) throw new NotFound(`Instance ${serverId} could not be found.`);
    return marked;
  }

  /** Nova: "Cannot find image for rebuild" (400) when the image is not there or not visible. */
  private async image(auth: AuthContext, ref: string): Promise<ImageRecord> {
    const id = ref.replace(/\/+$/, '').split('/').pop() ?? ref;
    const image = await this.d.images.getImage(auth, id).catch((err) => {
      if (err instanceof NotFound) throw new BadRequest('Cannot find image for rebuild');
      throw err;
    });
    if (image.status !== 'active') throw new BadRequest(`Image ${id} is not active.`);
    return image;
  }

  private async perform(p: RebuildPayload): Promise<void> {
    const { store, containers, runtime } = this.d;
    let server = await store.get(p.serverId);
    if (!server) return;
    await store.update(server.id, { task_state: 'rebuild_block_device_mapping' });
    // The old root disk is committed (not thrown away) until the new container runs: a failure puts it back.
    server = await containers.retire(server, { keepRootDisk: true });
    if (p.reimage) {
      // The container is gone, so nothing has the volume mounted while its data is replaced.
      await this.d.volumes.reimageVolume(server.project_id, p.reimage.volumeId, p.reimage.imageId);
      await store.updateBlockDevice(p.reimage.bdmId, { image_id: p.reimage.imageId });
    }
    server = await store.updateExisting(server.id, { docker_image: p.dockerImage, task_state: 'rebuild_spawning' });
    const running = p.wasVmState !== 'stopped';
    if (running) await containers.launch(server);
    await store.update(server.id, { vm_state: running ? 'active' : 'stopped', task_state: null, power_state: running ? POWER.RUNNING : POWER.SHUTDOWN, fault: null });
    const oldRoot = containers.rootImageName(server.id);
    if (p.dockerImage !== oldRoot) await runtime.removeImage(oldRoot);
    this.d.log.info({ server_id: server.id, docker_image: p.dockerImage }, 'server rebuilt');
  }

  /** The old root disk comes back (it was kept until the new container ran), in the state before. */
  private async failed(p: RebuildPayload, error: string): Promise<void> {
    let server = await this.d.store.get(p.serverId);
    if (!server) return;
    this.d.log.warn({ server_id: server.id, error }, 'rebuild failed');
    await bestEffort(this.d.log, "removing the failed rebuild's container", { server_id: p.serverId }, () => this.d.runtime.removeForServer(p.serverId));
    // An image-backed root disk was committed to the server's root image before it was replaced.
    const root = this.d.containers.rootImageName(server.id);
    const kept = await bestEffort(this.d.log, "looking for the failed rebuild's committed root disk", { server_id: server.id, docker_image: root }, () => this.d.runtime.imageExists(root));
    const dockerImage = kept ? root : p.previous.dockerImage;
    server = (await this.d.store.update(server.id, {
      container_id: null, docker_image: dockerImage, image_ref: p.previous.imageRef, system_metadata: p.previous.systemMetadata,
    }))!;
    try {
      if (p.wasVmState === 'active') await this.d.containers.launch(server);
      await this.d.store.update(server.id, { vm_state: p.wasVmState, task_state: null });
    } catch (err) {
      this.d.log.error({ err, server_id: server.id }, 'could not bring the server back after a failed rebuild');
      await this.d.store.update(server.id, { vm_state: 'error', task_state: null, power_state: POWER.SHUTDOWN });
    }
  }
}
