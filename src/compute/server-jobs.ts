import type { ImageApi } from '../image/image-api';
import type { JobRunner } from '../jobs/jobs-api';
import type { Logger } from '../logger';
import type { ResourceLocks } from '../shared/resource-locks';
import type { ServerRuntime } from './runtime/server-runtime';
import type { ServerContainers } from './server-containers';
import type { ServerRow, ServerStore } from './server-store';

/** What the server actions that run as jobs work with (shelve, rebuild, resize take what they need). */
export interface ServerWorkDeps {
  store: ServerStore;
  containers: ServerContainers;
  runtime: ServerRuntime;
  images: ImageApi;
  locks: ResourceLocks;
  jobs: JobRunner;
  log: Logger;
}

export interface AcceptDeps {
  store: ServerStore;
  locks: ResourceLocks;
  jobs: JobRunner;
}

/**
 * The request half of an action that continues in a durable job: under the server's lock,
 * `check` validates the server (throwing Nova's fault) and returns what to mark on it (its
 * task_state...); the job is enqueued and the mark written. The job waits for the same lock,
 * so it sees the mark. Returns the marked server (null when it was deleted meanwhile).
 */
export async function acceptAction<P extends { serverId: string }>(
  d: AcceptDeps,
  kind: string,
  payload: P,
  check: (server: ServerRow) => Promise<Partial<ServerRow>> | Partial<ServerRow>,
): Promise<ServerRow | null> {
  return d.locks.withLock(payload.serverId, async () => {
    const server = await d.store.get(payload.serverId);
    if (!server) return null;
    const mark = await check(server);
    await d.jobs.enqueue(kind, payload, { projectId: server.project_id, resourceType: 'server', resourceId: server.id });
    return (await d.store.update(server.id, mark)) ?? null;
  });
}
