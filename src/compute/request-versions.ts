/**
 * The request keys and query parameters Nova admits only at some microversions (its JSON
 * schemas, nova/api/openstack/compute/schemas/servers.py): what a request at another version
 * sends of them is refused as Nova's validator refuses it. docs/microversions.md lists them.
 */
import { BadRequest, Forbidden } from '../http/faults';
import type { Microversion } from '../http/microversion';
import { atLeast, invalid, pyRepr } from './server-action-table';
import { COMPUTE_HOST } from './server-views';

/** A key admitted from `since` (inclusive), and until `until` (inclusive) when given. */
interface VersionedKey {
  key: string;
  since?: string;
  until?: string;
}

/** No microversion (a unit's call) counts as 2.1, the minimum. */
function admitted(mv: Microversion | null, k: VersionedKey): boolean {
  if (k.since && !atLeast(mv, k.since)) return false;
  return !(k.until && atLeast(mv, nextMinor(k.until)));
}

function nextMinor(v: string): string {
  const [major, minor] = v.split('.').map(Number);
  return `${major}.${minor + 1}`;
}

function refuseUnexpected(field: string, value: Record<string, unknown>, keys: VersionedKey[], mv: Microversion | null): void {
  const extra = keys.filter((k) => k.key in value && !admitted(mv, k)).map((k) => `'${k.key}'`);
  if (extra.length) {
    throw invalid(field, value, `Additional properties are not allowed (${extra.join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  }
}

/** create_v219 .. create_v290: server keys by version (tags, 2.52, are the server tags API's). */
const CREATE_KEYS: VersionedKey[] = [
  { key: 'description', since: '2.19' },
  { key: 'personality', until: '2.56' },
  { key: 'trusted_image_certificates', since: '2.63' },
  { key: 'host', since: '2.74' },
  { key: 'hypervisor_hostname', since: '2.74' },
  { key: 'hostname', since: '2.90' },
];
/** A device tag: from 2.32 (a bug dropped it at 2.33 for block devices, at 2.37 for networks), again from 2.42. */
const BDM_TAG: VersionedKey[] = [{ key: 'tag', since: '2.32', until: '2.32' }, { key: 'tag', since: '2.42' }];
const NETWORK_TAG: VersionedKey[] = [{ key: 'tag', since: '2.32', until: '2.36' }, { key: 'tag', since: '2.42' }];
const BDM_KEYS: VersionedKey[] = [{ key: 'volume_type', since: '2.67' }];

function refuseTag(field: string, item: Record<string, unknown>, windows: VersionedKey[], mv: Microversion | null): void {
  if ('tag' in item && !windows.some((w) => admitted(mv, w))) {
    throw invalid(field, item, "Additional properties are not allowed ('tag' was unexpected)");
  }
}

function objectsOf(list: unknown): Array<Record<string, unknown>> {
  return Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x)) : [];
}

/**
 * POST /servers: the keys of `server`, its networks and its block_device_mapping_v2 items that
 * the request's microversion does not admit (Nova's message names the item's index as the field).
 * host and hypervisor_hostname (2.74) are an admin's (policy requested_destination) and must name
 * Snapstack's one compute host.
 */
export function checkCreateVersionedKeys(server: Record<string, unknown>, mv: Microversion | null, isAdmin: boolean): void {
  refuseUnexpected('server', server, CREATE_KEYS, mv);
  objectsOf(server.networks).forEach((n, i) => refuseTag(String(i), n, NETWORK_TAG, mv));
  objectsOf(server.block_device_mapping_v2).forEach((b, i) => {
    refuseTag(String(i), b, BDM_TAG, mv);
    refuseUnexpected(String(i), b, BDM_KEYS, mv);
  });
  if (server.trusted_image_certificates !== undefined) trustedCertsArg(server.trusted_image_certificates, Boolean(server.imageRef));
  const host = server.host;
  const node = server.hypervisor_hostname;
  if (host || node) {
    if (!isAdmin) throw new Forbidden("Policy doesn't allow compute:servers:create:requested_destination to be performed.");
    for (const name of [host, node]) {
      if (name && name !== COMPUTE_HOST) throw new BadRequest(`Compute host ${String(name)} could not be found.`);
    }
  }
}

/** parameter_types.hostname (2.90 to 2.93: 2.94's FQDNs are above Snapstack's ceiling). */
export function hostnameArg(value: unknown): string {
  if (typeof value !== 'string') throw invalid('hostname', value, `${pyRepr(value)} is not of type 'string'`);
  if (value.length < 2) throw invalid('hostname', value, `'${value}' is too short`);
  if (value.length > 63) throw invalid('hostname', value, `'${value}' is too long`);
  if (!/^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$/.test(value)) throw invalid('hostname', value, `'${value}' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'`);
  return value;
}

/**
 * parameter_types.trusted_certs (2.63): null or 1 to 50 distinct non-empty ids, kept and shown
 * (Snapstack verifies no image signature, as Nova with verify_glance_signatures off, its
 * default); a server booted from a volume refuses them as Nova does.
 */
export function trustedCertsArg(value: unknown, imageBacked: boolean): string[] | null {
  const field = 'trusted_image_certificates';
  if (value === null) return null;
  if (!Array.isArray(value)) throw invalid(field, value, `${pyRepr(value)} is not of type 'array', 'null'`);
  if (value.length < 1) throw invalid(field, value, '[] is too short');
  if (value.length > 50) throw invalid(field, value, `${pyRepr(value)} is too long`);
  value.forEach((id, i) => {
    if (typeof id !== 'string') throw invalid(String(i), id, `${pyRepr(id)} is not of type 'string'`);
    if (id.length < 1) throw invalid(String(i), id, "'' is too short");
  });
  if (new Set(value).size !== value.length) throw invalid(field, value, `${pyRepr(value)} has non-unique elements`);
  if (!imageBacked) throw new BadRequest('Image certificate validation is not supported when booting from volume');
  return value as string[];
}

/** PUT /servers/{id}: description from 2.19, hostname from 2.90 (update_v219, update_v290). */
export function checkUpdateVersionedKeys(server: Record<string, unknown>, mv: Microversion | null): void {
  refuseUnexpected('server', server, [{ key: 'description', since: '2.19' }, { key: 'hostname', since: '2.90' }], mv);
}

/** The statuses Nova's status filter knows (nova/api/openstack/common.py _STATE_MAP). */
const NOVA_STATUSES = new Set([
  'ACTIVE', 'BUILD', 'CONFIRMING_RESIZE', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING', 'PASSWORD', 'PAUSED', 'REBOOT',
  'REBUILD', 'RESCUE', 'RESIZE', 'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF', 'SOFT_DELETED', 'SUSPENDED',
  'VERIFY_RESIZE',
]);

/** `status=X` that Nova does not know: an empty list before 2.38, 400 from it. */
export function unknownStatus(status: string, mv: Microversion | null): boolean {
  if (NOVA_STATUSES.has(status.toUpperCase())) return false;
  if (atLeast(mv, '2.38')) throw new BadRequest('Invalid status value');
  return true;
}

/** index_query's properties (with the joined-table names and pagination), by the version that added them. */
const LIST_QUERY_KEYS: VersionedKey[] = [
  ...['user_id', 'project_id', 'tenant_id', 'launch_index', 'image_ref', 'image', 'kernel_id', 'ramdisk_id', 'hostname',
    'key_name', 'power_state', 'vm_state', 'task_state', 'host', 'node', 'flavor', 'reservation_id', 'launched_at',
    'terminated_at', 'availability_zone', 'name', 'display_name', 'description', 'display_description', 'locked_by', 'uuid',
    'root_device_name', 'config_drive', 'access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'progress', 'sort_key', 'sort_dir',
    'all_tenants', 'soft_deleted', 'deleted', 'status', 'changes-since', 'ip', 'ip6', 'created_at',
    'block_device_mapping', 'services', 'metadata', 'pci_devices', 'security_groups', 'info_cache', 'system_metadata',
    'limit', 'marker']
    .map((key) => ({ key })),
  ...['tags', 'tags-any', 'not-tags', 'not-tags-any'].map((key) => ({ key, since: '2.26' })),
  { key: 'changes-before', since: '2.66' },
  { key: 'locked', since: '2.73' },
];

/** From 2.75 Nova refuses a query parameter its list schema does not name (index_query_v275). */
export function checkListQuery(query: Record<string, unknown>, mv: Microversion | null): void {
  refuseUnknownQuery(query, mv, LIST_QUERY_KEYS.filter((k) => admitted(mv, k)).map((k) => k.key), (name) => name.startsWith('_'));
}

/** A 2.75 query schema (additionalProperties false): a parameter it does not name is a 400. */
export function refuseUnknownQuery(query: Record<string, unknown>, mv: Microversion | null, names: string[], alsoAllowed: (name: string) => boolean = () => false): void {
  if (!atLeast(mv, '2.75')) return;
  const extra = Object.keys(query).filter((name) => !names.includes(name) && !alsoAllowed(name));
  if (extra.length) throw new BadRequest(`Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
}

/** Sort keys Nova's list schema admits but ignores (SERVER_LIST_IGNORE_SORT_KEY; `locked` sorts from 2.73, and from 2.75 they are refused). */
const IGNORED_SORT_KEYS = [
  'architecture', 'cell_name', 'cleaned', 'default_ephemeral_device', 'default_swap_device', 'deleted', 'deleted_at',
  'disable_terminate', 'ephemeral_gb', 'ephemeral_key_uuid', 'id', 'key_data', 'launched_on', 'locked', 'memory_mb', 'os_type',
  'reservation_id', 'root_gb', 'shutdown_terminate', 'user_data', 'vcpus', 'vm_mode',
];

/** VALID_SORT_KEYS of Nova's list schema (without the ignored ones). */
const SORT_KEYS = [
  'access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'availability_zone', 'config_drive', 'created_at', 'display_description',
  'display_name', 'host', 'hostname', 'image_ref', 'instance_type_id', 'kernel_id', 'key_name', 'launch_index', 'launched_at',
  'locked_by', 'node', 'power_state', 'progress', 'project_id', 'ramdisk_id', 'root_device_name', 'task_state', 'terminated_at',
  'updated_at', 'user_id', 'uuid', 'vm_state',
];

export interface ServerSort {
  keys: string[];
  dirs: Array<'asc' | 'desc'>;
}

/**
 * GET /servers' sort_key/sort_dir as Nova reads them: each key in the schema's enum (a 400 otherwise),
 * the ignored keys dropped with their direction (remove_invalid_sort_keys), host and node an admin's
 * only (403), created_at desc when none is given (get_sort_params), and created_at and id appended in
 * the first direction (process_sort_params).
 */
export function serverSort(keys: string[], dirs: string[], mv: Microversion | null, isAdmin: boolean): ServerSort {
  const ignored = atLeast(mv, '2.73') ? IGNORED_SORT_KEYS.filter((k) => k !== 'locked') : IGNORED_SORT_KEYS;
  const valid = [...SORT_KEYS, ...(atLeast(mv, '2.73') ? ['locked'] : []), ...(atLeast(mv, '2.75') ? [] : ignored)];
  for (const key of keys) {
    if (!valid.includes(key)) {
      throw new BadRequest(`Invalid input for query parameters sort_key. Value: ${key}. '${key}' is not one of ${pyRepr(valid)}`);
    }
  }
  // get_sort_params' defaults apply when the request named none (before the ignored keys go).
  const sortKeys = keys.length ? keys.map((k) => k.trim()) : ['created_at'];
  const sortDirs = dirs.length ? dirs.map((d) => d.trim()) : ['desc'];
  for (const key of [...sortKeys]) {
    const i = sortKeys.indexOf(key);
    if (ignored.includes(key)) {
      if (sortDirs.length > i) sortDirs.splice(i, 1);
      sortKeys.splice(i, 1);
    } else if ((key === 'host' || key === 'node') && !isAdmin) {
      throw new Forbidden(`Only administrators can sort servers by ${key}`);
    }
  }
  const invalidInput = (reason: string) => new BadRequest(`Invalid input received: ${reason}`);
  for (const dir of sortDirs) if (dir !== 'asc' && dir !== 'desc') throw invalidInput("Unknown sort direction, must be 'desc' or 'asc'");
  const first = (sortDirs[0] ?? 'asc') as 'asc' | 'desc';
  const result: ServerSort = { keys: [...sortKeys], dirs: sortDirs as Array<'asc' | 'desc'> };
  while (result.dirs.length < result.keys.length) result.dirs.push(first);
  if (result.dirs.length > result.keys.length) throw invalidInput('Sort direction size exceeds sort key size');
  for (const key of ['created_at', 'id']) {
    if (!result.keys.includes(key)) { result.keys.push(key); result.dirs.push(first); }
  }
  return result;
}
