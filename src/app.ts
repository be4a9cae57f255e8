import http from 'http';
import { randomBytes } from 'crypto';
import * as fs from 'node:fs/promises';
import express from 'express';
import type Docker from 'dockerode';
import type { Knex } from 'knex';
import type { Config } from './config';
import { createLogger, Logger } from './logger';
import { createKnex, describeDatabase, dropSchema, migrateLatest } from './db/database';
import { checkDataDirFree, InstanceLock, lockDatabase, lockDataDir, lockStartup } from './db/instance-lock';
import { loadSpec } from './http/openapi-spec';
import { createServiceRoutes, requestLogging, routingFault, RouterDeps, ServiceMount } from './http/service-router';
import { mapError } from './http/error-mappers';
import { Fault, NotFound } from './http/faults';
import { IdentityStore } from './identity/identity-store';
import { IdentityService } from './identity/identity-service';
import { identityHandlers } from './identity/identity-handlers';
import { createCompute, Compute } from './compute/compute-module';
import { COMPUTE_MICROVERSIONS } from './compute/compute-versions';
import { createVolumeModule } from './volume/volume-module';
import type { VolumeService } from './volume/volume-service';
import { VOLUME_MICROVERSIONS } from './volume/volume-versions';
import { createImageModule } from './image/image-module';
import type { ImageService } from './image/image-service';
import { connectDocker, removeInstanceObjects } from './runtime/docker-engine';
import { AdvisoryPauseLedger, containerPauses } from './runtime/container-pauses';
import { DockerImageDriver } from './runtime/docker-image-driver';
import { FakeImageDriver } from './runtime/fake-image-driver';
import { FakeServerRuntime } from './compute/runtime/fake-server-runtime';
import { FakeVolumeDataDriver } from './volume/data/fake-volume-data-driver';
import { armCrashPoints } from './shared/crash-points';
import { snapstackHandlers } from './snapstack/snapstack-handlers';
import { adminHandlers } from './snapstack/admin-handlers';
import { InstanceReset } from './snapstack/instance-reset';
import { FaultRules } from './faults/fault-rules';
import { FAULTS_EPOCH_KEY, KnexFaultRuleStore } from './faults/fault-store';
import { SnapstackMetrics } from './metrics/metrics';
import { ArchiveService } from './archive/archive-service';
import { archiveHandlers } from './archive/archive-handlers';
import { ArchiveStore } from './archive/archive-store';
import { JobRunner } from './jobs/job-runner';
import { ReplicaRegistry, singleReplica } from './jobs/replicas';
import { AdvisoryLocks } from './shared/resource-locks';
import { VERSION } from './version';
import { dashboardRouter } from './dashboard/dashboard-static';

export interface Snapstack {
  config: Config;
  url: string;
  server: http.Server;
  db: Knex;
  jobs: JobRunner;
  identity: IdentityService;
  /** Block storage, also what compute is given (VolumeApi). */
  volume: VolumeService;
  /** Glance images (ImageApi for compute). */
  image: ImageService;
  compute: Compute;
  /** Snapshot archives and workspace snapshots. */
  archives: ArchiveService;
  /** Back to the seeded state (POST /snapstack/v1/reset). */
  reset: InstanceReset;
  /** Fault injection and pace rules (/snapstack/v1/faults). */
  faults: FaultRules;
  instanceId: string;
  /** The engine every module uses; null without one. */
  docker: Docker | null;
  logger: Logger;
  /** Stops; an ephemeral instance also removes everything it made (see StartOptions.ephemeral). */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /**
   * Throwaway instance: close() removes every Docker container, volume and image of this
   * instance, its tables (PostgreSQL server) and its data directory.
   */
  ephemeral?: boolean;
}

async function instanceIdOf(db: Knex): Promise<string> {
  const row = await db('settings').where({ key: 'instance_id' }).first();
  if (row) return row.value;
  const id = randomBytes(4).toString('hex');
  await db('settings').insert({ key: 'instance_id', value: id }).onConflict('key').ignore();
  return (await db('settings').where({ key: 'instance_id' }).first()).value;
}

/** The composition root: database, services, routers, jobs and the HTTP server. */
export async function startSnapstack(config: Config, opts: StartOptions = {}): Promise<Snapstack> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  // The data directory holds every project's data: the service's user's alone.
  await fs.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await fs.chmod(config.dataDir, 0o700);
  // One server per data directory and database (replicas: several, all replicas; docs/replicas.md).
  // Refuse before touching either.
  const replica = Boolean(config.replica && config.databaseUrl);
  if (replica && opts.ephemeral) throw new Error('an ephemeral instance cannot be a replica: closing it removes what the other replicas share');
  const locks: InstanceLock[] = [];
  if (replica) checkDataDirFree(config.dataDir);
  else locks.push(lockDataDir(config.dataDir));
  // Without the engine, volume data is plain directories indexed in one process's memory (or,
  // SNAPSTACK_DOCKER=fake, memory alone): another replica would not see it.
  if (replica && config.dockerMode !== 'auto') throw new Error(`replicas need the Docker engine (SNAPSTACK_DOCKER=${config.dockerMode}): volume data without it is one process's`);
  const releaseLocks = async () => {
    for (const l of locks.splice(0).reverse()) await l.release().catch((err) => logger.warn({ err }, 'could not release an instance lock'));
  };
  try {
    return await startLocked(config, opts, logger, locks, releaseLocks);
  } catch (err) {
    await releaseLocks();
    throw err;
  }
}

async function startLocked(config: Config, opts: StartOptions, logger: Logger, locks: InstanceLock[], releaseLocks: () => Promise<void>): Promise<Snapstack> {
  const replica = Boolean(config.replica && config.databaseUrl);
  if (config.databaseUrl) locks.push(await lockDatabase(config.databaseUrl, describeDatabase(config), logger, { replica }));
  // Replicas start one at a time: migrations, seeds and sweeps never race another start.
  const starting = replica ? await lockStartup(config.databaseUrl!, logger) : null;
  try {
    return await startReplica(config, opts, logger, locks, releaseLocks, replica);
  } finally {
    await starting?.release();
  }
}

async function startReplica(config: Config, opts: StartOptions, logger: Logger, locks: InstanceLock[], releaseLocks: () => Promise<void>, replica: boolean): Promise<Snapstack> {
  const db = await createKnex(config);
  await migrateLatest(db);
  const instanceId = await instanceIdOf(db);
  const replicas = replica ? new ReplicaRegistry(db, logger.child({ component: 'replicas' })) : singleReplica();
  await replicas.start();
  // Start-up sweeps (orphan Docker objects, unreferenced layers, stale uploads, relaunches) touch
  // what no live process is working on: only when no other replica is alive.
  const sweep = !(await replicas.othersAlive(db));
  if (!sweep) logger.info({ replica_id: replicas.id }, 'other replicas are running: start-up sweeps left to the next lone start');
  // Replicas: per-resource locks in PostgreSQL, one pool for servers' locks and one for volume
  // data's (taken inside a server's), so holders of one kind never starve the other of connections.
  const serverLocks = replica ? new AdvisoryLocks(config.databaseUrl!, logger.child({ component: 'locks' }), { namespace: 'snapstack:server:', maxConnections: 16 }) : undefined;
  const volumeLocks = replica ? new AdvisoryLocks(config.databaseUrl!, logger.child({ component: 'locks' }), { namespace: 'snapstack:volume-data:', maxConnections: 16 }) : undefined;

  // Validated tokens are cached. Replicas share the database, so there a cached token is checked
  // against the identity epoch on every use (token-cache.ts); a lone server holds the database's
  // lock (lockDatabase above): every change a token depends on is its own, and clears its cache.
  // Fault rules live in the database; replicas learn of changes through their epoch, read with
  // the identity epoch (no query of its own: fault-rules.ts). A lone start forgets old rules.
  const faults = new FaultRules(new KnexFaultRuleStore(db), logger.child({ component: 'faults' }), { shared: replica });
  if (sweep) await faults.clear();
  const rider = replica ? { key: FAULTS_EPOCH_KEY, seen: (epoch: string, sentAt: number) => faults.seen(epoch, sentAt) } : undefined;
  const identity = new IdentityService(new IdentityStore(db, rider), config.tokenTtlSeconds, logger.child({ component: 'identity' }), { shared: replica });
  await identity.seed({ admin: config.adminPassword, demo: config.demoPassword, altDemo: config.altDemoPassword });
  const metrics = new SnapstackMetrics({ db, dataDir: config.dataDir });
  const jobs = new JobRunner(db, logger.child({ component: 'jobs' }), { faults, observe: (j) => metrics.observeJob(j) }, { replicas, workers: config.jobWorkers });
  // One engine for every module: volumes, servers (containers) and image data (Docker images).
  const docker = config.dockerMode === 'auto' ? await connectDocker(config.dockerSocket) : null;
  if (replica && !docker) {
    await replicas.stop();
    await db.destroy();
    throw new Error(`replicas need the Docker engine: none answers at ${config.dockerSocket}`);
  }
  // Replicas: a container's pause holds are counted across processes (the last anywhere unpauses).
  const pauseLedger = replica && docker ? new AdvisoryPauseLedger(config.databaseUrl!, logger.child({ component: 'pauses' })) : undefined;
  if (pauseLedger) containerPauses(docker!).useLedger(pauseLedger);
  // The drivers: Docker's, or the in-memory fakes beside them (SNAPSTACK_DOCKER=fake).
  const fake = config.dockerMode === 'fake';
  const imageDriver = fake ? new FakeImageDriver([config.defaultServerImage]) : docker ? new DockerImageDriver(docker, logger.child({ component: 'images' })) : null;
  const imageModule = createImageModule({ config, db, images: imageDriver, instanceId, logger });
  const image = imageModule.service;
  const volumeModule = await createVolumeModule({
    config, db, jobs, logger, instanceId, docker, imageDriver, images: image, shared: replica, sweep, locks: volumeLocks,
    ...(fake ? { driver: new FakeVolumeDataDriver() } : {}),
  });
  const volume = volumeModule.service;
  await imageModule.seed();
  const compute = createCompute({
    db, jobs, images: image, volumes: volume, docker, imageDriver, instanceId, config, logger, locks: serverLocks,
    ...(fake ? { runtime: new FakeServerRuntime(imageDriver!, instanceId) } : {}),
  });
  await compute.seed();
  const archives = new ArchiveService({
    dataDir: config.dataDir, workspaceDir: config.workspaceDir ?? null, instanceId, volume: volume.archives, images: image, imageDriver, jobs, store: new ArchiveStore(db), logger, faults,
    maxUploadBytes: config.maxUploadBytes,
  });
  if (sweep) {
    await archives.removeStaleUploads();
    await archives.loadWorkspace();
    await compute.reconcile();
  }
  const reset = new InstanceReset({
    jobs,
    parts: { jobs, compute: compute.reset, archive: archives, volume: volumeModule.reset, image: imageModule.reset, identity },
    onReset: [async () => { await faults.clear(); }],
    log: logger.child({ component: 'reset' }),
  });

  const state = { publicUrl: config.publicUrl };
  const deps: RouterDeps = {
    get publicUrl() { return state.publicUrl; },
    logger,
    authenticate: (token) => identity.validate(token),
    faults,
    observe: (call) => metrics.observeRequest(call),
  };
  const mounts: ServiceMount[] = [
    { name: 'identity', spec: loadSpec('identity.yaml'), errorStyle: 'keystone', handlers: identityHandlers(identity) },
    { name: 'compute', spec: loadSpec('compute.yaml'), errorStyle: 'nova', microversion: COMPUTE_MICROVERSIONS, optionalProjectId: true, handlers: compute.handlers() },
    { name: 'volume', spec: loadSpec('volume.yaml'), errorStyle: 'cinder', microversion: VOLUME_MICROVERSIONS, projectScopedUrl: true, wrongMethodNotFound: true, strictTrailingSlash: true, handlers: volumeModule.handlers },
    { name: 'image', spec: loadSpec('image.yaml'), errorStyle: 'glance', strictTrailingSlash: true, handlers: imageModule.handlers },
    {
      name: 'snapstack', spec: loadSpec('snapstack.yaml'), errorStyle: 'snapstack',
      handlers: {
        ...snapstackHandlers({ version: VERSION, database: describeDatabase(config, { where: false }), docker: volumeModule.docker, instanceId }, jobs),
        ...archiveHandlers(archives, jobs),
        ...adminHandlers({ reset, faults, metrics }),
      },
    },
  ];

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLogging(logger));
  app.use(createServiceRoutes(mounts, deps));
  app.use(dashboardRouter());
  app.use((_req, res) => {
    const mapped = mapError('snapstack', new NotFound());
    res.status(mapped.status).json(mapped.body);
  });
  // Anything raised outside a service's router, in Snapstack's shape: never Express's HTML page.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (!(err instanceof Fault)) logger.error({ err }, 'unhandled error outside a service router');
    const mapped = mapError('snapstack', routingFault(err));
    res.status(mapped.status).json(mapped.body);
  });

  const server = http.createServer(app);
  // Clients keep connections for a while (python-requests without a limit; undici for the
  // Keep-Alive header's time less 1 s): a 5 s server timeout makes them race its close and
  // read a reset on a busy machine. Idle sockets stay a minute, as behind most proxies.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (config.port === 0) state.publicUrl = `http://${config.host}:${port}`;
  const url = state.publicUrl;

  await jobs.recover();
  armCrashPoints();
  logger.info({ url, database: describeDatabase(config), instance_id: instanceId, data_dir: config.dataDir, replica_id: replica ? replicas.id : undefined }, 'snapstack listening');

  /** Docker objects by instance label, then the rows, then the data directory. */
  const removeEverything = async () => {
    if (docker) {
      const removed = await removeInstanceObjects(docker, instanceId, logger);
      logger.info({ ...removed, instance_id: instanceId }, 'ephemeral: removed Docker objects');
    }
    if (config.databaseUrl) await dropSchema(db);
    await db.destroy();
    await releaseLocks();
    await fs.rm(config.dataDir, { recursive: true, force: true });
    logger.info({ data_dir: config.dataDir }, 'ephemeral: removed the data directory');
  };
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      // Stop accepting, let in-flight requests finish (a client that stops reading gets 10 s),
      // leave unfinished jobs resumable.
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          logger.warn('connections still open 10 s after the stop: closing them');
          server.closeAllConnections();
        }, 10_000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      await jobs.drain();
      await volumeModule.close();
      await serverLocks?.close();
      await volumeLocks?.close();
      await pauseLedger?.close();
      faults.close();
      if (opts.ephemeral) {
        await removeEverything();
      } else {
        await db.destroy();
        await releaseLocks();
      }
      logger.info('snapstack stopped');
    })();
    return closing;
  };
  return { config: { ...config, publicUrl: url }, url, server, db, jobs, identity, volume, image, compute, archives, reset, faults, instanceId, docker, logger, close };
}
