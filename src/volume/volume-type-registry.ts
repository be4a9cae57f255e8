/**
 * Volume type records and availability zones. Types live in volume_types (VolumeTypeService);
 * `__DEFAULT__`, the type Cinder itself creates since Train, is seeded by its migration with
 * this id and is the type of a volume created without one. One zone, `nova`.
 */

export interface VolumeTypeRecord {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
}

/** Cinder's default_volume_type; seeded by migrations/20261130160000_create_volume_types.ts. */
export const DEFAULT_VOLUME_TYPE_ID = '5d8c6a6b-7f1c-4a59-9b4e-3c1f0f5e8a01';
export const DEFAULT_VOLUME_TYPE_NAME = '__DEFAULT__';
export const DEFAULT_VOLUME_TYPE_DESCRIPTION = 'Default Volume Type';

export const AVAILABILITY_ZONE = 'nova';
