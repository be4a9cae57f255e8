import type { JobDefinition } from '../jobs/jobs-api';
import { isVolumeBacked } from './server-containers';
import { snapshotImageInput } from './server-snapshot';
import { acceptAction, type ServerWorkDeps } from './server-jobs';
import { checkState, POWER } from './server-states';
import type { ServerRow } from './server-store';
import { bestEffort } from '../shared/best-effort';

export const JOB_SHELVE = 'compute.server.shelve';

type ShelveOp = 'shelve' | 'offload' | 'unshelve';

interface ShelvePayload {
  serverId: string;
  op: ShelveOp;
}

/**
 * shelve, shelveOffload, unshelve (Nova's shelved_offload_time 0: a shelve offloads at once).
 * Image-backed: the container's root disk is committed and a private `<name>-shelved` snapshot
 * image made of it; volume-backed: nothing but the container goes. Volumes stay attached in the
 * records. Unshelve boots a new container from the shelved image and deletes that image.
 *
 * task_state: shelving -> shelving_image_pending_upload -> shelving_image_uploading ->
 * (SHELVED) shelving_offloading -> SHELVED_OFFLOADED; unshelving -> spawning -> ACTIVE.
 */
export class ServerShelves {
  constructor(private readonly d: ServerWorkDeps) {}

  job(): JobDefinition<ShelvePayload> {
    return {
      kind: JOB_SHELVE,
      onRestart: 'fail',
      run: (p) => this.d.locks.withLock(p.serverId, () => this.perform(p)),
      onFail: (p, error) => this.d.locks.withLock(p.serverId, () => this.failed(p, error)),
    };
  }

  async shelve(serverId: string): Promise<void> {
    await acceptAction(this.d, JOB_SHELVE, { serverId, op: 'shelve' }, async (server) => {
      checkState(server, 'shelve', { vmStates: ['active', 'stopped', 'paused', 'suspended'] });
      if (isVolumeBacked(await this.d.store.blockDevices(serverId))) return { task_state: 'shelving' };
      const owner = { projectId: server.project_id, isAdmin: false };
      const image = await this.d.images.createImage(owner, snapshotImageInput(server, `${server.name}-shelved`, {}, 'snapshot'));
      return { task_state: 'shelving', shelved_image_id: image.id };
    });
  }

  async offload(serverId: string): Promise<void> {
    await acceptAction(this.d, JOB_SHELVE, { serverId, op: 'offload' }, (server) => {
      checkState(server, 'shelveOffload', { vmStates: ['shelved'] });
      return { task_state: 'shelving_offloading' };
    });
  }

  async unshelve(serverId: string): Promise<void> {
    await acceptAction(this.d, JOB_SHELVE, { serverId, op: 'unshelve' }, (server) => {
      checkState(server, 'unshelve', { vmStates: ['shelved', 'shelved_offloaded'] });
      return { task_state: 'unshelving' };
    });
  }

  private async perform(p: ShelvePayload): Promise<void> {
    const server = await this.d.store.get(p.serverId);
    if (!server) return;
    if (p.op === 'shelve') return this.doShelve(server);
    if (p.op === 'offload') return this.doOffload(server);
    return this.doUnshelve(server);
  }

  private async doShelve(server: ServerRow): Promise<void> {
    const { store, containers, runtime, images } = this.d;
    if (!server.shelved_image_id) {
      await store.update(server.id, { task_state: 'shelving_offloading' });
      return this.doOffload(server);
    }
    // The root disk is committed to the server's root image as the container goes.
    server = await containers.retire(server, { keepRootDisk: true });
    await store.update(server.id, { task_state: 'shelving_image_pending_upload', power_state: POWER.SHUTDOWN });
    await images.markSaving(server.shelved_image_id!);
    await store.update(server.id, { task_state: 'shelving_image_uploading' });
    const target = images.snapshotDockerImageName(server.shelved_image_id!);
    const { size } = await runtime.tag(server.docker_image!, target);
    await images.activateFromDockerImage(server.shelved_image_id!, target, size);
    await store.update(server.id, { vm_state: 'shelved', task_state: 'shelving_offloading' });
    await this.doOffload(server);
    this.d.log.info({ server_id: server.id, image_id: server.shelved_image_id, size }, 'server shelved');
  }

  private async doOffload(server: ServerRow): Promise<void> {
    await this.d.containers.retire(server, { keepRootDisk: true });
    await this.d.store.update(server.id, { vm_state: 'shelved_offloaded', task_state: null, power_state: POWER.SHUTDOWN, ip_address: null, mac_address: null });
  }

  private async doUnshelve(server: ServerRow): Promise<void> {
    const { store, containers, runtime, images } = this.d;
    await store.update(server.id, { task_state: 'spawning' });
    const shelvedImage = server.shelved_image_id;
    if (shelvedImage) {
      // Boot from the shelved image: its Docker image becomes the server's root image again.
      const source = images.snapshotDockerImageName(shelvedImage);
      if (await runtime.imageExists(source)) {
        const root = containers.rootImageName(server.id);
        if (source !== server.docker_image) await runtime.tag(source, root);
        server = (await store.update(server.id, { docker_image: root }))!;
      }
    }
    await containers.launch(server, undefined, () => ({ vm_state: 'active', task_state: null, power_state: POWER.RUNNING, shelved_image_id: null }));
    if (shelvedImage) {
      await images.deleteImage({ projectId: server.project_id, isAdmin: false }, shelvedImage).catch((err) => {
        this.d.log.warn({ err, server_id: server.id, image_id: shelvedImage }, 'could not delete the shelved image');
      });
    }
    this.d.log.info({ server_id: server.id, image_id: shelvedImage }, 'server unshelved');
  }

  /**
   * A failed shelve deletes its half-made image and leaves the server as its container is (or
   * SHUTOFF, the root disk committed); a failed unshelve leaves it SHELVED_OFFLOADED, no container.
   */
  private async failed(p: ShelvePayload, error: string): Promise<void> {
    const server = await this.d.store.get(p.serverId);
    if (!server) return;
    this.d.log.warn({ server_id: server.id, op: p.op, error }, 'shelve action failed');
    if (p.op === 'unshelve') {
      await bestEffort(this.d.log, 'removing the half-unshelved container', { server_id: server.id }, () => this.d.runtime.removeForServer(server.id));
      await this.d.store.update(server.id, { vm_state: 'shelved_offloaded', task_state: null, power_state: POWER.SHUTDOWN, container_id: null });
      return;
    }
    if (p.op === 'shelve' && server.shelved_image_id && server.vm_state !== 'shelved') {
      const imageId = server.shelved_image_id;
      const ids = { server_id: server.id, image_id: imageId };
      await bestEffort(this.d.log, 'removing the half-made shelve image', ids, () => this.d.images.deleteImage({ projectId: null, isAdmin: true }, imageId));
      await bestEffort(this.d.log, "removing the half-made shelve image's Docker image", ids, () => this.d.runtime.removeImage(this.d.images.snapshotDockerImageName(imageId)));
      await this.d.store.update(server.id, { shelved_image_id: null });
    }
    const state = (await bestEffort(this.d.log, 'reading the container of an interrupted shelve', { server_id: server.id }, () => this.d.containers.state(server))) ?? null;
    if (server.vm_state === 'shelved') await this.d.store.update(server.id, { task_state: null });
    else if (state === 'running') await this.d.store.update(server.id, { vm_state: 'active', task_state: null, power_state: POWER.RUNNING });
    else if (state === 'paused') await this.d.store.update(server.id, { vm_state: 'paused', task_state: null, power_state: POWER.PAUSED });
    else await this.d.store.update(server.id, { vm_state: 'stopped', task_state: null, power_state: POWER.SHUTDOWN, container_id: null });
  }
}
