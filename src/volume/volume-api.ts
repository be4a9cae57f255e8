/**
 * What other services (compute) may ask of block storage. Compute calls only this, never
 * volume tables or routes. Implemented by VolumeService (src/volume/volume-service.ts).
 */
export interface AttachmentRecord {
  attachmentId: string;
  /** Null for a legacy os-attach that named a host only. */
  serverId: string | null;
  hostName: string | null;
  /** e.g. /dev/vda */
  device: string;
  attachedAt: Date;
}

export interface VolumeRecord {
  id: string;
  projectId: string;
  userId: string | null;
  name: string | null;
  description: string | null;
  /** GiB */
  size: number;
  status: string;
  bootable: boolean;
  volumeType: string;
  snapshotId: string | null;
  sourceVolid: string | null;
  metadata: Record<string, string>;
  /** Cinder's volume_image_metadata, for a volume made from an image; else null. */
  imageMetadata: Record<string, string> | null;
  /** Cinder's admin metadata (readonly, attached_mode); its visible keys show in the volume's metadata. */
  adminMetadata: Record<string, string>;
  attachments: AttachmentRecord[];
  createdAt: Date;
  updatedAt: Date;
}

export interface SnapshotRecord {
  id: string;
  projectId: string;
  userId: string | null;
  volumeId: string;
  name: string | null;
  description: string | null;
  /** GiB, the volume's size at snapshot time */
  size: number;
  status: string;
  metadata: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateVolumeInput {
  /** Compute only: the id, chosen first so the caller records it before the volume exists. */
  id?: string;
  size?: number | null;
  name?: string | null;
  description?: string | null;
  snapshotId?: string | null;
  sourceVolid?: string | null;
  /** A Glance image the caller's project sees: its root filesystem becomes the volume's content. */
  imageId?: string | null;
  volumeType?: string | null;
  metadata?: Record<string, string>;
  bootable?: boolean;
  userId?: string | null;
}

export interface CreateSnapshotInput {
  volumeId: string;
  name?: string | null;
  description?: string | null;
  force?: boolean;
  metadata?: Record<string, string>;
  userId?: string | null;
}

export interface VolumeApi {
  /** NotFound fault ("Volume <id> could not be found.") when absent or another project's. */
  getVolume(projectId: string, volumeId: string): Promise<VolumeRecord>;
  /** Answers at once with status 'creating'; the data is made by a durable job. */
  createVolume(projectId: string, input: CreateVolumeInput): Promise<VolumeRecord>;
  /** Polls until the volume reaches one of `statuses` (rejects on 'error' or timeout). */
  waitForVolume(projectId: string, volumeId: string, statuses: string[], timeoutMs?: number): Promise<VolumeRecord>;
  deleteVolume(projectId: string, volumeId: string, opts?: { cascade?: boolean }): Promise<void>;
  /** available -> in-use with an attachment to the server (the volume is not read again: getVolume when wanted). */
  attachVolume(projectId: string, volumeId: string, attach: { serverId: string; device: string }): Promise<void>;
  /** in-use -> available (removes the server's attachment). */
  detachVolume(projectId: string, volumeId: string, serverId: string): Promise<void>;
  createSnapshot(projectId: string, input: CreateSnapshotInput): Promise<SnapshotRecord>;
  getSnapshot(projectId: string, snapshotId: string): Promise<SnapshotRecord>;
  waitForSnapshot(projectId: string, snapshotId: string, statuses: string[], timeoutMs?: number): Promise<SnapshotRecord>;
  /** Undo of createSnapshot: waits for its capture to end, then deletes it (gone already: done). */
  deleteSnapshot(projectId: string, snapshotId: string): Promise<void>;
  /** The Docker volume to mount in a container; re-creates it first when its layer chain is stale. */
  prepareMount(projectId: string, volumeId: string): Promise<{ dockerVolume: string }>;
  /**
   * Cinder's re-image (Nova's rebuild of a volume-backed server at 2.93): the volume's data
   * becomes the image's file system, as a volume made from that image starts, and its image
   * metadata follows. No container may have it mounted meanwhile.
   */
  reimageVolume(projectId: string, volumeId: string, imageId: string): Promise<VolumeRecord>;
}

// ---- snapshot archives (src/archive asks only this) ----

export type { LayerEntry, LayerEntryType, LayerExport, ExportedLayer, LayerWriter } from './data/volume-data-driver';
export { LayerNotExportable, VolumeDataError } from './data/volume-data-driver';
export { BOOTABLE_METADATA_KEY, WORKSPACE_PROJECT } from './imported-snapshots';
import type { LayerExport, LayerWriter } from './data/volume-data-driver';
import type { ModuleReset } from '../shared/module-reset';

/** Who asks for a snapshot (a token's facts). */
export interface VolumeCaller {
  projectId: string;
  userId: string | null;
  isAdmin: boolean;
}

export interface ImportedSnapshotItem {
  id: string;
  /** Recorded as the snapshot's volume: imported snapshots have no volume here. */
  volumeId: string;
  name: string | null;
  description: string | null;
  /** GiB */
  size: number;
  metadata: Record<string, string>;
  /** Global layer ids, top first: staged ones or ones findExisting returned. */
  chain: string[];
}

export interface ImportedSnapshotOwner {
  projectId: string;
  userId: string | null;
  /** Workspace snapshots: visible to every project, read-only, outside quotas. */
  shared: boolean;
}

/** One import of snapshots: stage layers, then commit (data and rows, all or nothing) or abort. */
export interface SnapshotImport {
  /** Layers among `layerIds` already here in a snapshot or volume of `projectIds` (an incremental archive's base), with their digest when known. */
  findExisting(layerIds: string[], projectIds: string[]): Promise<Map<string, { sha256?: string }>>;
  /** A writer for a new layer, staged under the data directory. */
  stage(layerId: string): Promise<LayerWriter>;
  /** Moves the staged layers into place and records the snapshots (available); undoes its own steps when it throws. */
  commit(owner: ImportedSnapshotOwner, items: ImportedSnapshotItem[], digests: Map<string, string>): Promise<SnapshotRecord[]>;
  /** Removes what was staged; idempotent, a no-op after commit. */
  abort(): Promise<void>;
}

/** What snapshot archives ask of block storage: snapshots out as layers, staged layers in as snapshots. */
export interface SnapshotArchiveApi {
  /** False when the data driver cannot read or write layers (plain directories): archives answer 501. */
  readonly supported: boolean;
  /** The caller's view of a snapshot (NotFound when absent or not visible). */
  showSnapshot(caller: VolumeCaller, snapshotId: string): Promise<SnapshotRecord>;
  /** Whether a volume made from the snapshot boots (its volume's flag, else the snapshot's record of it). */
  snapshotBootable(snapshot: SnapshotRecord): Promise<boolean>;
  /** The snapshots' layers as entries, held (not collected) until release(). */
  openExport(snapshotIds: string[]): Promise<LayerExport>;
  beginImport(): Promise<SnapshotImport>;
  /** Undo of a committed import (rows, then data); idempotent, for a restart that met it unfinished. */
  removeImported(snapshotIds: string[]): Promise<void>;
}

/**
 * What reset (src/snapstack) asks of block storage: every volume and snapshot goes (data, Docker
 * volumes, rows, quotas); workspace snapshots stay. After compute's reset (no container mounts one).
 */
export type VolumeResetApi = ModuleReset;
