/**
 * Block storage assembled for the composition root: Docker (or not), the data driver, the
 * stores, quotas and VolumeService, and the start-up reconcile.
 */
import type { ResourceLocks } from '../shared/resource-locks';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Handlers } from '../http/context';
import type { JobRunner } from '../jobs/jobs-api';
import type Docker from 'dockerode';
import type { ImageDriver } from '../runtime/image-driver';
import { createVolumeDataDriver, VolumeDataDriver } from './data/volume-data-driver';
import { QuotaStore } from './quota-store';
import { SnapshotStore } from './snapshot-store';
import { volumeHandlers } from './volume-handlers';
import { QuotaService } from './volume-quotas';
import { VolumeService, VolumeImageSource } from './volume-service';
import type { ImageApi } from '../image/image-api';
import { VolumeStore } from './volume-store';
import { VolumeTypeService } from './volume-type-service';
import { VolumeTypeStore } from './volume-type-store';
import { TransferService } from './transfer-service';
import { TransferStore } from './transfer-store';
import { MessageStore, VolumeMessages } from './volume-messages';
import { VolumeReset } from './volume-reset';
import type { VolumeResetApi } from './volume-api';

export interface VolumeModule {
  service: VolumeService;
  quotas: QuotaService;
  handlers: Handlers;
  /** For the health facts. */
  docker: 'docker' | 'none';
  driver: VolumeDataDriver;
  /** Reset's part of block storage (VolumeResetApi). */
  reset: VolumeResetApi;
  /** Waits for background data work (chain flattening). */
  close(): Promise<void>;
}

/** `docker` is the engine the composition root connected to, or null (plain directories). */
export async function createVolumeModule(opts: {
  config: Config; db: Knex; jobs: JobRunner; logger: Logger; instanceId: string; docker: Docker | null;
  /** The one image driver (Docker images: an image's filesystem into a volume, a volume out as an image). */
  imageDriver: ImageDriver | null;
  /** Glance, for volumes from images; deleting an image drops the layer kept for it. */
  images?: VolumeImageSource & Pick<ImageApi, 'onImageDeleted'>;
  /** Replicas: other processes share the data directory (see VolumeDataDriverOptions.shared). */
  shared?: boolean;
  /** false: no start-up reconcile or layer sweep (another replica is at work). Default true. */
  sweep?: boolean;
  /** Per-volume locks of the data driver (advisory locks for replicas). */
  locks?: ResourceLocks;
  /** A driver chosen by the composition root (the fake); else overlay-docker or directories by `docker`. */
  driver?: VolumeDataDriver;
}): Promise<VolumeModule> {
  const { config, db, jobs, instanceId, docker } = opts;
  const logger = opts.logger.child({ component: 'volume' });
  if (opts.driver) {
    logger.warn({ volume_data: opts.driver.kind }, 'volume data is held by a driver the composition root chose (SNAPSTACK_DOCKER=fake: in memory)');
    await opts.driver.init();
  } else if (docker) {
    logger.info({ volume_data: 'overlay-docker', docker_socket: config.dockerSocket, data_dir: config.dataDir },
      'volumes are Docker volumes over copy-on-write layers: snapshots and volumes from snapshots take constant time');
  } else {
    logger.warn({ volume_data: 'directory', docker_mode: config.dockerMode, docker_socket: config.dockerSocket, data_dir: config.dataDir },
      config.dockerMode === 'none'
        ? 'SNAPSTACK_DOCKER=none: volumes are plain directories, snapshots are full copies'
        : 'no Docker engine answered: volumes are plain directories, snapshots are full copies');
  }
  const driver = opts.driver ?? await createVolumeDataDriver({
    dataDir: config.dataDir,
    instanceId,
    docker,
    images: opts.imageDriver,
    helperImage: config.helperImage,
    maxChainDepth: config.maxChainDepth,
    logger,
    shared: opts.shared,
    sweep: opts.sweep,
    locks: opts.locks,
  });
  const volumes = new VolumeStore(db);
  const snapshots = new SnapshotStore(db);
  const quotaStore = new QuotaStore(db);
  const quotas = new QuotaService(quotaStore, config.volumeQuotas);
  const typeStore = new VolumeTypeStore(db);
  const types = new VolumeTypeService(typeStore, logger);
  const messageStore = new MessageStore(db);
  const messages = new VolumeMessages(messageStore, logger);
  const service = new VolumeService({ volumes, snapshots, quotas, jobs, driver, logger, types, messages, images: opts.images });
  const transferStore = new TransferStore(db);
  const transfers = new TransferService({ transfers: transferStore, volumes, snapshots, quotas, log: logger });
  opts.images?.onImageDeleted((imageId) => service.forgetImage(imageId));

  const report = opts.sweep === false ? null : await service.reconcile();
  if (!report) {
    logger.info('volume reconcile skipped: another replica is running');
  } else if (report.repaired.length || report.orphans.length || report.missingData.length || report.strayData.length) {
    logger.warn(report, 'volume reconcile: Docker, data and database disagreed (repaired, orphans removed, missing data marked error, stray data kept)');
  } else {
    logger.info({ driver: driver.kind }, 'volume reconcile: Docker, data and database agree');
  }

  return {
    service,
    quotas,
    handlers: volumeHandlers({ volume: service, quotas, types, transfers, messages }),
    docker: docker ? 'docker' : 'none',
    driver,
    reset: new VolumeReset({ volumes, snapshots, quotas: quotaStore, driver, log: logger, types: typeStore, transfers: transferStore, messages: messageStore }),
    close: async () => {
      await driver.whenIdle?.();
    },
  };
}
