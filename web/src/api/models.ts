// Wire shapes the dashboard reads, named from the generated OpenAPI types (openapi/*.yaml ->
// src/generated): a spec change breaks the dashboard's build where it disagrees.
import type { components as ComputeApi } from '../../../src/generated/compute';
import type { components as ImageApi } from '../../../src/generated/image';
import type { components as SnapstackApi } from '../../../src/generated/snapstack';
import type { components as VolumeApi } from '../../../src/generated/volume';

export type Server = ComputeApi['schemas']['Server'];
export type Flavor = ComputeApi['schemas']['Flavor'];
export type BlockDeviceMapping = ComputeApi['schemas']['BlockDeviceMappingV2'];
/** Glance's image: core attributes typed, extra properties (image_type, block_device_mapping...) open. */
export type Image = ImageApi['schemas']['Image'];
export type Volume = VolumeApi['schemas']['Volume'];
export type VolumeSnapshot = VolumeApi['schemas']['Snapshot'];
export type Archive = SnapstackApi['schemas']['Archive'];

export interface Project {
  id: string;
  name: string;
}

export { imageScope, isInstanceSnapshot, snapshotMappings, volumeSnapshotScope } from '../../../src/shared/snapshot-scope';
