import os from 'os';
import type Docker from 'dockerode';
import { containerPauses, type PauseHold } from '../../runtime/container-pauses';
import { instanceLabelFilter, isDockerStatus, LABELS, managedLabels } from '../../runtime/docker-engine';
import { DockerImageDriver } from '../../runtime/docker-image-driver';
import type { ImageDriver } from '../../runtime/image-driver';
import { InstanceImages } from './instance-images';
import type { ContainerSpec, ContainerState, ServerRuntime } from './server-runtime';
import type { Logger } from '../../logger';
import { bestEffort } from '../../shared/best-effort';

/**
 * PID 1 of a server container: it prints a short boot log on the console (its Docker log, which
 * os-getConsoleOutput reads: the name, the kernel, the disks), then stays up doing nothing and
 * exits at once on SIGTERM (a bare `tail -f /dev/null` as PID 1 ignores SIGTERM and would make
 * every stop wait 10 s). Shell built-ins only but `sleep`, so any image with /bin/sh boots. What
 * a user's process writes to /proc/1/fd/1 shows on the console too.
 */
export const KEEPALIVE_COMMAND = ['/bin/sh', '-c', [
  "trap 'exit 0' TERM INT",
  'read -r h < /proc/sys/kernel/hostname',
  'echo "Snapstack: booting $h"',
  'read -r v < /proc/version; echo "$v"',
  'for d in /mnt/vd*; do [ -d "$d" ] && echo "Snapstack: disk $d"; done',
  'echo "Snapstack: $h is up"',
  'while :; do sleep 3600 & wait $!; done',
].join('\n')];

/** Docker refuses more CPUs or memory than the machine has: limits are capped to it. */
function caps() {
  return { cpus: os.cpus().length || 1, memoryBytes: os.totalmem() };
}

function hostnameOf(name: string): string {
  const h = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return h || 'server';
}

/** Servers as Docker containers, labelled so they can be found and purged per Snapstack instance. */
export class DockerServerRuntime extends InstanceImages implements ServerRuntime {
  constructor(
    private readonly docker: Docker,
    instanceId: string,
    private readonly log: Logger,
    // Images: the one image driver's (src/runtime/image-driver.ts), through InstanceImages.
    images: ImageDriver = new DockerImageDriver(docker, log),
  ) {
    super(images, instanceId);
  }

  containerName(serverId: string): string {
    return `snapstack-${this.instanceId}-${serverId}`;
  }

  /**
   * The server's container, made and started. A container left under its name (a crash between
   * a start and its row, a re-create) is removed when the create meets it (409), not looked for
   * first: a boot costs the engine no extra call, which ten boots at once share.
   */
  async createAndStart(spec: ContainerSpec): Promise<ContainerState> {
    const name = this.containerName(spec.serverId);
    const { cpus, memoryBytes } = caps();
    const memory = Math.min(spec.memoryMiB * 1024 * 1024, memoryBytes);
    const create = () => this.docker.createContainer({
      name,
      Image: spec.image,
      Entrypoint: [],
      Cmd: KEEPALIVE_COMMAND,
      Hostname: hostnameOf(spec.hostname),
      Labels: managedLabels(this.instanceId, { [LABELS.project]: spec.projectId, [LABELS.server]: spec.serverId }),
      HostConfig: {
        Memory: memory,
        MemorySwap: memory,
        NanoCpus: Math.round(Math.min(spec.vcpus, cpus) * 1e9),
        NetworkMode: spec.network === 'none' ? 'none' : 'bridge',
        Mounts: spec.mounts.map((m) => ({ Type: 'volume' as const, Source: m.dockerVolume, Target: m.target })),
      },
    });
    const container = await create().catch(async (err: unknown) => {
      if (!isDockerStatus(err, 409)) throw err;
      await this.remove(name);
      return create();
    });
    try {
      await container.start();
    } catch (err) {
      await bestEffort(this.log, 'removing a server container that did not start', { server_id: spec.serverId, container_id: container.id }, () => container.remove({ force: true }));
      throw err;
    }
    // Without a network there is no address to read back: the start's success is the state (an
    // engine call less per boot; ten boots at once share the engine).
    if (spec.network === 'none') return { id: container.id, state: 'running', ipAddress: null, macAddress: null };
    const state = await this.inspect(container.id);
    if (!state) throw new Error(`container ${container.id} vanished after start`);
    return state;
  }

  async inspect(containerId: string): Promise<ContainerState | null> {
    try {
      const info = await this.docker.getContainer(containerId).inspect();
      const bridge = info.NetworkSettings?.Networks?.bridge;
      return {
        id: info.Id,
        state: info.State?.Status ?? 'unknown',
        ipAddress: bridge?.IPAddress || null,
        macAddress: bridge?.MacAddress || null,
      };
    } catch (err) {
      if (isDockerStatus(err, 404)) return null;
      throw err;
    }
  }

  async stop(containerId: string): Promise<void> {
    const c = this.docker.getContainer(containerId);
    const state = await this.inspect(containerId);
    if (!state) return;
    if (state.state === 'paused') await c.unpause();
    if (state.state === 'running' || state.state === 'paused' || state.state === 'restarting') {
      await c.stop({ t: 10 }).catch((err) => {
        if (!isDockerStatus(err, 304)) throw err;
      });
    }
  }

  async restart(containerId: string): Promise<void> {
    await this.docker.getContainer(containerId).restart({ t: 10 });
  }

  async remove(containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).remove({ force: true, v: false });
    } catch (err) {
      if (isDockerStatus(err, 404)) return;
      // 409: removal already in progress
      if (isDockerStatus(err, 409)) return;
      throw err;
    }
  }

  async removeForServer(serverId: string): Promise<void> {
    await this.remove(this.containerName(serverId));
  }

  async findForServer(serverId: string): Promise<ContainerState | null> {
    return this.inspect(this.containerName(serverId));
  }

  async listServerContainers(): Promise<Array<{ id: string; serverId: string; state: string }>> {
    const list = await this.docker.listContainers({ all: true, filters: { label: instanceLabelFilter(this.instanceId, [LABELS.server]) } });
    return list.map((c) => ({ id: c.Id, serverId: c.Labels[LABELS.server], state: c.State }));
  }

  async hold(containerId: string): Promise<PauseHold> {
    return containerPauses(this.docker).hold(containerId);
  }

  async logs(containerId: string): Promise<string> {
    let raw: Buffer;
    try {
      raw = await this.docker.getContainer(containerId).logs({ stdout: true, stderr: true, follow: false });
    } catch (err) {
      if (isDockerStatus(err, 404)) return '';
      throw err;
    }
    return demuxLogs(raw).toString('latin1');
  }

  async pause(containerId: string): Promise<boolean> {
    const state = await this.inspect(containerId);
    if (state?.state !== 'running') return false;
    await this.docker.getContainer(containerId).pause();
    return true;
  }

  async unpause(containerId: string): Promise<void> {
    // Held by a capture (of any replica): its last release unpauses it.
    if (await containerPauses(this.docker).heldAnywhere(containerId)) return;
    await this.docker.getContainer(containerId).unpause().catch((err) => {
      if (!isDockerStatus(err, 404) && !isDockerStatus(err, 409) && !isDockerStatus(err, 500)) throw err;
    });
  }
}

/** Docker's multiplexed log frames (8-byte header: stream, 0, 0, 0, big-endian length) joined in order. */
function demuxLogs(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length && raw[i] <= 2 && raw[i + 1] === 0) {
    const len = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  // A container with a TTY writes unframed output.
  return i === 0 ? raw : Buffer.concat(parts);
}
