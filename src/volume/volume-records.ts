/** Rows (snake_case, store) to the records the VolumeApi and the views speak. */
import type { SnapshotRecord, VolumeRecord } from './volume-api';
import type { SnapshotFilter, SnapshotRow } from './snapshot-store';
import type { AttachmentRow, PageRequest, VolumeFilter, VolumeRow } from './volume-store';

/** Cinder's volume statuses (the ones os-reset_status accepts). */
export const VOLUME_STATUSES = [
  'creating', 'available', 'reserved', 'attaching', 'in-use', 'detaching', 'deleting', 'error', 'error_deleting',
  'extending', 'error_extending', 'reverting', 'maintenance', 'awaiting-transfer', 'backing-up', 'restoring-backup',
  'error_restoring', 'downloading', 'uploading', 'retyping', 'error_managing',
];
export const SNAPSHOT_STATUSES = ['creating', 'available', 'deleting', 'error', 'error_deleting', 'restoring', 'backing-up', 'unmanaging'];

export interface VolumeListQuery {
  /** all_tenants=1 (honoured for admins only). */
  allTenants: boolean;
  filter: VolumeFilter;
  page: PageRequest;
}

export interface SnapshotListQuery {
  allTenants: boolean;
  filter: SnapshotFilter;
  page: PageRequest;
}

export function toVolumeRecord(row: VolumeRow, attachments: AttachmentRow[]): VolumeRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    userId: row.user_id,
    name: row.name,
    description: row.description,
    size: row.size,
    status: row.status,
    bootable: row.bootable,
    volumeType: row.volume_type,
    snapshotId: row.snapshot_id,
    sourceVolid: row.source_volid,
    metadata: row.metadata ?? {},
    imageMetadata: row.volume_image_metadata ?? null,
    adminMetadata: row.admin_metadata ?? {},
    attachments: attachments
      .filter((a) => a.volume_id === row.id)
      .map((a) => ({ attachmentId: a.id, serverId: a.server_id, hostName: a.host_name ?? null, device: a.device, attachedAt: new Date(a.attached_at) })),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toSnapshotRecord(row: SnapshotRow): SnapshotRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    userId: row.user_id,
    volumeId: row.volume_id,
    name: row.name,
    description: row.description,
    size: row.size,
    status: row.status,
    metadata: row.metadata ?? {},
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Polls `read` until its status is one of `statuses`; rejects on an unexpected error status or on timeout. */
export async function waitForStatus<T extends { status: string }>(
  what: string,
  read: () => Promise<T>,
  statuses: string[],
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  for (;;) {
    const current = await read();
    if (statuses.includes(current.status)) return current;
    if (current.status.startsWith('error')) throw new VolumeStateError(`${what} went to status ${current.status}`, current.status);
    if (Date.now() >= deadline) throw new VolumeStateError(`${what} still ${current.status} after ${timeoutMs} ms (waiting for ${statuses.join(' or ')})`, current.status);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** A wait ended in an error status or a timeout. */
export class VolumeStateError extends Error {
  constructor(message: string, readonly status: string) {
    super(message);
    this.name = 'VolumeStateError';
  }
}
