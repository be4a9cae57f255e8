import { randomUUID } from 'crypto';
import type { Logger } from '../logger';
import { countedProperties, enforceImageQuota, tagLimitWords, type ImageQuotas } from './image-quotas';
import { BadRequest, Conflict, Forbidden, NotFound, UnsupportedMediaType } from '../http/faults';
import {
  DOCKER_IMAGE_PROPERTY, ImageApi, ImageCaller, ImageListFilter, ImagePage, ImageRecord, NewImage,
} from './image-api';
import { IMAGE_SEEDED, ImageRow, ImageStore } from './image-store';
import { applyImagePatch, checkWritable, CORE_ATTRIBUTES, validateAttribute } from './image-patch';
import { digestOf, EMPTY_MD5, EMPTY_SHA512, ImageFiles } from './image-data';
import type { ImageDriver } from '../runtime/image-driver';
import { imageKeyset, imageListQuery } from './image-listing';
import { bestEffort } from '../shared/best-effort';
import { pyRepr } from '../shared/py-format';

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const PATCH_CONTENT_TYPES = ['application/openstack-images-v2.1-json-patch', 'application/openstack-images-v2.0-json-patch'];

/** What Snapstack seeds at first start: public images mapped to a local Docker image. */
export interface SeedImage {
  name: string;
  dockerImage: string;
  minDisk: number;
  minRam: number;
  properties?: Record<string, string>;
}

export interface ImageData {
  stream?: NodeJS.ReadableStream;
  headers: Record<string, string>;
}

/** Glance v2 rules: visibility, ownership, statuses, data. No HTTP, no SQL. */
export class ImageService implements ImageApi {
  private readonly deleteListeners: Array<(imageId: string) => Promise<void>> = [];

  constructor(
    private readonly store: ImageStore,
    private readonly files: ImageFiles,
    private readonly docker: ImageDriver | null,
    private readonly log: Logger,
    readonly quotas: ImageQuotas,
  ) {}

  /** First start only: the seeded public images (listed in docs/compute-and-images.md). */
  async seed(images: SeedImage[]): Promise<void> {
    if (await this.store.settings.get(IMAGE_SEEDED)) return;
    for (const s of images) {
      const ids = { docker_image: s.dockerImage, image: s.name };
      const size = (await bestEffort(this.log, 'reading the size of a seeded Docker image', ids, () => this.dockerSize(s.dockerImage))) ?? null;
      const digest = size !== null ? (await bestEffort(this.log, 'digesting a seeded Docker image', ids, () => this.dockerDigest(s.dockerImage))) ?? null : null;
      if (size === null) this.log.warn({ docker_image: s.dockerImage, image: s.name }, 'seeded image has no local Docker image: servers booted from it will fail');
      await this.store.insert(this.row({
        id: randomUUID(), name: s.name, status: 'active', visibility: 'public', owner: null,
        size, min_disk: s.minDisk, min_ram: s.minRam, disk_format: 'raw', container_format: 'docker',
        checksum: digest?.md5 ?? null, os_hash_algo: digest ? 'sha512' : null, os_hash_value: digest?.sha512 ?? null,
        properties: { ...(s.properties ?? {}), [DOCKER_IMAGE_PROPERTY]: s.dockerImage },
      }), []);
    }
    await this.store.settings.set(IMAGE_SEEDED, (await this.store.newestCreatedAt()) ?? new Date().toISOString());
    this.log.info({ images: images.map((i) => i.name) }, 'seeded images');
  }

  // --- visibility -----------------------------------------------------------------------

  /** Bytes the engine reports for a Docker image, null when it is missing. */
  private async dockerSize(ref: string): Promise<number | null> {
    return (await this.docker?.inspect(ref))?.size ?? null;
  }

  /** Glance's checksums of a Docker image: those of its `docker save` stream. */
  private async dockerDigest(ref: string) {
    if (!this.docker) throw new Error('no image driver');
    return digestOf(await this.docker.save(ref));
  }

  private async visible(caller: ImageCaller, image: ImageRecord): Promise<boolean> {
    if (caller.isAdmin) return true;
    if (image.visibility === 'public' || image.visibility === 'community') return true;
    if (caller.projectId && image.owner === caller.projectId) return true;
    if (image.visibility === 'shared' && caller.projectId) return Boolean(await this.store.getMember(image.id, caller.projectId));
    return false;
  }

  /** Glance's image policies (modify_image, delete_image, upload_image, deactivate, reactivate): admin or the owner, refused in oslo.policy's words. */
  private requireOwner(caller: ImageCaller, image: ImageRecord, policy = 'modify_image'): void {
    if (mayModify(caller, image)) return;
    throw new Forbidden(`You are not authorized to complete ${policy} action.`);
  }

  async getImage(caller: ImageCaller, imageId: string): Promise<ImageRecord> {
    return this.getImageOr(caller, imageId, `No image found with ID ${imageId}`);
  }

  /** getImage with the 404 text of the Glance controller at hand (each words it its own way). */
  async getImageOr(caller: ImageCaller, imageId: string, notFound: string): Promise<ImageRecord> {
    const image = await this.store.get(imageId);
    if (!image || !(await this.visible(caller, image))) throw new NotFound(notFound);
    return image;
  }

  async listImages(caller: ImageCaller, filter: ImageListFilter): Promise<ImagePage> {
    const memberStatus = filter.memberStatus ?? 'accepted';
    const scope = { projectId: caller.isAdmin ? null : caller.projectId ?? '', visibility: filter.visibility, memberStatus };
    const where = imageListQuery(filter);
    if (filter.marker) {
      const marker = await this.store.get(filter.marker);
      if (!marker || !(await this.visible(caller, marker))) throw new BadRequest(`No image found with ID ${filter.marker}`);
    }
    const limit = filter.limit ?? 25;
    const images = await this.store.list(scope, where, { keyset: imageKeyset(filter.sort), limit, marker: filter.marker });
    // Glance links a next page whenever the page is full.
    return { images, nextMarker: images.length === limit && limit > 0 ? images[images.length - 1].id : undefined };
  }

  // --- create, update, delete -----------------------------------------------------------

  /** POST /v2/images: every key checked as Glance's schema does; extra keys are string properties. */
  async createFromRequest(caller: ImageCaller, body: Record<string, unknown>): Promise<ImageRecord> {
    const input: NewImage = { properties: {} };
    for (const [key, value] of Object.entries(body)) {
      if (key === 'id') {
        if (typeof value !== 'string' || !UUID_RE.test(value)) throw new BadRequest(`Provided object does not match schema 'image': ${pyRepr(value)} is not a 'uuid'`);
        input.id = value;
        continue;
      }
      checkWritable(key);
      const v = validateAttribute(key, value, caller, null);
      switch (key) {
        case 'name': input.name = v as string | null; break;
        case 'visibility': input.visibility = v as NewImage['visibility']; break;
        case 'protected': input.protected = v as boolean; break;
        case 'os_hidden': input.osHidden = v as boolean; break;
        case 'min_disk': input.minDisk = v as number; break;
        case 'min_ram': input.minRam = v as number; break;
        case 'disk_format': input.diskFormat = v as string | null; break;
        case 'container_format': input.containerFormat = v as string | null; break;
        case 'tags': input.tags = v as string[]; break;
        case 'owner': input.owner = v as string | null; break;
        default: input.properties![key] = v as string;
      }
    }
    return this.createImage(caller, input);
  }

  async createImage(caller: ImageCaller, input: NewImage): Promise<ImageRecord> {
    const id = input.id ?? randomUUID();
    if (await this.store.get(id)) throw new Conflict(`Image with identifier ${id} already exists!`);
    if (input.visibility === 'public' && !caller.isAdmin) throw new Forbidden('You are not authorized to complete publicize_image action.');
    const owner = input.owner !== undefined ? input.owner : caller.projectId;
    enforceImageQuota(this.quotas, 'tags', input.tags?.length ?? 0);
    enforceImageQuota(this.quotas, 'properties', countedProperties(input.properties ?? {}));
    await this.store.insert(this.row({
      id, name: input.name ?? null, status: 'queued', visibility: input.visibility ?? 'shared', protected: input.protected ?? false,
      os_hidden: input.osHidden ?? false, owner, min_disk: input.minDisk ?? 0, min_ram: input.minRam ?? 0,
      disk_format: input.diskFormat ?? null, container_format: input.containerFormat ?? null, properties: input.properties ?? {},
    }), input.tags ?? []);
    return await this.store.require(id);
  }

  async createEmptyActiveImage(caller: ImageCaller, input: NewImage): Promise<ImageRecord> {
    const image = await this.createImage(caller, { ...input, diskFormat: input.diskFormat ?? 'raw', containerFormat: input.containerFormat ?? 'bare' });
    await this.store.update(image.id, { status: 'active', size: 0, virtual_size: null, checksum: EMPTY_MD5, os_hash_algo: 'sha512', os_hash_value: EMPTY_SHA512 });
    return await this.store.require(image.id);
  }

  async updateImage(caller: ImageCaller, imageId: string, contentType: string | undefined, ops: unknown): Promise<ImageRecord> {
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!PATCH_CONTENT_TYPES.includes(type)) {
      // Glance's words and its Accept-Patch header (the two media types, sorted).
      const allowed = [...PATCH_CONTENT_TYPES].sort().join(', ');
      throw new UnsupportedMediaType(`Image PATCH expects Content-Type one of: ${allowed}`, { 'Accept-Patch': allowed });
    }
    this.requireOwner(caller, await this.getImage(caller, imageId));
    // The patch applies to the image as it is under its row lock, not as it was read above.
    const updated = await this.store.modify(imageId, (image) => {
      const { tags, properties, ...core } = applyImagePatch(image, ops, caller, type === 'application/openstack-images-v2.0-json-patch' ? 4 : 10);
      // Glance's quota proxies: tags counted whenever they are set, properties when a new one is added.
      if (tags) enforceImageQuota(this.quotas, 'tags', tags.length);
      if (Object.keys(properties).some((k) => !(k in image.properties))) enforceImageQuota(this.quotas, 'properties', countedProperties(properties));
      const patch: Partial<ImageRow> = { properties };
      for (const [attr, value] of Object.entries(core)) if (value !== undefined) Object.assign(patch, { [attr]: value });
      return { patch, tags };
    });
    if (!updated) throw new NotFound(`No image found with ID ${imageId}`);
    return updated;
  }

  async deleteImage(caller: ImageCaller, imageId: string): Promise<void> {
    const image = await this.getImageOr(caller, imageId, `Failed to find image ${imageId} to delete`);
    this.requireOwner(caller, image, 'delete_image');
    if (image.protected) throw new Forbidden(`Image ${imageId} is protected and cannot be deleted.`);
    await this.store.delete(imageId);
    await this.files.remove(imageId);
    // Only a Docker image made for this Glance image goes with it (never a seeded base image).
    if (this.docker && image.properties[DOCKER_IMAGE_PROPERTY] === this.snapshotDockerImageName(imageId)) {
      await this.docker.remove(this.snapshotDockerImageName(imageId)).catch((err) => this.log.warn({ err, image_id: imageId }, 'could not remove the Docker image'));
    }
    for (const listener of this.deleteListeners) {
      await listener(imageId).catch((err) => this.log.warn({ err, image_id: imageId }, 'an image delete listener failed'));
    }
  }

  /** Called after an image is deleted (block storage drops the layer it kept for it). */
  onImageDeleted(listener: (imageId: string) => Promise<void>): void {
    this.deleteListeners.push(listener);
  }

  /** Glance's deactivate/reactivate actions: active <-> deactivated, a no-op when already there, 403 from any other status. */
  async setActive(caller: ImageCaller, imageId: string, active: boolean): Promise<void> {
    const image = await this.getImage(caller, imageId);
    this.requireOwner(caller, image, active ? 'reactivate' : 'deactivate');
    const [from, to] = active ? ['deactivated', 'active'] : ['active', 'deactivated'];
    if (image.status === to) return;
    if (image.status !== from || !(await this.store.transition(imageId, [from], { status: to }))) {
      throw new Forbidden(`Not allowed to ${active ? 'reactivate' : 'deactivate'} image in status '${image.status}'`);
    }
  }

  /**
   * Glance's image_tags controller: the tag checked against the image schema first (its
   * deserializer), then "Image <id> not found." and the modify_image policy in its own words.
   */
  private async taggable(caller: ImageCaller, imageId: string, verb: 'update' | 'delete'): Promise<ImageRecord> {
    const image = await this.getImageOr(caller, imageId, `Image ${imageId} not found.`);
    if (!mayModify(caller, image)) {
      throw new Forbidden(`Not allowed to ${verb} tags for image ${imageId}.`);
    }
    return image;
  }

  async addTag(caller: ImageCaller, imageId: string, tag: string): Promise<void> {
    if (tag.length > 255) throw new BadRequest(`Provided object does not match schema 'image': ${pyRepr(tag)} is too long`);
    await this.taggable(caller, imageId, 'update');
    // Counted under the image's row lock, so two adds at once cannot pass the limit together.
    await this.store.addTag(imageId, tag, (count) => enforceImageQuota(this.quotas, 'tags', count, tagLimitWords(imageId)));
  }

  /** A tag the image does not carry is Glance's bare HTTPNotFound (webob's default text). */
  async removeTag(caller: ImageCaller, imageId: string, tag: string): Promise<void> {
    await this.taggable(caller, imageId, 'delete');
    if (!(await this.store.removeTag(imageId, tag))) throw new NotFound();
  }

  // --- data -----------------------------------------------------------------------------

  async upload(caller: ImageCaller, imageId: string, contentType: string | undefined, data: NodeJS.ReadableStream): Promise<void> {
    const given = contentType === undefined ? undefined : contentType.split(';')[0].trim();
    // Glance's get_content_type: the media type without its parameters, None when there is no header.
    if (given?.toLowerCase() !== 'application/octet-stream') throw new UnsupportedMediaType(`Invalid content type ${given ?? 'None'}`);
    const image = await this.getImage(caller, imageId);
    this.requireOwner(caller, image, 'upload_image');
    if (!image.diskFormat || !image.containerFormat) {
      throw new BadRequest('Properties disk_format, container_format must be set prior to saving data.');
    }
    if (!(await this.store.transition(imageId, ['queued'], { status: 'saving' }))) {
      throw new Conflict(`Image status transition from ${image.status} to saving is not allowed`);
    }
    try {
      const digest = await this.files.write(imageId, data);
      await this.store.transition(imageId, ['saving'], {
        status: 'active', size: digest.size, checksum: digest.md5, os_hash_algo: 'sha512', os_hash_value: digest.sha512,
      });
    } catch (err) {
      await this.store.transition(imageId, ['saving'], { status: 'queued' });
      await this.files.remove(imageId);
      throw err;
    }
  }

  /** 200 with bytes (a local file, or `docker save` of a mapped image); 204 when there is no data. */
  async download(caller: ImageCaller, imageId: string): Promise<ImageData> {
    const image = await this.getImage(caller, imageId);
    if (image.status === 'deactivated') throw new Forbidden('The requested image has been deactivated. Image data download is forbidden.');
    if (image.status === 'active' && this.files.exists(imageId)) {
      const headers: Record<string, string> = { 'Content-Length': String(image.size ?? 0) };
      if (image.checksum) headers['Content-MD5'] = image.checksum;
      return { stream: this.files.open(imageId), headers };
    }
    const dockerImage = this.dockerImageOf(image);
    if (image.status === 'active' && dockerImage && this.docker && (await this.docker.exists(dockerImage))) {
      const headers: Record<string, string> = {};
      if (image.checksum) headers['Content-MD5'] = image.checksum;
      return { stream: await this.docker.save(dockerImage), headers };
    }
    return { headers: {} };
  }

  // --- what compute uses ----------------------------------------------------------------

  async markSaving(imageId: string): Promise<void> {
    await this.store.transition(imageId, ['queued'], { status: 'saving' });
  }

  async markKilled(imageId: string): Promise<void> {
    await this.store.transition(imageId, ['queued', 'saving', 'active'], { status: 'killed' });
  }

  async activateFromDockerImage(imageId: string, dockerImage: string, size: number, extraProperties: Record<string, string> = {}): Promise<ImageRecord> {
    const image = await this.store.get(imageId);
    if (!image) throw new NotFound(`No image found with ID ${imageId}`);
    const digest = this.docker ? (await bestEffort(this.log, 'digesting an image\'s Docker image', { image_id: imageId, docker_image: dockerImage }, () => this.dockerDigest(dockerImage))) ?? null : null;
    await this.store.update(imageId, {
      status: 'active', size, checksum: digest?.md5 ?? null, os_hash_algo: digest ? 'sha512' : null, os_hash_value: digest?.sha512 ?? null,
      properties: { ...image.properties, ...extraProperties, [DOCKER_IMAGE_PROPERTY]: dockerImage },
    });
    return await this.store.require(imageId);
  }

  dockerImageOf(image: ImageRecord): string | null {
    return image.properties[DOCKER_IMAGE_PROPERTY] || null;
  }

  snapshotDockerImageName(imageId: string): string {
    return `snapstack/snap-${imageId}:latest`;
  }

  async dockerImagesAccountedFor(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const { id, dockerImage } of await this.store.dockerImages()) {
      names.add(this.snapshotDockerImageName(id));
      if (dockerImage) names.add(dockerImage);
    }
    return names;
  }

  private row(r: Partial<ImageRow> & Pick<ImageRow, 'id' | 'status' | 'visibility' | 'owner'>): Omit<ImageRow, 'created_at' | 'updated_at'> {
    return {
      name: null, protected: false, os_hidden: false, size: null, virtual_size: null, min_disk: 0, min_ram: 0, disk_format: null,
      container_format: null, checksum: null, os_hash_algo: null, os_hash_value: null, properties: {}, ...r,
    };
  }
}

/** Glance's image policies' rule (modify, delete, members, tags): an admin, or the image's owner. */
export function mayModify(caller: ImageCaller, image: ImageRecord): boolean {
  return caller.isAdmin || (!!caller.projectId && image.owner === caller.projectId);
}
