import { BadRequest, Conflict, Forbidden } from '../http/faults';
import type { ImageCaller, ImageRecord } from './image-api';
import { pyRepr, pyStr } from '../shared/py-format';

/** Attributes a client may never write (Glance answers 403 "Attribute 'x' is read-only."). */
export const READ_ONLY_ATTRIBUTES = new Set([
  'created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'direct_url', 'self', 'file',
  'schema', 'id', 'os_hash_algo', 'os_hash_value', 'locations', 'stores',
]);
/** Glance's reserved names, plus Snapstack's own bookkeeping (scope, archive id) that only Snapstack sets. */
const RESERVED_ATTRIBUTES = new Set(['location', 'deleted', 'deleted_at', 'snapstack_scope', 'snapstack_archive_id']);

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];
/** In the order of Glance's image schema enum (its 400s list them so). */
export const VISIBILITIES = ['community', 'public', 'private', 'shared'];

/** The writable core attributes; anything else is an extra property (a string). */
export const CORE_ATTRIBUTES = new Set([
  'name', 'visibility', 'protected', 'os_hidden', 'min_disk', 'min_ram', 'disk_format', 'container_format', 'tags', 'owner',
]);

export interface ImageChanges {
  name?: string | null;
  visibility?: string;
  protected?: boolean;
  os_hidden?: boolean;
  min_disk?: number;
  min_ram?: number;
  disk_format?: string | null;
  container_format?: string | null;
  owner?: string | null;
  tags?: string[];
  properties: Record<string, string>;
}

/** 403 for read-only and reserved names, as Glance does on create and update. */
export function checkWritable(attr: string): void {
  if (READ_ONLY_ATTRIBUTES.has(attr)) throw new Forbidden(`Attribute '${attr}' is read-only.`);
  if (RESERVED_ATTRIBUTES.has(attr) || attr.startsWith('os_glance')) throw new Forbidden(`Attribute '${attr}' is reserved.`);
}

/** Glance's InvalidObject over jsonschema's message, which prints values as Python's repr(). */
function schemaFault(reason: string): BadRequest {
  return new BadRequest(`Provided object does not match schema 'image': ${reason}`);
}

function schemaError(value: unknown, type: string): BadRequest {
  return schemaFault(`${pyRepr(value)} is not of type '${type}'`);
}

/** Validates one core or extra attribute value the way Glance's image schema does. */
export function validateAttribute(attr: string, value: unknown, caller: ImageCaller, image: ImageRecord | null): unknown {
  switch (attr) {
    case 'name':
      if (value !== null && typeof value !== 'string') throw schemaError(value, 'string');
      if (typeof value === 'string' && value.length > 255) throw schemaFault(`${pyRepr(value)} is too long`);
      return value;
    case 'visibility':
      if (typeof value !== 'string' || !VISIBILITIES.includes(value)) {
        throw schemaFault(`${pyRepr(value)} is not one of ${pyRepr(VISIBILITIES)}`);
      }
      if (value === 'public' && !caller.isAdmin) throw new Forbidden('You are not authorized to complete publicize_image action.');
      return value;
    case 'protected':
    case 'os_hidden':
      if (typeof value !== 'boolean') throw schemaError(value, 'boolean');
      return value;
    case 'min_disk':
    case 'min_ram':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw schemaError(value, 'integer');
      if (value < 0) throw schemaFault(`${value} is less than the minimum of 0`);
      if (value > 2 ** 31 - 1) throw schemaFault(`${value} is greater than the maximum of 2147483647`);
      return value;
    case 'disk_format':
    case 'container_format': {
      const allowed = attr === 'disk_format' ? DISK_FORMATS : CONTAINER_FORMATS;
      if (value !== null && (typeof value !== 'string' || !allowed.includes(value))) {
        throw schemaFault(`${pyRepr(value)} is not one of ${pyRepr([null, ...allowed])}`);
      }
      if (image && image.status !== 'queued' && (attr === 'disk_format' ? image.diskFormat : image.containerFormat) !== value) {
        throw new Forbidden(`Attribute ${attr} can be only replaced for a queued image.`);
      }
      return value;
    }
    case 'tags':
      if (!Array.isArray(value)) throw schemaError(value, 'array');
      // jsonschema names the first bad item, as Glance reports it.
      for (const t of value) {
        if (typeof t !== 'string') throw schemaError(t, 'string');
        if (t.length > 255) throw schemaFault(`${pyRepr(t)} is too long`);
      }
      return [...new Set(value as string[])];
    case 'owner':
      if (value !== null && typeof value !== 'string') throw schemaError(value, 'string');
      if (typeof value === 'string' && value.length > 255) throw schemaFault(`${pyRepr(value)} is too long`);
      // Glance's add_image lets a project name itself the owner of what it creates; only an
      // admin gives an image to another project, and only an admin changes an owner later.
      if (!caller.isAdmin && !image && value !== caller.projectId) throw new Forbidden(`You are not permitted to create images owned by '${pyStr(value)}'`);
      if (!caller.isAdmin && image) throw new Forbidden("Owner can't be updated by non admin.");
      return value;
    default:
      if (attr.length > 255) throw new BadRequest('Custom property should not be greater than 255 characters.');
      if (typeof value !== 'string') throw schemaError(value, 'string');
      return value;
  }
}

const OPERATIONS = ['add', 'remove', 'replace'];

/**
 * The JSON-patch dialect, by media type: v2.1 (draft 10) is RFC 6902's `{op, path}`; v2.0
 * (draft 4) names the operation as the member holding the path (`{"replace": "/name"}`).
 */
export type PatchDraft = 4 | 10;

/** Glance's checks of one change, in its order: op, then path, then the pointer's form. */
function operationOf(raw: Record<string, unknown>, draft: PatchDraft): string {
  if (draft === 4) {
    const present = OPERATIONS.filter((o) => o in raw);
    if (present.length > 1) throw new BadRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
    if (present.length === 0) throw new BadRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
    return present[0];
  }
  const op = raw.op;
  if (op === undefined || op === null) {
    throw new BadRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPERATIONS.join(', ')}.`);
  }
  if (typeof op !== 'string' || !OPERATIONS.includes(op)) {
    throw new BadRequest(`Invalid operation: \`${String(op)}\`. It must be one of the following: ${OPERATIONS.join(', ')}.`);
  }
  return op;
}

/** Glance's _validate_json_pointer: the limited pointer form it accepts, in its order and words. */
function validatePointer(pointer: string): void {
  if (!pointer.startsWith('/')) throw new BadRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw new BadRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw new BadRequest(`Pointer \`${pointer}\` end with "/".`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw new BadRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
}

function attributeOf(raw: Record<string, unknown>, op: string, draft: PatchDraft): string {
  if (draft === 10 && !('path' in raw)) throw new BadRequest("Unable to find 'path' in JSON Schema change");
  const path = raw[draft === 4 ? op : 'path'];
  if (typeof path !== 'string') throw new BadRequest(`Invalid JSON pointer for this resource: '${JSON.stringify(path)}'`);
  validatePointer(path);
  // Each token unescaped and stripped of blanks, as Glance's _decode_json_pointer does ("/ name " is name).
  const parts = path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~').trim());
  if (parts.length !== 1 || parts[0] === '') throw new BadRequest(`Invalid JSON pointer for this resource: '/${parts.join('/')}'`);
  return parts[0];
}

/**
 * Applies an RFC 6902 patch (add, replace, remove) to an image the way Glance does: `add` on
 * an existing attribute replaces it (OSC and the SDK always send `add`); in the v2.0 dialect
 * (draft 4) it is a conflict, as in Glance.
 */
export function applyImagePatch(image: ImageRecord, ops: unknown, caller: ImageCaller, draft: PatchDraft = 10): ImageChanges {
  if (!Array.isArray(ops)) throw new BadRequest('Request body must be a JSON array of operation objects.');
  const changes: ImageChanges = { properties: { ...image.properties } };
  for (const raw of ops) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new BadRequest('Operations must be JSON objects.');
    const change = raw as Record<string, unknown>;
    const op = operationOf(change, draft);
    const attr = attributeOf(change, op, draft);
    checkWritable(attr);
    const core = CORE_ATTRIBUTES.has(attr);
    if (draft === 4 && op === 'add' && (core || attr in changes.properties)) throw new Conflict(`Property ${attr} already present.`);
    if (op === 'remove') {
      if (core) throw new Forbidden(`Property ${attr} may not be removed.`);
      if (!(attr in changes.properties)) throw new Conflict(`Property ${attr} does not exist.`);
      delete changes.properties[attr];
      continue;
    }
    if (!('value' in change)) throw new BadRequest(`Operation "${op}" requires a member named "value".`);
    const value = validateAttribute(attr, change.value, caller, image);
    if (core) {
      // validateAttribute checked the value against this core attribute's type.
      Object.assign(changes, { [attr]: value });
    } else {
      if (op === 'replace' && !(attr in changes.properties)) throw new Conflict(`Property ${attr} does not exist.`);
      changes.properties[attr] = value as string;
    }
  }
  return changes;
}
