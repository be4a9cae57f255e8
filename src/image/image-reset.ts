import type { Logger } from '../logger';
import { instanceLabelFilter } from '../runtime/docker-engine';
import { fullImageRef, imagesLabelled, type ImageDriver } from '../runtime/image-driver';
import { emptyOutcome, type ModuleReset, type ResetOutcome } from '../shared/module-reset';
import { WORKSPACE } from '../shared/snapshot-scope';
import type { ImageFiles } from './image-data';
import type { ImageService } from './image-service';
import type { ImageStore } from './image-store';

/**
 * Image's part of reset: every image but the seed's and the workspace's goes (its row, its data
 * file), the metadefs catalog returns to its seed if it was written to, then every Docker image
 * of this instance no kept image accounts for (snapshot images, uploads, archive loads, whatever
 * a crash left; compute's root disks went before).
 */
export class ImageReset implements ModuleReset {
  constructor(private readonly d: {
    store: ImageStore; files: ImageFiles; service: ImageService; images: ImageDriver | null; instanceId: string; log: Logger;
    /** Glance's metadefs catalog back to its seed; answers the namespaces made since. */
    metadefs: { resetToSeed(): Promise<number> };
  }) {}

  async resetToSeed(): Promise<ResetOutcome> {
    const out = emptyOutcome();
    const { ids, rows } = await this.d.store.removeAllButSeed(WORKSPACE);
    out.rows = rows;
    const namespaces = await this.d.metadefs.resetToSeed();
    if (namespaces) out.rows.metadef_namespaces = namespaces;
    await Promise.all(ids.map((id) => this.d.files.remove(id)));
    if (this.d.images) out.docker.images = await this.removeUnaccounted(this.d.images);
    this.d.log.info({ images: ids.length, docker_images: out.docker.images }, 'images reset to the seed');
    return out;
  }

  /**
   * Names no kept record accounts for are removed; an image left with no name goes too. An image
   * another one was committed on top of goes only after it: passes repeat while they remove some.
   */
  private async removeUnaccounted(images: ImageDriver): Promise<number> {
    const kept = new Set([...await this.d.service.dockerImagesAccountedFor()].map(fullImageRef));
    let removed = 0;
    for (let pass = 0; pass < 5; pass++) {
      let now = 0;
      for (const img of await imagesLabelled(images, instanceLabelFilter(this.d.instanceId))) {
        const names = img.tags.filter((t) => !kept.has(fullImageRef(t)));
        for (const t of names) await images.remove(t);
        if (names.length < img.tags.length) continue;
        await images.remove(img.id);
        if (!(await images.exists(img.id))) now++;
      }
      removed += now;
      if (now === 0) break;
    }
    return removed;
  }
}
