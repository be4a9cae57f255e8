/**
 * Cinder's create and update body checks that depend on the microversion or that its schema
 * lets through to the controller (cinder/api/schemas/volumes.py, cinder/api/v3/volumes.py).
 * docs/microversions.md lists them.
 */
import type { RequestContext } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import { invalidInput } from './volume-faults';
import { atLeast, FALSE, TRUE } from './volume-request';

/** create_volume_v353's keys: from 3.53 no other is allowed. */
const CREATE_KEYS = [
  'name', 'description', 'display_name', 'display_description', 'volume_type', 'metadata', 'snapshot_id', 'source_volid',
  'consistencygroup_id', 'size', 'availability_zone', 'multiattach', 'image_id', 'imageRef', 'group_id', 'backup_id',
];
const UPDATE_KEYS = ['name', 'description', 'display_name', 'display_description', 'metadata'];

/** Cinder's jsonschema message (cinder/api/validation/validators.py). */
function invalidField(field: string, value: unknown, detail: string): BadRequest {
  return new BadRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${detail}`);
}

/**
 * POST /volumes' `volume`: unknown keys refused from 3.53 (tolerated and ignored before);
 * a group (group_id, consistencygroup_id) is looked up at any version and Snapstack has none;
 * the removed multiattach parameter refused when true.
 */
export function checkVolumeCreate(ctx: RequestContext, volume: Record<string, unknown>): void {
  if (atLeast(ctx, '3.53')) {
    const extra = Object.keys(volume).filter((k) => !CREATE_KEYS.includes(k));
    if (extra.length) throw invalidField('volume', volume, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  }
  for (const key of ['consistencygroup_id', 'group_id']) {
    const id = volume[key];
    if (id !== undefined && id !== null) throw new NotFound(`Group ${String(id)} could not be found.`);
  }
  const multiattach = volume.multiattach;
  if (multiattach === true || (typeof multiattach === 'string' && TRUE.includes(multiattach.toLowerCase()))) {
    throw new BadRequest('multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. '
      + 'Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.');
  }
}

/**
 * The bootable filter (Cinder's _check_boolean_filter_value): from 3.2 a strict boolean
 * (400 otherwise); before, True/true/TRUE and False/false/FALSE, and any other non-empty text
 * counts as true (Python's bool of it).
 */
export function bootableFilter(ctx: RequestContext, value: string): boolean {
  if (!atLeast(ctx, '3.2')) {
    if (['False', 'false', 'FALSE'].includes(value)) return false;
    return value !== '';
  }
  const v = value.trim().toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw invalidInput(`'bootable = ${value}'`);
}

/** PUT /volumes/{id}: from 3.53 at least one of its keys (update_v353's anyOf); an empty update is a no-op before. */
export function checkVolumeUpdate(ctx: RequestContext, volume: Record<string, unknown>): void {
  if (atLeast(ctx, '3.53') && !UPDATE_KEYS.some((k) => k in volume)) {
    throw invalidField('volume', volume, `${JSON.stringify(volume)} is not valid under any of the given schemas`);
  }
}
