import type Docker from 'dockerode';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Handlers } from '../http/context';
import type { ImageApi } from '../image/image-api';
import type { JobRunner } from '../jobs/jobs-api';
import type { Logger } from '../logger';
import type { VolumeApi } from '../volume/volume-api';
import { computeHandlers } from './compute-handlers';
import { FlavorService } from './flavor-service';
import { FlavorStore } from './flavor-store';
import { ActionRequests, InstanceActions } from './instance-actions';
import { ServerGroups } from './server-groups';
import { ServerGroupStore } from './server-group-store';
import { InstanceActionStore } from './instance-action-store';
import { KeypairService } from './keypair-service';
import { KeypairStore } from './keypair-store';
import { DockerServerRuntime } from './runtime/docker-server-runtime';
import type { ImageDriver } from '../runtime/image-driver';
import type { ServerRuntime } from './runtime/server-runtime';
import { UnavailableRuntime } from './runtime/unavailable-runtime';
import { ServerActions } from './server-actions';
import { ServerAttachments } from './server-attachments';
import { ServerContainers } from './server-containers';
import { ServerLifecycle } from './server-lifecycle';
import { KeyedMutex } from '../shared/keyed-mutex';
import type { ResourceLocks } from '../shared/resource-locks';
import { ServerService } from './server-service';
import { ServerShelves } from './server-shelve';
import { ServerRebuilds } from './server-rebuild';
import { ServerResizes } from './server-resize';
import { ServerSnapshots } from './server-snapshot';
import { ServerStore } from './server-store';
import { ServerConsoleStore } from './server-console-store';
import { ServerTagStore } from './server-tag-store';
import { ServerTags } from './server-tags';
import { ComputeReset } from './compute-reset';
import type { ComputeResetApi } from './compute-api';

export interface ComputeDeps {
  db: Knex;
  jobs: JobRunner;
  images: ImageApi;
  volumes: VolumeApi;
  /** null: no engine; servers then fail to build with a clear fault. */
  docker: Docker | null;
  /** Docker images (commit, tag, remove): the composition root's one image driver. */
  imageDriver?: ImageDriver | null;
  instanceId: string;
  config: Pick<Config, 'defaultServerImage' | 'minDiskRule' | 'snapshotConsistency'>;
  logger: Logger;
  /** A runtime the composition root chose instead of Docker's (the fake, SNAPSTACK_DOCKER=fake). */
  runtime?: ServerRuntime;
  /** Per-server locks: in memory by default; PostgreSQL advisory locks for replicas. */
  locks?: ResourceLocks;
}

export interface Compute {
  flavors: FlavorService;
  keypairs: KeypairService;
  servers: ServerService;
  tags: ServerTags;
  instanceActions: InstanceActions;
  groups: ServerGroups;
  actions: ServerActions;
  snapshots: ServerSnapshots;
  attachments: ServerAttachments;
  shelves: ServerShelves;
  resizes: ServerResizes;
  rebuilds: ServerRebuilds;
  images: ImageApi;
  runtime: ServerRuntime;
  handlers(): Handlers;
  /** First start: the default flavors. */
  seed(): Promise<void>;
  /** At every start: ACTIVE servers get their container back, SHUTOFF ones lose leftovers. */
  reconcile(): Promise<{ relaunched: string[]; retired: string[] }>;
  /** Reset's part of compute (ComputeResetApi). */
  reset: ComputeResetApi;
}

/** Wires compute: stores, the server runtime, services, and the durable jobs (registered here). */
export function createCompute(deps: ComputeDeps): Compute {
  // Instance actions see which requests queue a job (that job then finishes the action's event).
  const actionRequests = new ActionRequests();
  deps = { ...deps, jobs: actionRequests.watch(deps.jobs) };
  const log = deps.logger.child({ component: 'compute' });
  const runtime = deps.runtime ?? (deps.docker ? new DockerServerRuntime(deps.docker, deps.instanceId, log, deps.imageDriver ?? undefined) : new UnavailableRuntime());
  const store = new ServerStore(deps.db);
  const locks = deps.locks ?? new KeyedMutex();
  const flavors = new FlavorService(new FlavorStore(deps.db));
  // Nova's per-user and per-server records; reset empties each store.
  const records = {
    keypairs: new KeypairStore(deps.db), tags: new ServerTagStore(deps.db), actions: new InstanceActionStore(deps.db), groups: new ServerGroupStore(deps.db),
    consoles: new ServerConsoleStore(deps.db),
  };
  const keypairs = new KeypairService(records.keypairs, log);
  const containers = new ServerContainers(runtime, deps.volumes, store, log, records.consoles);
  const lifecycle = new ServerLifecycle(store, containers, deps.volumes, deps.images, locks, deps.jobs, log);
  const actions = new ServerActions(store, containers, runtime, locks, deps.jobs, log);
  const snapshots = new ServerSnapshots({
    store, runtime, volumes: deps.volumes, images: deps.images, locks, jobs: deps.jobs, consistency: deps.config.snapshotConsistency, log,
  });
  const shelves = new ServerShelves({ store, containers, runtime, images: deps.images, locks, jobs: deps.jobs, log });
  const resizes = new ServerResizes({ store, containers, flavors, locks, jobs: deps.jobs, minDiskRule: deps.config.minDiskRule, log });
  const rebuilds = new ServerRebuilds({
    store, containers, runtime, images: deps.images, volumes: deps.volumes, locks, jobs: deps.jobs, minDiskRule: deps.config.minDiskRule,
    defaultServerImage: deps.config.defaultServerImage, log,
  });
  const attachments = new ServerAttachments(store, containers, deps.volumes, locks, deps.jobs, log);
  // Resolved lazily: the actions check visibility through the server service built below.
  const instanceActions: InstanceActions = new InstanceActions(records.actions, (auth, id, includeDeleted) => servers.get(auth, id, { includeDeleted }), log, actionRequests);
  const groups = new ServerGroups(records.groups, log);
  const servers: ServerService = new ServerService(store, deps.jobs, locks, {
    flavors, keypairs, images: deps.images, volumes: deps.volumes, defaultServerImage: deps.config.defaultServerImage, minDiskRule: deps.config.minDiskRule,
  }, log, instanceActions, groups);
  const tags = new ServerTags({ server: (auth, id) => servers.get(auth, id), tags: records.tags, locks });
  // Server jobs wait for volume jobs (a build for its volumes, a snapshot for its volumes' snapshots): their own lane.
  for (const job of [lifecycle.buildJob(), lifecycle.deleteJob(), actions.job(), attachments.job(), ...snapshots.jobs(), shelves.job(), resizes.job(), rebuilds.job()]) {
    deps.jobs.register(instanceActions.tracked(job), { lane: 'composite' });
  }
  const compute: Compute = {
    flavors, keypairs, servers, tags, instanceActions, groups, actions, snapshots, attachments, shelves, resizes, rebuilds, images: deps.images, runtime,
    handlers: () => computeHandlers(compute),
    seed: () => flavors.seed(),
    reconcile: () => lifecycle.reconcile(),
    reset: new ComputeReset({ store, flavors, runtime, containers, log, records: Object.values(records) }),
  };
  return compute;
}
