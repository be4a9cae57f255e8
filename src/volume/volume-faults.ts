/**
 * Cinder's error texts, in one place. Services throw these; the router maps the status to
 * Cinder's fault name ({"badRequest": {...}}, {"overLimit": {...}}...).
 */
import { BadRequest, Fault, Forbidden, NotFound } from '../http/faults';

export const volumeNotFound = (id: string) => new NotFound(`Volume ${id} could not be found.`);
export const snapshotNotFound = (id: string) => new NotFound(`Snapshot ${id} could not be found.`);

/** cinder.exception.InvalidInput */
export const invalidInput = (reason: string) => new BadRequest(`Invalid input received: ${reason}`);
/** cinder.exception.InvalidVolume */
export const invalidVolume = (reason: string) => new BadRequest(`Invalid volume: ${reason}`);
/** cinder.exception.InvalidSnapshot */
export const invalidSnapshot = (reason: string) => new BadRequest(`Invalid snapshot: ${reason}`);

/** cinder.exception.InvalidName, as Cinder's 'name' formats raise it: a blank name. */
export const blankName = () => new BadRequest("An invalid 'name' value was provided. The 'name' can not be empty.");

/** oslo's uuidutils.is_uuid_like: 32 hex digits, dashes optional. */
export const isUuidLike = (s: string) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s);

/** Cinder's parameter_types.uuid in a request body: jsonschema's 400 for a value that is not one. */
export function requireUuid(field: string, value: string): string {
  if (!isUuidLike(value)) throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${value}. '${value}' is not a 'uuid'`);
  return value;
}

/** oslo.policy refusal, as Cinder words it. */
export const policyForbids = (rule: string) => new Forbidden(`Policy doesn't allow ${rule} to be performed.`);

/** Cinder's QuotaError family: 413, "<ExceptionName>: <text>" (FaultWrapper), Retry-After: 0. */
export class QuotaExceeded extends Fault {
  constructor(exceptionName: string, message: string) {
    super(413, `${exceptionName}: ${message}`, { 'Retry-After': '0' });
  }
}

export const volumeLimitExceeded = (allowed: number, name: string) =>
  new QuotaExceeded('VolumeLimitExceeded', `Maximum number of volumes allowed (${allowed}) exceeded for quota '${name}'.`);
export const snapshotLimitExceeded = (allowed: number) =>
  new QuotaExceeded('SnapshotLimitExceeded', `Maximum number of snapshots allowed (${allowed}) exceeded`);
export const sizeExceedsAvailableQuota = (name: string, requested: number, quota: number, consumed: number) =>
  new QuotaExceeded(
    'VolumeSizeExceedsAvailableQuota',
    `Requested volume or snapshot exceeds allowed ${name} quota. Requested ${requested}G, quota is ${quota}G and ${consumed}G has been consumed.`,
  );
export const sizeExceedsLimit = (size: number, limit: number) =>
  new QuotaExceeded('VolumeSizeExceedsLimit', `Requested volume size ${size}G is larger than maximum allowed limit ${limit}G.`);

/** Cinder's volume delete refusal (cinder/volume/api.py delete): `status` is '' for a forced delete. */
export function volumeNotDeletable(force: boolean): Fault {
  const status = force ? '' : 'status must be available or error or error_restoring or error_extending or error_managing and';
  return invalidVolume(
    `Volume ${status} must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.`,
  );
}

export function snapshotNotDeletable(force: boolean): Fault {
  const status = force ? '' : 'status must be available or error and';
  return invalidSnapshot(`Snapshot ${status} must not be part of a group.`);
}

/** Cinder's strutils.bool_from_string(strict=True) vocabulary, used for force and bootable. */
const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'f', 'false', 'off', 'n', 'no'];

export function parseCinderBool(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE_STRINGS.includes(v)) return true;
    if (FALSE_STRINGS.includes(v)) return false;
  }
  throw new BadRequest(
    `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${JSON.stringify(value)} is not one of the accepted boolean values.`,
  );
}

/** Cinder's volume_size parameter type: a positive integer, or a string of digits. */
export function parseSize(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 2147483647) {
    throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. ${JSON.stringify(value)} is not a valid size: an integer of 1 or more is expected.`);
  }
  return n;
}
