import type Docker from 'dockerode';
import type { Logger } from '../../logger';
import { containerPauses, type PauseHold } from '../../runtime/container-pauses';
import { LABELS, instanceLabelFilter, isDockerStatus, managedLabels } from '../../runtime/docker-engine';
import { VolumeDataError } from './volume-data-errors';
import { bestEffort } from '../../shared/best-effort';

export interface VolumeUser {
  id: string;
  state: string;
}

/** States in which the engine holds the volume mounted. */
const MOUNTED_STATES = new Set(['running', 'paused', 'restarting', 'removing']);

export function isMounted(user: VolumeUser): boolean {
  return MOUNTED_STATES.has(user.state);
}

/** Every container (any state) that references the named volume. */
export async function containersUsingVolume(docker: Docker, name: string): Promise<VolumeUser[]> {
  const list = await docker.listContainers({ all: true, filters: { volume: [name] } });
  return list.map((c) => ({ id: c.Id, state: c.State }));
}

/**
 * Holds every mounted one among `users` still (a counted pause, shared with compute's: two
 * captures of one server's volumes at once are one pause). Release them with `releaseAll`.
 */
export async function pauseRunning(docker: Docker, users: VolumeUser[], log: Logger, ids: Record<string, unknown>): Promise<PauseHold[]> {
  const holds: PauseHold[] = [];
  try {
    for (const u of users.filter((x) => x.state === 'running' || x.state === 'paused')) holds.push(await containerPauses(docker).hold(u.id));
  } catch (err) {
    await releaseAll(holds, log, ids);
    throw new VolumeDataError('could not pause the containers using the volume', { cause: err });
  }
  return holds;
}

/** Best effort: a container removed meanwhile is not an error worth failing a snapshot for; any other failure is logged. */
export async function releaseAll(holds: PauseHold[], log: Logger, ids: Record<string, unknown>): Promise<void> {
  await Promise.all(holds.map((h) => bestEffort(log, 'releasing a pause hold', ids, () => h.release())));
}

export interface OverlayVolumeSpec {
  name: string;
  /** The overlay mount data: `lowerdir=...[,upperdir=...,workdir=...]`. */
  options: string;
  labels: Record<string, string>;
}

export async function createOverlayVolume(docker: Docker, spec: OverlayVolumeSpec): Promise<void> {
  await docker.createVolume({
    Name: spec.name,
    Driver: 'local',
    DriverOpts: { type: 'overlay', device: 'overlay', o: spec.options },
    Labels: spec.labels,
  });
}

/** The volume's overlay mount data, or null when the volume does not exist. */
export async function inspectVolumeOptions(docker: Docker, name: string): Promise<{ options: string } | null> {
  try {
    const info = (await docker.getVolume(name).inspect()) as { Options?: Record<string, string> | null };
    return { options: info.Options?.o ?? '' };
  } catch (err) {
    if (isDockerStatus(err, 404)) return null;
    throw err;
  }
}

/** 'busy' when a container (even a stopped one) references it. */
export async function removeVolume(docker: Docker, name: string): Promise<'removed' | 'missing' | 'busy'> {
  try {
    await docker.getVolume(name).remove();
    return 'removed';
  } catch (err) {
    if (isDockerStatus(err, 404)) return 'missing';
    if (isDockerStatus(err, 409)) return 'busy';
    throw err;
  }
}

export interface HelperRun {
  image: string;
  instanceId: string;
  role: string;
  cmd: string[];
  binds: string[];
  capAdd?: string[];
  /** Where a failed removal of the finished helper is logged. */
  log: Logger;
}

/**
 * Removes a finished helper container: one already gone is fine; any other failure is logged
 * (the labelled leftover is swept at the next start) and does not replace the caller's outcome.
 */
async function removeHelper(container: Docker.Container, log: Logger, role: string): Promise<void> {
  await bestEffort(log, 'removing a helper container', { container_id: container.id, role }, () => container.remove({ force: true }));
}

/** Runs a short-lived helper container to completion and removes it; throws on a non-zero exit. */
export async function runHelper(docker: Docker, run: HelperRun): Promise<string> {
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: run.image,
      Cmd: run.cmd,
      Tty: true, // one plain output stream, no multiplexing headers
      Labels: managedLabels(run.instanceId, { [LABELS.role]: run.role }),
      HostConfig: { Binds: run.binds, CapAdd: run.capAdd, NetworkMode: 'none' },
    });
  } catch (err) {
    if (isDockerStatus(err, 404)) {
      throw new VolumeDataError(`helper image ${run.image} is missing: run scripts/build-base-image.sh`, { cause: err });
    }
    throw err;
  }
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = await containerOutput(container);
    if (StatusCode !== 0) {
      throw new VolumeDataError(`helper ${run.role} exited with ${StatusCode}: ${output.trim().slice(-2000)}`);
    }
    return output;
  } finally {
    await removeHelper(container, run.log, run.role);
  }
}

/**
 * A finished Tty container's output, as text. Read as a stream: the buffered
 * form goes through docker-modem's JSON sniffing, which turns "42" into 42.
 */
export async function containerOutput(container: Docker.Container): Promise<string> {
  const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Removes this instance's Docker leftovers: temporary flatten volumes and helper
 * containers a crash left, and volumes labelled for a volume with no data here
 * (unless a container references them). Returns the latter's volume ids.
 */
export async function sweepDockerLeftovers(
  docker: Docker,
  instanceId: string,
  known: { hasVolume(volumeId: string): boolean; isActiveTemp(dockerVolumeName: string): boolean },
  log: Logger,
): Promise<string[]> {
  const helpers = await docker.listContainers({ all: true, filters: { label: instanceLabelFilter(instanceId, [LABELS.role]) } });
  // Only finished ones: a helper of an operation in flight may sit in 'created'.
  for (const c of helpers.filter((h) => h.State === 'exited' || h.State === 'dead')) {
    await removeHelper(docker.getContainer(c.Id), log, c.Labels?.[LABELS.role] ?? 'helper');
  }
  const orphans: string[] = [];
  const { Volumes } = await docker.listVolumes({ filters: { label: instanceLabelFilter(instanceId) } });
  for (const dv of Volumes ?? []) {
    const labels = dv.Labels ?? {};
    const volumeId = labels[LABELS.volume];
    if (labels[LABELS.role] === 'flatten' && !known.isActiveTemp(dv.Name)) {
      await removeVolume(docker, dv.Name);
    } else if (volumeId && !known.hasVolume(volumeId)) {
      orphans.push(volumeId);
      await removeVolume(docker, dv.Name); // 'busy' leaves it: reported all the same
    }
  }
  return orphans;
}

/**
 * Hands `use` the content of Docker volume `volume` as a tar stream (`docker cp` of a
 * never-started helper container mounting it read-only), then removes that container. What
 * becomes of the tar (a Docker image: the image driver's importFilesystem) is the caller's.
 */
export async function withVolumeContent<T>(
  docker: Docker, run: { instanceId: string; image: string; volume: string; log: Logger }, use: (tar: NodeJS.ReadableStream) => Promise<T>,
): Promise<T> {
  const container = await docker.createContainer({
    Image: run.image,
    Cmd: ['true'],
    Labels: managedLabels(run.instanceId, { [LABELS.role]: 'volume-upload' }),
    HostConfig: { Binds: [`${run.volume}:/v:ro`], NetworkMode: 'none' },
  });
  try {
    return await use((await container.getArchive({ path: '/v/.' })) as NodeJS.ReadableStream);
  } finally {
    await removeHelper(container, run.log, 'volume-upload');
  }
}
