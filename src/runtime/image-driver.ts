/**
 * Everything Docker-image, for every module: compute commits and tags servers' root disks,
 * image serves and removes image data, archive saves and loads root disks. One interface, the
 * Docker implementation (docker-image-driver.ts) and a fake for units (fake-image-driver.ts),
 * chosen by the composition root.
 */

export interface ImageFacts {
  /** The engine's id (sha256:…). */
  id: string;
  /** Bytes the engine reports. */
  size: number;
  /** Filesystem layers. */
  layers: number;
  /** Its names (repository:tag), none for an untagged image. */
  tags: string[];
  /** The labels its config carries. */
  labels: Record<string, string>;
}

/** The engine refused a tar to load (not a `docker save` tar): the tar's fault, not the server's. */
export class ImageLoadRefused extends Error {}

/** The image asked for is not there. */
export class ImageMissing extends Error {
  constructor(readonly ref: string, opts?: ErrorOptions) {
    super(`Docker image ${ref} is missing`, opts);
  }
}

export interface ImageDriver {
  /**
   * Every implementation does every operation (no capabilities to declare): what varies is
   * whether there is a driver at all (null without an engine), which callers check.
   */
  readonly kind: 'docker' | 'fake';
  /** null when the image is missing. */
  inspect(ref: string): Promise<ImageFacts | null>;
  exists(ref: string): Promise<boolean>;
  /** `docker save` of the image. */
  save(ref: string): Promise<NodeJS.ReadableStream>;
  /** `docker load` of a tar: the image it loaded (an id or a ref). ImageLoadRefused for a bad tar. */
  load(tar: NodeJS.ReadableStream): Promise<string>;
  /** Commits a container's filesystem to `ref` with `labels` (squashed when too deep); its size. */
  commit(containerId: string, ref: string, labels: Record<string, string>, opts?: { pause?: boolean }): Promise<{ size: number }>;
  /** A copy of image `source` named `target` whose config carries `labels` (no filesystem change); its size. */
  relabel(source: string, target: string, labels: Record<string, string>): Promise<{ size: number }>;
  /**
   * Gives an existing image another name; its size. With `labels`, an image whose config lacks
   * any of them (a seeded base image) is copied as `relabel` does instead, so the new name is
   * found by its labels.
   */
  tag(source: string, target: string, labels?: Record<string, string>): Promise<{ size: number }>;
  /**
   * Hands `use` the image's root filesystem as a tar stream (`docker export` of a container made
   * from it, labelled `labels`, never started), then removes that container. ImageMissing when
   * the image is not there.
   */
  exportFilesystem<T>(ref: string, labels: Record<string, string>, use: (tar: NodeJS.ReadableStream) => Promise<T>): Promise<T>;
  /** `docker import`: an image `ref` (with `labels`) whose root filesystem is the tar's content; its size. */
  importFilesystem(tar: NodeJS.ReadableStream, ref: string, labels: Record<string, string>): Promise<{ size: number }>;
  /** Idempotent; an image still used by a container is left in place. */
  remove(ref: string): Promise<void>;
  /** Ids of the images carrying every one of `labels` (`key=value`); every image's when none. */
  list(labels?: string[]): Promise<string[]>;
}

/** 'repo/name:tag' -> ['repo/name', 'tag'] (a registry port's colon is not a tag). */
export function splitImageRef(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}

/** 'repo/name' and 'repo/name:latest' name one image: the latter form of either. */
export function fullImageRef(ref: string): string {
  return splitImageRef(ref).join(':');
}

/** The images carrying every one of `labels` (`key=value`), with their names and labels. */
export async function imagesLabelled(images: ImageDriver, labels: string[]): Promise<ImageFacts[]> {
  const facts = await Promise.all((await images.list(labels)).map((id) => images.inspect(id)));
  return facts.filter((f): f is ImageFacts => f !== null);
}
