/**
 * What compute needs from whatever runs a server. The Docker implementation is
 * docker-server-runtime.ts; fake-server-runtime.ts holds servers in memory (SNAPSTACK_DOCKER=fake,
 * unit tests); unavailable-runtime.ts answers when there is no engine.
 *
 * Mount convention: each volume attached as /dev/vdX is mounted at /mnt/vdX in the container
 * (the root volume of a volume-backed server, /dev/vda, at /mnt/vda).
 */
import type { PauseHold } from '../../runtime/container-pauses';
import type { ImageFacts } from '../../runtime/image-driver';

export interface ServerMount {
  /** Docker volume name from VolumeApi.prepareMount */
  dockerVolume: string;
  /** e.g. /mnt/vdb */
  target: string;
}

export interface ContainerSpec {
  serverId: string;
  projectId: string;
  /** Docker image to run */
  image: string;
  hostname: string;
  memoryMiB: number;
  vcpus: number;
  network: 'none' | 'bridge';
  mounts: ServerMount[];
}

export interface ContainerState {
  id: string;
  /** Docker's state: running, paused, exited, created... */
  state: string;
  ipAddress: string | null;
  macAddress: string | null;
}

export interface ServerRuntime {
  /** Creates and starts the server's container (an older one with the same name is removed first). */
  createAndStart(spec: ContainerSpec): Promise<ContainerState>;
  /** null when the container is gone. */
  inspect(containerId: string): Promise<ContainerState | null>;
  stop(containerId: string): Promise<void>;
  restart(containerId: string): Promise<void>;
  /** Idempotent. */
  remove(containerId: string): Promise<void>;
  /** Removes the server's container found by name (one a crash left unrecorded). Idempotent. */
  removeForServer(serverId: string): Promise<void>;
  /** The server's container found by name, recorded or not (null when there is none). */
  findForServer(serverId: string): Promise<ContainerState | null>;
  /** This instance's server containers, by the server id their labels name. */
  listServerContainers(): Promise<Array<{ id: string; serverId: string; state: string }>>;
  /** A counted pause around a capture (nested holds of one container are one pause; the last release unpauses). */
  hold(containerId: string): Promise<PauseHold>;
  /** What the container wrote to stdout and stderr, in order ('' when it is gone). */
  logs(containerId: string): Promise<string>;
  /** Nova's pause action: true when this call paused it (false when it was not running, or a capture holds it). */
  pause(containerId: string): Promise<boolean>;
  /** Nova's unpause, or a container a crash left paused; a container a capture holds is left to the capture's release. */
  unpause(containerId: string): Promise<void>;
  /** Commits the container's filesystem to `ref`, labelled as this instance's (plus `labels`); returns the image size. */
  commit(containerId: string, ref: string, labels: Record<string, string>, opts?: { pause?: boolean }): Promise<{ size: number }>;
  /**
   * Gives an existing image another name, labelled as this instance's (a source without the
   * labels, a seeded base image, is copied with them), so the start-up sweep finds it; its size.
   */
  tag(sourceRef: string, targetRef: string): Promise<{ size: number }>;
  /** The Docker images carrying this instance's label, with their names. */
  ownImages(): Promise<ImageFacts[]>;
  imageExists(ref: string): Promise<boolean>;
  /** Idempotent; an image still in use is left in place. */
  removeImage(ref: string): Promise<void>;
}

/** Where a device's volume is mounted inside the container: /dev/vdb -> /mnt/vdb. */
export function mountPointOf(device: string): string {
  const base = device.split('/').filter(Boolean).pop() ?? device;
  return `/mnt/${base}`;
}
