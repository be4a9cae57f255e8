/**
 * Volume types and availability zones. Snapstack has one backend, so one public type,
 * `__DEFAULT__` (the type Cinder itself creates since Train), and one zone, `nova`.
 */
import { NotFound } from '../http/faults';

export interface VolumeTypeRecord {
  id: string;
  name: string;
  description: string;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
}

export const DEFAULT_VOLUME_TYPE: VolumeTypeRecord = {
  id: '5d8c6a6b-7f1c-4a59-9b4e-3c1f0f5e8a01',
  name: '__DEFAULT__',
  description: 'Default Volume Type',
  isPublic: true,
  extraSpecs: {},
};

export const AVAILABILITY_ZONE = 'nova';

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function listVolumeTypes(): VolumeTypeRecord[] {
  return [DEFAULT_VOLUME_TYPE];
}

/** By id, by name, or the keyword `default` (GET /types/default). */
export function findVolumeType(nameOrId: string): VolumeTypeRecord {
  const t = listVolumeTypes().find((x) => x.id === nameOrId || x.name === nameOrId);
  if (t) return t;
  if (nameOrId === 'default') return DEFAULT_VOLUME_TYPE;
  throw UUID_LIKE.test(nameOrId)
    ? new NotFound(`Volume type ${nameOrId} could not be found.`)
    : new NotFound(`Volume type with name ${nameOrId} could not be found.`);
}
