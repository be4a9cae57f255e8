import type { Logger } from '../logger';
import type { VolumeApi } from '../volume/volume-api';
import { LABELS } from '../runtime/docker-engine';
import { fullImageRef } from '../runtime/image-driver';
import { crashPoint } from '../shared/crash-points';
import type { ContainerState, ServerRuntime, ServerMount } from './runtime/server-runtime';
import { mountPointOf } from './runtime/server-runtime';
import { MAX_CONSOLE_BYTES, type ServerConsoleStore } from './server-console-store';
import type { BlockDeviceRow, ServerRow, ServerStore } from './server-store';

/** A server is volume-backed when its root (boot_index 0) is a volume (nova/compute/utils.py). */
export function isVolumeBacked(bdms: BlockDeviceRow[]): boolean {
  return bdms.some((b) => b.boot_index === 0 && b.destination_type === 'volume');
}

/** The attached volumes of a server, in device order. */
export function attachedVolumes(bdms: BlockDeviceRow[]): BlockDeviceRow[] {
  return bdms
    .filter((b) => b.destination_type === 'volume' && b.volume_id)
    .sort((a, b) => String(a.device_name).localeCompare(String(b.device_name)));
}

/**
 * Containers are disposable: the server record and its volumes are the truth. Launching mounts
 * every attached volume at /mnt/<device> (fresh from VolumeApi.prepareMount, so a volume whose
 * layer chain changed is re-mounted); retiring an image-backed server first commits the
 * container's filesystem to the server's root image, so its local root disk survives stop/start.
 */
export class ServerContainers {
  constructor(
    private readonly runtime: ServerRuntime,
    private readonly volumes: VolumeApi,
    private readonly store: ServerStore,
    private readonly log: Logger,
    private readonly consoles: ServerConsoleStore,
  ) {}

  /** The Docker image holding an image-backed server's root disk after its first stop. */
  rootImageName(serverId: string): string {
    return `snapstack/root-${serverId}:latest`;
  }

  /**
   * `bdms`: the server's block devices when the caller has them (a build), else they are read.
   * `then`: what the caller sets on the server once the container runs (its state; called then,
   * so a launched_at is the start's time), written in the same statement as the container's id.
   */
  async launch(server: ServerRow, bdms?: BlockDeviceRow[], then?: () => Partial<ServerRow>): Promise<ServerRow> {
    bdms ??= await this.store.blockDevices(server.id);
    // Each volume under its own lock: made ready side by side, in device order.
    const mounts: ServerMount[] = await Promise.all(attachedVolumes(bdms).map(async (b) => {
      const { dockerVolume } = await this.volumes.prepareMount(server.project_id, b.volume_id!);
      return { dockerVolume, target: mountPointOf(b.device_name ?? '/dev/vdz') };
    }));
    const state = await this.runtime.createAndStart({
      serverId: server.id,
      projectId: server.project_id,
      image: server.docker_image!,
      hostname: server.name,
      memoryMiB: server.flavor.ram,
      vcpus: server.flavor.vcpus,
      network: server.networks === 'none' ? 'none' : 'bridge',
      mounts,
    });
    this.log.info({ server_id: server.id, container_id: state.id, mounts: mounts.length }, 'server container started');
    crashPoint('start.container-started');
    return (await this.store.update(server.id, {
      container_id: state.id,
      ip_address: server.networks === 'none' ? null : state.ipAddress,
      mac_address: server.networks === 'none' ? null : state.macAddress,
      ...then?.(),
    }))!;
  }

  /**
   * The server's container: the recorded one, or one found by name that a crash left
   * unrecorded (os-start killed between the start and the row).
   */
  async current(server: ServerRow): Promise<ContainerState | null> {
    const recorded = server.container_id ? await this.runtime.inspect(server.container_id) : null;
    return recorded ?? this.runtime.findForServer(server.id);
  }

  /** Docker's state of the server's container ('running', 'exited'...), or null when there is none. */
  async state(server: ServerRow): Promise<string | null> {
    return (await this.current(server))?.state ?? null;
  }

  /** Docker-pauses the server's container (the pause action). */
  async pause(server: ServerRow): Promise<boolean> {
    return server.container_id ? this.runtime.pause(server.container_id) : false;
  }

  /** Unpauses the container (unpause; or one a crash left paused mid-capture). */
  async unpause(server: ServerRow): Promise<void> {
    if (server.container_id) await this.runtime.unpause(server.container_id);
  }

  /** Stops and removes the container; an image-backed server's root disk is committed first. */
  async retire(server: ServerRow, opts: { keepRootDisk: boolean }): Promise<ServerRow> {
    const state = await this.current(server);
    if (!state && !server.container_id) return server;
    let dockerImage = server.docker_image;
    if (state) {
      await this.runtime.stop(state.id);
      crashPoint('stop.container-stopped');
      // Its Docker log goes with the container: the console keeps it (server-console-store.ts).
      await this.consoles.keep(server.id, state.id, await this.runtime.logs(state.id));
      const bdms = await this.store.blockDevices(server.id);
      if (opts.keepRootDisk && !isVolumeBacked(bdms)) {
        dockerImage = this.rootImageName(server.id);
        await this.runtime.commit(state.id, dockerImage, { [LABELS.role]: 'root-disk' }, { pause: false });
      }
      await this.runtime.remove(state.id);
      crashPoint('stop.container-removed');
    }
    return (await this.store.update(server.id, { container_id: null, docker_image: dockerImage }))!;
  }

  /** Re-creates the container (mounts changed, hard reboot): retire keeping the disk, launch. */
  async recreate(server: ServerRow): Promise<ServerRow> {
    return this.launch(await this.retire(server, { keepRootDisk: true }));
  }

  /**
   * At start: this instance's server containers that no live server accounts for (a crash
   * between a container's start and its row, or a deletion's steps) are removed, each logged.
   */
  async sweep(liveServerIds: Set<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const c of await this.runtime.listServerContainers()) {
      if (liveServerIds.has(c.serverId)) continue;
      this.log.warn({ container_id: c.id, server_id: c.serverId, state: c.state, decision: 'removed' }, 'reconcile: a container no server accounts for');
      await this.runtime.remove(c.id);
      removed.push(c.id);
    }
    return removed;
  }

  /**
   * At start: this instance's Docker images (found by its label) whose names no record accounts
   * for, a kill -9 between a commit or tag and its row, are removed, each decision logged. A name
   * is accounted for when an image record names it (`accounted`), or it is a live server's root
   * image or the image it runs. An untagged image of this instance goes too unless the engine
   * keeps it (an image or container still uses it). Images of other instances are never listed.
   */
  async sweepImages(servers: ServerRow[], accounted: Set<string>): Promise<string[]> {
    const keep = new Set([...accounted].map(fullImageRef));
    for (const s of servers) {
      keep.add(fullImageRef(this.rootImageName(s.id)));
      if (s.docker_image) keep.add(fullImageRef(s.docker_image));
    }
    const removed: string[] = [];
    for (const img of await this.runtime.ownImages()) {
      if (!img.tags.length) {
        await this.runtime.removeImage(img.id);
        const gone = !(await this.runtime.imageExists(img.id));
        this.log[gone ? 'warn' : 'debug']({ image_id: img.id, decision: gone ? 'removed' : 'kept (in use)' }, 'reconcile: an untagged Docker image of this instance');
        if (gone) removed.push(img.id);
        continue;
      }
      for (const tag of img.tags) {
        if (keep.has(fullImageRef(tag))) continue;
        this.log.warn({ docker_image: tag, image_id: img.id, decision: 'removed' }, 'reconcile: a Docker image no record accounts for');
        await this.runtime.removeImage(tag);
        removed.push(tag);
      }
    }
    return removed;
  }

  /** Removes the container and the server's root image (server deletion). */
  async destroy(server: ServerRow): Promise<void> {
    if (server.container_id) await this.runtime.remove(server.container_id);
    await this.runtime.removeForServer(server.id);
    await this.runtime.removeImage(this.rootImageName(server.id));
    await this.consoles.remove(server.id);
  }

  /**
   * The server's console log: what its earlier containers printed (kept when each was retired)
   * and what the running one prints, the last MAX_CONSOLE_BYTES of it.
   */
  async consoleLog(server: ServerRow): Promise<string> {
    const { earlier, current } = await this.consoles.before(server.id, server.container_id);
    const live = server.container_id ? await this.runtime.logs(server.container_id) : '';
    // A container retired once already (a retire that did not finish) may have lost its log.
    return (earlier + (live || current || '')).slice(-MAX_CONSOLE_BYTES);
  }
}
