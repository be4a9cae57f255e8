/**
 * Images assembled for the composition root: store, data files, the Docker side, the services
 * and the first-start seed.
 */
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Handlers } from '../http/context';
import type { Logger } from '../logger';
import { ImageFiles } from './image-data';
import type { ImageDriver } from '../runtime/image-driver';
import { imageHandlers } from './image-handlers';
import { ImageMemberService } from './image-member-service';
import { ImageService, SeedImage } from './image-service';
import { ImageStore } from './image-store';
import { ImageReset } from './image-reset';
import type { ImageResetApi } from './image-api';
import { metadefCatalog } from './metadef-catalog';
import { MetadefContentService } from './metadef-content-service';
import { MetadefNamespaceService } from './metadef-namespace-service';
import { MetadefStore } from './metadef-store';

/**
 * Seeded at first start, public and active, both running config.defaultServerImage
 * (snapstack/busybox:latest): DevStack's CirrOS name so scripts written for DevStack find
 * their image (min_disk 1, fits m1.tiny), and a plain `busybox` (min_disk 0).
 */
export function seedImages(config: Pick<Config, 'defaultServerImage'>): SeedImage[] {
  return [
    { name: 'cirros-0.6.2-x86_64-disk', dockerImage: config.defaultServerImage, minDisk: 1, minRam: 0, properties: { os_distro: 'cirros', hw_rng_model: 'virtio' } },
    { name: 'busybox', dockerImage: config.defaultServerImage, minDisk: 0, minRam: 0, properties: { os_distro: 'busybox' } },
  ];
}

export interface ImageModule {
  service: ImageService;
  members: ImageMemberService;
  metadefs: MetadefNamespaceService;
  handlers: Handlers;
  /** The seeded images (first start) and the metadefs catalog (first start, and after a reset cleared it). */
  seed(): Promise<void>;
  /** Reset's part of images (ImageResetApi). */
  reset: ImageResetApi;
}

/** `images` is the image driver the composition root chose (null without an engine). */
export function createImageModule(opts: { config: Config; db: Knex; images: ImageDriver | null; instanceId: string; logger: Logger }): ImageModule {
  const logger = opts.logger.child({ component: 'image' });
  const store = new ImageStore(opts.db);
  const files = new ImageFiles(opts.config.dataDir);
  const service = new ImageService(store, files, opts.images, logger, opts.config.imageQuotas);
  const members = new ImageMemberService(service, store);
  const metadefStore = new MetadefStore(opts.db);
  const metadefs = new MetadefNamespaceService(metadefStore, logger);
  const content = new MetadefContentService(metadefStore);
  return {
    service,
    members,
    metadefs,
    handlers: imageHandlers({ images: service, members, metadefs: { namespaces: metadefs, content } }),
    seed: async () => {
      await service.seed(seedImages(opts.config));
      await metadefs.seed(metadefCatalog());
    },
    reset: new ImageReset({
      store, files, service, images: opts.images, instanceId: opts.instanceId, log: logger,
      metadefs: { resetToSeed: () => metadefs.resetToSeed(metadefCatalog()) },
    }),
  };
}
