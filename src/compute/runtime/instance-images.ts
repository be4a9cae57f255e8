import { instanceLabelFilter, managedLabels } from '../../runtime/docker-engine';
import { imagesLabelled, type ImageDriver, type ImageFacts } from '../../runtime/image-driver';
import type { ServerRuntime } from './server-runtime';

/**
 * The image half of a ServerRuntime, the same for Docker and the fake: the image driver's
 * operations with this instance's labels on every image made, and only its images listed.
 */
export abstract class InstanceImages implements Pick<ServerRuntime, 'commit' | 'tag' | 'ownImages' | 'imageExists' | 'removeImage'> {
  constructor(protected readonly images: ImageDriver, protected readonly instanceId: string) {}

  commit(containerId: string, ref: string, labels: Record<string, string>, opts: { pause?: boolean } = {}): Promise<{ size: number }> {
    return this.images.commit(containerId, ref, managedLabels(this.instanceId, labels), opts);
  }

  tag(sourceRef: string, targetRef: string): Promise<{ size: number }> {
    return this.images.tag(sourceRef, targetRef, managedLabels(this.instanceId));
  }

  ownImages(): Promise<ImageFacts[]> {
    return imagesLabelled(this.images, instanceLabelFilter(this.instanceId));
  }

  imageExists(ref: string): Promise<boolean> {
    return this.images.exists(ref);
  }

  removeImage(ref: string): Promise<void> {
    return this.images.remove(ref);
  }
}
