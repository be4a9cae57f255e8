import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ResourceLocks } from '../../shared/resource-locks';
import type { ImageDriver } from '../../runtime/image-driver';
import { DirectoryDriver } from './directory-driver';
import { OverlayDockerDriver } from './overlay-docker-driver';
import type { LayerExport, LayerImport } from './overlay-archive';
import { VolumeDataError } from './volume-data-errors';

export { DataBusyError, DataExistsError, DataNotFoundError, VolumeDataError } from './volume-data-errors';
export type { ExportedLayer, ImportedSnapshotData, LayerExport, LayerImport } from './overlay-archive';
export type { LayerEntry, LayerEntryType, LayerWriter } from './layer-archive';
export { LayerNotExportable } from './layer-archive';

/** Snapshot archives: snapshots out as layers, staged layers in as snapshots. */
export interface SnapshotArchiving {
  /** The snapshots' layers as entries, held (not collected) until release(). */
  openExport(snapshotIds: string[]): Promise<LayerExport>;
  /** Stages new layers under the data dir, then registers snapshots made of them. */
  beginImport(): Promise<LayerImport>;
}

/** Volumes made from images. */
export interface ImageSnapshots {
  /**
   * Makes snapshot `key` of a Docker image's root filesystem: one read-only layer, made once;
   * later calls find it and return at once. Volumes are then made from it as from any snapshot
   * (createVolume fromSnapshotId), and deleteSnapshot(key) drops it without touching them.
   */
  ensureImageSnapshot(key: string, dockerImage: string): Promise<'made' | 'found'>;
}

/** Volumes uploaded to images. */
export interface VolumeToImage {
  /** A Docker image `ref` (with `labels`) whose root filesystem is the volume's content; its size in bytes. */
  importAsDockerImage(volumeId: string, ref: string, labels: Record<string, string>): Promise<number>;
}

/** Chains merged into one layer. */
export interface Flattening {
  /** Merges a chain into one layer without changing anyone's data. */
  flatten(volumeOrSnapshotId: string): Promise<void>;
}

/**
 * What a driver can do beyond the core, declared once (Incus's driver Info()): each capability
 * is the driver's own implementation of it, or null. A caller checks the capability and gets
 * the methods with it (`const c = driver.capabilities.archives; if (!c) ...; c.openExport()`),
 * so nothing is probed and no optional method is called with `!`.
 */
export interface VolumeDataCapabilities {
  archives: SnapshotArchiving | null;
  imageSnapshots: ImageSnapshots | null;
  volumeToImage: VolumeToImage | null;
  flatten: Flattening | null;
}

/**
 * Where a volume's bytes live and how they are captured and restored.
 * Ids are the API's (volume and snapshot UUIDs); every method is safe to call
 * concurrently: operations that change one volume are serialized; a snapshot read as a clone
 * source is only held (any number of clones at once), and deleteSnapshot waits for its clones.
 */
export interface VolumeDataDriver {
  readonly kind: 'overlay-docker' | 'directory' | 'fake';
  readonly capabilities: VolumeDataCapabilities;
  /** Creates directories, loads manifests, finishes what a crash interrupted. */
  init(): Promise<void>;
  /** Empty, or a writable copy-on-write clone of a snapshot or of another volume (constant time). */
  createVolume(volumeId: string, opts: { projectId: string; fromSnapshotId?: string; fromVolumeId?: string }): Promise<void>;
  /** Idempotent. DataBusyError while any container references the volume. */
  deleteVolume(volumeId: string): Promise<void>;
  /** Captures the volume; containers running on it are paused during the capture. */
  createSnapshot(snapshotId: string, volumeId: string, opts: { projectId: string }): Promise<void>;
  /** Idempotent; never loses data others need (layers are shared and reference counted). */
  deleteSnapshot(snapshotId: string): Promise<void>;
  /** Volume content := snapshot content. DataBusyError while any container references the volume. */
  revertVolume(volumeId: string, snapshotId: string): Promise<void>;
  /**
   * Called by compute before it (re)creates a container that mounts the volume;
   * returns what to mount (a Docker volume name; for the directory driver, a host
   * path usable as a bind source). Re-creates the Docker volume if its chain is
   * stale: no container may reference it then (DataBusyError otherwise).
   */
  prepareMount(volumeId: string): Promise<{ dockerVolume: string }>;
  dockerVolumeName(volumeId: string): string;
  /** Layers of a snapshot, top first, as directories on disk (used later by archive export). */
  snapshotLayers(snapshotId: string): Promise<string[]>;
  /** DB-independent drift between manifests and labelled Docker volumes: ids re-created, ids of Docker volumes without data. */
  reconcile(): Promise<{ repaired: string[]; orphans: string[] }>;
  /** Ids with data on this host, for the service's DB-vs-data checks (and reset). */
  listVolumeIds(): string[];
  listSnapshotIds(): string[];
  /**
   * Reset: every volume's and snapshot's data but the snapshots in `keep` (layers they share
   * stay), and what the driver made in Docker for them; how many Docker volumes went.
   */
  removeAll(keep: Set<string>): Promise<{ dockerVolumes: number }>;
  /** Resolves when background work (flattening) queued so far is done; call before shutdown. */
  whenIdle?(): Promise<void>;
}

/**
 * The lock key a snapshot is held by while it is read as a clone source (shared: any number of
 * clones at once) and while it is deleted (exclusive: the delete waits for the clones in flight).
 * Through ResourceLocks, so with replicas the hold is an advisory lock every process sees.
 */
export function cloneSourceKey(snapshotId: string): string {
  return `clone-source:${snapshotId}`;
}

/**
 * createVolume's locks, in every driver: the new volume and a source volume (its capture changes
 * it); a source snapshot only shared (cloneSourceKey), so copies of it run at once and
 * deleteSnapshot waits for them. A volume comes from one source at most.
 */
export function createVolumeLocks(volumeId: string, opts: { fromSnapshotId?: string; fromVolumeId?: string }): { keys: string[]; shared: string[] } {
  if (opts.fromSnapshotId && opts.fromVolumeId) throw new VolumeDataError('a volume comes from a snapshot or a volume, not both');
  return { keys: opts.fromVolumeId ? [volumeId, opts.fromVolumeId] : [volumeId], shared: opts.fromSnapshotId ? [cloneSourceKey(opts.fromSnapshotId)] : [] };
}

/** The driver's implementation of capability `cap`; without one, `missing()`'s error (default: an internal error naming it). */
export function requireCapability<K extends keyof VolumeDataCapabilities>(
  driver: VolumeDataDriver, cap: K, missing: () => Error = () => new Error(`the ${driver.kind} volume driver has no ${cap} capability`),
): NonNullable<VolumeDataCapabilities[K]> {
  const c = driver.capabilities[cap];
  if (!c) throw missing();
  return c as NonNullable<VolumeDataCapabilities[K]>;
}

export interface VolumeDataDriverOptions {
  dataDir: string;
  instanceId: string;
  docker: Docker | null;
  /** The one image driver (the composition root's); needed with `docker`. */
  images: ImageDriver | null;
  helperImage: string;
  maxChainDepth: number;
  logger: Logger;
  /** Where layer files are copied/removed: on the host (needs root) or in helper containers. Default: host when root. */
  fileOps?: 'host' | 'helper';
  /** Replicas: other processes use the same data directory (manifests are read from their files). */
  shared?: boolean;
  /** false: no start-up sweep of unreferenced layers (another replica may be making some). Default true. */
  sweep?: boolean;
  /** Per-volume locks of the overlay driver: in memory by default; advisory locks for replicas. */
  locks?: ResourceLocks;
}

/** overlay-docker when an engine is there, else plain directories (full copies). */
export async function createVolumeDataDriver(opts: VolumeDataDriverOptions): Promise<VolumeDataDriver> {
  if (opts.docker && !opts.images) throw new Error('the overlay volume driver needs the image driver');
  const driver: VolumeDataDriver = opts.docker && opts.images
    ? new OverlayDockerDriver({ ...opts, docker: opts.docker, images: opts.images })
    : new DirectoryDriver({ dataDir: opts.dataDir, logger: opts.logger });
  if (!opts.docker) {
    opts.logger.warn(
      { component: 'volume-data', driver: driver.kind },
      'no Docker engine: volume data falls back to plain directories (snapshots are full copies)',
    );
  }
  await driver.init();
  return driver;
}
