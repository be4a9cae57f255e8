import Docker from 'dockerode';

/**
 * Labels on every Docker object Snapstack makes. `instance` scopes an object to
 * one Snapstack process, so several (e.g. parallel test files) can share an
 * engine and each only ever touches its own objects.
 */
export const LABELS = {
  managed: 'snapstack.managed',
  instance: 'snapstack.instance',
  project: 'snapstack.project',
  volume: 'snapstack.volume',
  server: 'snapstack.server',
  /** What a helper object is for (e.g. `flatten`, `fileops`); absent on user-facing objects. */
  role: 'snapstack.role',
} as const;

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The labels every object of this instance carries, plus `extra`. */
export function managedLabels(instanceId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.instance]: instanceId, ...extra };
}

/** A `label` filter selecting this instance's objects (for listContainers / listVolumes). */
export function instanceLabelFilter(instanceId: string, extra: string[] = []): string[] {
  return [`${LABELS.managed}=true`, `${LABELS.instance}=${instanceId}`, ...extra];
}

/**
 * Connects to the engine at `socketPath` (default: $DOCKER_HOST when it is a unix
 * socket, else /var/run/docker.sock). Resolves null when nothing answers a ping
 * within `timeoutMs`, so callers can fall back to a Docker-less mode.
 */
export async function connectDocker(socketPath?: string, timeoutMs = 2000): Promise<Docker | null> {
  const path = socketPath ?? socketFromEnv() ?? DEFAULT_DOCKER_SOCKET;
  const docker = new Docker({ socketPath: path, timeout: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  try {
    const ok = await Promise.race([
      docker.ping().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    // The probe client has a short timeout that would abort long calls (wait, copy): hand out a fresh one.
    return ok ? new Docker({ socketPath: path }) : null;
  } catch {
    return null;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function socketFromEnv(): string | undefined {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/** True for dockerode errors carrying HTTP status `code`. */
export function isDockerStatus(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === code;
}

export interface RemovedObjects {
  containers: number;
  volumes: number;
  images: number;
}

/**
 * Removes every container, volume and image carrying this instance's label, and nothing else:
 * what an ephemeral stop and the test harness leave behind (reset is the modules' own: each
 * removes its objects). Containers first (a volume or image in use cannot go), then volumes,
 * then images (tags, then the image itself).
 */
export async function removeInstanceObjects(docker: Docker, instanceId: string, log?: { warn(obj: object, msg: string): void }): Promise<RemovedObjects> {
  const filters = JSON.stringify({ label: instanceLabelFilter(instanceId) });
  const removed: RemovedObjects = { containers: 0, volumes: 0, images: 0 };
  const attempt = async (what: string, id: string, op: () => Promise<unknown>) => {
    try {
      await op();
      return true;
    } catch (err) {
      if (isDockerStatus(err, 404)) return false;
      log?.warn({ err, kind: what, id, instance_id: instanceId }, 'could not remove a Docker object of this instance');
      return false;
    }
  };
  const containers = await docker.listContainers({ all: true, filters });
  const gone = await Promise.all(containers.map((c) => attempt('container', c.Id, () => docker.getContainer(c.Id).remove({ force: true, v: false }))));
  removed.containers = gone.filter(Boolean).length;
  const { Volumes } = await docker.listVolumes({ filters });
  const vols = await Promise.all((Volumes ?? []).map((v) => attempt('volume', v.Name, () => docker.getVolume(v.Name).remove({ force: true }))));
  removed.volumes = vols.filter(Boolean).length;
  for (const img of await docker.listImages({ filters })) {
    for (const tag of img.RepoTags ?? []) {
      if (tag !== '<none>:<none>') await attempt('image', tag, () => docker.getImage(tag).remove({ force: true }));
    }
    if (await attempt('image', img.Id, () => docker.getImage(img.Id).remove({ force: true }))) removed.images++;
  }
  return removed;
}
