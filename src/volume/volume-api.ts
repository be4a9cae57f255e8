/**
 * What other services (compute) may ask of block storage. Compute calls only this, never
 * volume tables or routes. Implemented by VolumeService (src/volume/volume-service.ts).
 */
export interface AttachmentRecord {
  attachmentId: string;
  serverId: string;
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
  /** available -> in-use with an attachment to the server. */
  attachVolume(projectId: string, volumeId: string, attach: { serverId: string; device: string }): Promise<VolumeRecord>;
  /** in-use -> available (removes the server's attachment). */
  detachVolume(projectId: string, volumeId: string, serverId: string): Promise<VolumeRecord>;
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
