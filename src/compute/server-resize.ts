import type { AuthContext } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import type { JobDefinition } from '../jobs/jobs-api';
import { checkFlavorFitsImage, MinDiskRule } from './boot-disk-rules';
import type { FlavorService } from './flavor-service';
import { isVolumeBacked } from './server-containers';
import { flavorAtBoot } from './server-create';
import { acceptAction, type ServerWorkDeps } from './server-jobs';
import { checkState, POWER } from './server-states';
import type { FlavorAtBoot, ServerRow } from './server-store';

export const JOB_RESIZE = 'compute.server.resize';

interface ResizePayload {
  serverId: string;
  op: 'resize' | 'revert';
  /** resize: the flavor to take */
  flavor?: FlavorAtBoot;
}

export interface ResizeDeps extends Omit<ServerWorkDeps, 'runtime' | 'images'> {
  flavors: FlavorService;
  minDiskRule: MinDiskRule;
}

/**
 * resize, confirmResize, revertResize on the one host: the container is re-created with the
 * new flavor's memory and CPU limits (the root disk committed and kept, volumes re-mounted).
 * resize_prep -> resize_migrating -> resize_migrated -> resize_finish -> VERIFY_RESIZE;
 * confirm goes back to the vm_state before (ACTIVE or SHUTOFF); revert (resize_reverting)
 * re-creates the container with the old flavor.
 */
export class ServerResizes {
  constructor(private readonly d: ResizeDeps) {}

  job(): JobDefinition<ResizePayload> {
    return {
      kind: JOB_RESIZE,
      onRestart: 'fail',
      run: (p) => this.d.locks.withLock(p.serverId, () => this.perform(p)),
      onFail: (p, error) => this.d.locks.withLock(p.serverId, () => this.failed(p, error)),
    };
  }

  /** Nova's checks in its order (nova/compute/api.py resize), then the boot's disk checks. */
  async resize(auth: AuthContext, serverId: string, flavorId: string): Promise<void> {
    const payload: ResizePayload = { serverId, op: 'resize' };
    await acceptAction(this.d, JOB_RESIZE, payload, async (server) => {
      checkState(server, 'resize', { vmStates: ['active', 'stopped'] });
      const flavor = await this.d.flavors.get(auth, flavorId).catch((err) => {
        if (err instanceof NotFound) throw new BadRequest(`Flavor ${flavorId} could not be found.`);
        throw err;
      });
      payload.flavor = flavorAtBoot(flavor);
      const bdms = await this.d.store.blockDevices(serverId);
      const volumeBacked = isVolumeBacked(bdms);
      if (flavor.disk === 0 && server.flavor.disk !== 0 && !volumeBacked) {
        throw new BadRequest('Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.');
      }
      if (flavor.id === server.flavor.id) throw new BadRequest('When resizing, instances must change flavor!');
      const root = bdms.find((b) => b.boot_index === 0);
      const meta = server.system_metadata;
      const image = 'image_min_disk' in meta || 'image_min_ram' in meta
        ? { minDisk: Number(meta.image_min_disk ?? 0), minRam: Number(meta.image_min_ram ?? 0), size: null }
        : null;
      checkFlavorFitsImage(this.d.minDiskRule, flavor, image, { destination_type: volumeBacked ? 'volume' : 'local', volume_size: root?.volume_size ?? null });
      return { task_state: 'resize_prep' };
    });
  }

  /** Synchronous here (Nova finishes it in the compute service): the old flavor is forgotten. */
  async confirm(serverId: string): Promise<void> {
    await this.d.locks.withLock(serverId, async () => {
      const server = await this.d.store.get(serverId);
      if (!server) return;
      checkState(server, 'confirmResize', { vmStates: ['resized'] });
      await this.d.store.update(serverId, { vm_state: server.old_vm_state ?? 'active', old_flavor: null, old_vm_state: null });
    });
  }

  async revert(serverId: string): Promise<void> {
    await acceptAction(this.d, JOB_RESIZE, { serverId, op: 'revert' }, (server) => {
      checkState(server, 'revertResize', { vmStates: ['resized'] });
      return { task_state: 'resize_reverting' };
    });
  }

  private async perform(p: ResizePayload): Promise<void> {
    const { store, containers } = this.d;
    let server = await store.get(p.serverId);
    if (!server) return;
    if (p.op === 'revert') {
      server = await containers.retire(server, { keepRootDisk: true });
      const back = server.old_vm_state ?? 'active';
      server = (await store.update(server.id, { flavor: server.old_flavor ?? server.flavor, flavor_id: (server.old_flavor ?? server.flavor).id }))!;
      if (back === 'active') await containers.launch(server);
      await store.update(server.id, {
        vm_state: back, task_state: null, power_state: back === 'active' ? POWER.RUNNING : POWER.SHUTDOWN, old_flavor: null, old_vm_state: null,
      });
      return;
    }
    const was = server.vm_state;
    await store.update(server.id, { task_state: 'resize_migrating' });
    server = await containers.retire(server, { keepRootDisk: true });
    server = (await store.update(server.id, {
      task_state: 'resize_migrated', flavor: p.flavor!, flavor_id: p.flavor!.id, old_flavor: server.flavor, old_vm_state: was,
    }))!;
    await store.update(server.id, { task_state: 'resize_finish' });
    if (was === 'active') await containers.launch(server);
    await store.update(server.id, { vm_state: 'resized', task_state: null, power_state: was === 'active' ? POWER.RUNNING : POWER.SHUTDOWN });
    this.d.log.info({ server_id: server.id, from: server.old_flavor?.id, to: p.flavor!.id }, 'server resized');
  }

  /** A failed resize or revert goes back to the old flavor and the vm_state before, container and all. */
  private async failed(p: ResizePayload, error: string): Promise<void> {
    let server = await this.d.store.get(p.serverId);
    if (!server) return;
    this.d.log.warn({ server_id: server.id, op: p.op, error }, 'resize failed');
    const back = server.old_vm_state ?? (server.vm_state === 'resized' ? 'active' : server.vm_state);
    const flavor = server.old_flavor ?? server.flavor;
    try {
      server = await this.d.containers.retire(server, { keepRootDisk: true });
      server = (await this.d.store.update(server.id, { flavor, flavor_id: flavor.id, old_flavor: null, old_vm_state: null }))!;
      if (back === 'active') await this.d.containers.launch(server);
      await this.d.store.update(server.id, { vm_state: back, task_state: null, power_state: back === 'active' ? POWER.RUNNING : POWER.SHUTDOWN });
    } catch (err) {
      this.d.log.error({ err, server_id: server.id }, 'could not roll a failed resize back');
      await this.d.store.update(server.id, { vm_state: 'error', task_state: null, container_id: null });
    }
  }
}
