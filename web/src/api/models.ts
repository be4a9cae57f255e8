// Wire shapes the dashboard reads. The specs in openapi/ type requests fully; most OpenStack
// responses there are loose objects, so the fields used here are named once, in this file.

export interface Server {
  id: string;
  name: string;
  status: string;
  created: string;
  image: '' | { id: string };
  flavor: { original_name?: string; id?: string; disk?: number; ram?: number };
  'OS-EXT-STS:task_state'?: string | null;
  'os-extended-volumes:volumes_attached'?: { id: string }[];
  fault?: { code: number; message: string };
}

export interface Flavor {
  id: string;
  name: string;
  ram: number;
  disk: number;
  vcpus: number;
}

export interface Image {
  id: string;
  name: string | null;
  status: string;
  size: number | null;
  visibility: string;
  owner: string;
  min_disk: number;
  min_ram: number;
  created_at: string;
  image_type?: string;
  block_device_mapping?: string;
  snapstack_scope?: string;
}

export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  bootable: string;
  created_at: string;
  snapshot_id: string | null;
  volume_image_metadata?: Record<string, string>;
  attachments: { server_id: string; device: string; attachment_id?: string }[];
}

export interface VolumeSnapshot {
  id: string;
  name: string | null;
  status: string;
  size: number;
  volume_id: string;
  created_at: string;
  metadata?: Record<string, string>;
  'os-extended-snapshot-attributes:project_id'?: string;
}

export interface Project {
  id: string;
  name: string;
}

export { imageScope, isInstanceSnapshot, snapshotMappings, volumeSnapshotScope } from '../../../src/shared/snapshot-scope';
