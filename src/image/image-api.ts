/**
 * What other services (compute) may ask of the image service. Compute calls only this, never
 * image tables or routes. Implemented by ImageService (src/image/image-service.ts).
 */
import type { ModuleReset } from '../shared/module-reset';

export type ImageStatus = 'queued' | 'saving' | 'active' | 'killed' | 'deactivated' | 'uploading' | 'importing';
export type ImageVisibility = 'public' | 'private' | 'shared' | 'community';

/** The image property naming the local Docker image a server booted from the image runs. */
export const DOCKER_IMAGE_PROPERTY = 'snapstack_docker_image';

/**
 * Image (and imported snapshot) property telling snapshots apart: `workspace` (loaded from the
 * workspace folder, every project's) or `namespace` (a project's own: createImage, imports).
 */
export const SCOPE_PROPERTY = 'snapstack_scope';
/** The archive an imported or workspace image came from. */
export const ARCHIVE_ID_PROPERTY = 'snapstack_archive_id';
export type SnapshotScope = 'namespace' | 'workspace';

export interface ImageRecord {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: ImageVisibility;
  protected: boolean;
  osHidden: boolean;
  owner: string | null;
  /** bytes */
  size: number | null;
  virtualSize: number | null;
  /** GiB */
  minDisk: number;
  /** MiB */
  minRam: number;
  diskFormat: string | null;
  containerFormat: string | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  /** Extra properties, all strings (Glance shows them top-level). */
  properties: Record<string, string>;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** Who asks: a token's project and whether it is admin (AuthContext fits). */
export interface ImageCaller {
  projectId: string | null;
  isAdmin: boolean;
}

export interface NewImage {
  id?: string;
  name?: string | null;
  visibility?: ImageVisibility;
  protected?: boolean;
  osHidden?: boolean;
  diskFormat?: string | null;
  containerFormat?: string | null;
  minDisk?: number;
  minRam?: number;
  tags?: string[];
  properties?: Record<string, string>;
  /** Only for admins (and compute acting for a project): the owning project. */
  owner?: string | null;
}

export interface ImageListFilter {
  name?: string;
  status?: string;
  visibility?: string;
  owner?: string;
  containerFormat?: string;
  diskFormat?: string;
  memberStatus?: string;
  tags?: string[];
  /** Extra properties the image must carry (any unknown query key; Nova's backup rotation). */
  properties?: Record<string, string>;
  /** Core attributes by equality (size, min_disk, checksum, protected, ...). */
  attributes?: Record<string, string | number | boolean>;
  osHidden?: boolean;
  /** Glance's range filters: `<column>_min` / `<column>_max` on a whole-number column (size, virtual_size, min_disk, min_ram). */
  ranges?: { column: string; op: '>=' | '<='; value: number }[];
  createdAt?: string;
  updatedAt?: string;
  sort?: { key: string; dir: 'asc' | 'desc' }[];
  limit?: number;
  marker?: string;
}

export interface ImagePage {
  images: ImageRecord[];
  /** Set when the page is full: the id to pass as the next marker. */
  nextMarker?: string;
}

export interface ImageApi {
  /** NotFound fault ("No image found with ID <id>.") when absent or not visible to the caller. */
  getImage(caller: ImageCaller, imageId: string): Promise<ImageRecord>;
  listImages(caller: ImageCaller, filter: ImageListFilter): Promise<ImagePage>;
  /** A queued image (owner = caller's project unless `input.owner`). */
  createImage(caller: ImageCaller, input: NewImage): Promise<ImageRecord>;
  /** Nova's volume-backed path: an image with no data, made active at once (size 0, md5 of nothing). */
  createEmptyActiveImage(caller: ImageCaller, input: NewImage): Promise<ImageRecord>;
  /** queued -> saving (an upload is under way). */
  markSaving(imageId: string): Promise<void>;
  /** queued/saving/active -> killed: what Glance shows when an upload fails. */
  markKilled(imageId: string): Promise<void>;
  /** saving -> active: the data is a local Docker image; size is what Docker reports. */
  activateFromDockerImage(imageId: string, dockerImage: string, size: number, extraProperties?: Record<string, string>): Promise<ImageRecord>;
  /** Glance's PATCH: RFC 6902 operations on the image, with Glance's checks and faults. */
  updateImage(caller: ImageCaller, imageId: string, contentType: string | undefined, ops: unknown): Promise<ImageRecord>;
  /** Removes the record, its data file and a Docker image Snapstack made for it. */
  deleteImage(caller: ImageCaller, imageId: string): Promise<void>;
  /** Called after an image is deleted (block storage drops the layer it kept for it). */
  onImageDeleted(listener: (imageId: string) => Promise<void>): void;
  /** The Docker image a server booted from this image should run, or null when none is mapped. */
  dockerImageOf(image: ImageRecord): string | null;
  /** The Docker image name a snapshot of a container is committed to (owned by the image). */
  snapshotDockerImageName(imageId: string): string;
  /**
   * Every Docker image name an image record accounts for, whatever its status: its
   * `snapstack/snap-<id>` name and the Docker image it is mapped to (the start-up sweep keeps these).
   */
  dockerImagesAccountedFor(): Promise<Set<string>>;
}

/**
 * What reset (src/snapstack) asks of images: every image but the seed's and the workspace's
 * goes (row, data file), with every Docker image of this instance no kept image accounts for.
 */
export type ImageResetApi = ModuleReset;
