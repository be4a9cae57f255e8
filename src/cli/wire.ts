/**
 * The API objects the CLI reads, named from the generated OpenAPI types (openapi/*.yaml ->
 * src/generated): a spec change breaks the build where the CLI disagrees.
 */
import type { components as ComputeApi } from '../generated/compute';
import type { components as IdentityApi } from '../generated/identity';
import type { components as ImageApi } from '../generated/image';
import type { components as SnapstackApi } from '../generated/snapstack';
import type { components as VolumeApi } from '../generated/volume';

export type Server = ComputeApi['schemas']['Server'];
export type ServerSummary = ComputeApi['schemas']['ServerSummary'];
export type ServerEnvelope = ComputeApi['schemas']['ServerEnvelope'];
export type ServerCreated = ComputeApi['schemas']['ServerCreatedEnvelope']['server'];
export type Flavor = ComputeApi['schemas']['Flavor'];
export type FlavorEnvelope = ComputeApi['schemas']['FlavorEnvelope'];
export type Link = ComputeApi['schemas']['Link'];
export type GlanceImage = ImageApi['schemas']['Image'];
export type GlanceImageList = ImageApi['schemas']['ImageList'];
export type Volume = VolumeApi['schemas']['Volume'];
export type VolumeAttachment = VolumeApi['schemas']['Attachment'];
export type VolumeSnapshot = VolumeApi['schemas']['Snapshot'];
export type TokenBody = IdentityApi['schemas']['TokenBody'];
export type Project = IdentityApi['schemas']['Project'];
export type Archive = SnapstackApi['schemas']['Archive'];
export type Job = SnapstackApi['schemas']['Job'];
export type ExportAccepted = SnapstackApi['schemas']['ExportAccepted'];
export type ImportResult = SnapstackApi['schemas']['ImportResult'];
export type FaultRule = SnapstackApi['schemas']['FaultRule'];
export type ResetReport = SnapstackApi['schemas']['ResetReport'];

/** An object of a JSON answer whose shape the spec leaves open. */
export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
