import { randomBytes, randomUUID } from 'crypto';
import type { operations } from '../generated/compute';
import type { AuthContext, BodyOf } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import type { Microversion } from '../http/microversion';
import type { ImageApi, ImageRecord } from '../image/image-api';
import type { VolumeApi } from '../volume/volume-api';
import { checkFlavorFitsImage, MinDiskRule } from './boot-disk-rules';
import { checkCreateVersionedKeys, hostnameArg } from './request-versions';
import type { FlavorService } from './flavor-service';
import type { FlavorRow } from './flavor-store';
import type { KeypairService } from './keypair-service';
import type { BlockDeviceRow, FlavorAtBoot, ServerRow } from './server-store';
import { hostnameOf, sanitizeHostname } from './server-views';
import {
  assignDeviceNames, imageDefinedBdms, mergeBdms, parseRequestedBdms, RequestedBdm, validateBdmList,
} from './server-bdm';

/** Image properties Nova never copies into an instance's system metadata or its snapshots. */
export const NON_INHERITABLE = ['cinder_encryption_key_id', 'cinder_encryption_key_deletion_policy', 'img_signature', 'img_signature_hash_method', 'img_signature_key_type', 'img_signature_certificate_uuid', 'block_device_mapping', 'bdm_v2', 'root_device_name', 'mappings'];

/** POST /servers' `server` object, as the spec types it (the router validated it). */
export type CreateServerInput = NonNullable<BodyOf<operations['createServer']>>['server'];

export interface CreatePlanDeps {
  flavors: FlavorService;
  keypairs: Pick<KeypairService, 'forServer'>;
  images: ImageApi;
  volumes: VolumeApi;
  defaultServerImage: string;
  minDiskRule: MinDiskRule;
}

export interface ServerPlan {
  server: Omit<ServerRow, 'created_at' | 'updated_at' | 'deleted_at' | 'launched_at'>;
  blockDevices: BlockDeviceRow[];
  adminPass: string;
  securityGroups: { name: string }[];
  /** min_count and max_count (max_count defaults to min_count, both to 1). */
  count: { min: number; max: number };
}

/** Nova's min_count / max_count (parameter_types.positive_integer, then "min_count must be <= max_count"). */
export function instanceCounts(s: Pick<CreateServerInput, 'min_count' | 'max_count'>): { min: number; max: number } {
  const read = (field: 'min_count' | 'max_count'): number | undefined => {
    const n = s[field];
    if (n === undefined) return undefined;
    if (typeof n === 'string' && !/^[0-9]+$/.test(n)) throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${n}. '${n}' does not match '^[0-9]*$'`);
    if (Number(n) < 1) throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${n}. ${n} is less than the minimum of 1`);
    return Number(n);
  };
  const min = read('min_count') ?? 1;
  const max = read('max_count') ?? min;
  if (min > max) throw new BadRequest('min_count must be <= max_count');
  return { min, max };
}

/** nova/utils.py generate_uid('r'): the reservation id of one create request. */
function reservationId(): string {
  return `r-${randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 8)}`;
}

/**
 * The `count` servers of a multiple create: the plan's server and block devices again with
 * their own ids, one reservation id, launch_index 0..n-1, and the display name and the hostname
 * made from it suffixed `-1`..`-n` (nova/compute/api.py _populate_instance_names; a name that
 * makes no hostname gives `Server-<id>`, unsuffixed). A hostname asked for (2.90) is refused
 * with more than one server, before this (planServer).
 */
export function multiplyPlan(plan: ServerPlan, count: number): ServerPlan[] {
  if (count <= 1) return [plan];
  const base = sanitizeHostname(plan.server.name);
  return Array.from({ length: count }, (_, i) => {
    const id = i === 0 ? plan.server.id : randomUUID();
    return {
      ...plan,
      server: { ...plan.server, id, launch_index: i, name: `${plan.server.name}-${i + 1}`, hostname: base ? `${base}-${i + 1}` : `Server-${id}` },
      blockDevices: plan.blockDevices.map((b) => ({ ...b, id: randomUUID(), server_id: id })),
    };
  });
}

function lastSegment(ref: string): string {
  return ref.replace(/\/+$/, '').split('/').pop() ?? ref;
}

/** oslo's is_uuid_like: 32 hex digits, dashes optional. */
const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** networks: a list (or absent) before 2.37; required from 2.37 and may be "none" / "auto". */
export function parseNetworks(raw: unknown, mv: Microversion | null): string {
  const modern = mv?.atLeast('2.37') ?? false;
  if (raw === undefined) {
    if (modern) throw new BadRequest("Invalid input for field/attribute server. 'networks' is a required property");
    return 'auto';
  }
  if (typeof raw === 'string') {
    if (!modern) throw new BadRequest(`Invalid input for field/attribute networks. Value: ${raw}. '${raw}' is not of type 'array'`);
    if (raw !== 'none' && raw !== 'auto') throw new BadRequest(`Invalid input for field/attribute networks. Value: ${raw}. '${raw}' is not one of ['none', 'auto']`);
    return raw;
  }
  if (!Array.isArray(raw)) throw new BadRequest(`Invalid input for field/attribute networks. Value: ${JSON.stringify(raw)}. It is not of type 'array'`);
  for (const net of raw) {
    // Nova's _validate_network_id (a "br-" prefix is tolerated), before any Neutron lookup.
    const id = net && typeof net === 'object' ? (net as { uuid?: unknown }).uuid : undefined;
    if (typeof id === 'string' && !UUID_LIKE.test(id) && !UUID_LIKE.test(id.split('-').slice(1).join('-'))) {
      throw new BadRequest(`Bad networks format: network uuid is not in proper format (${id})`);
    }
  }
  return JSON.stringify(raw);
}

async function bootImage(deps: CreatePlanDeps, auth: AuthContext, id: string): Promise<ImageRecord> {
  let image: ImageRecord;
  try {
    image = await deps.images.getImage(auth, id);
  } catch (err) {
    if (err instanceof NotFound) throw new BadRequest('Can not find requested image');
    throw err;
  }
  if (image.status !== 'active') throw new BadRequest(`Image ${id} is not active.`);
  return image;
}

/** Per-BDM checks against Cinder and Glance: sources exist and are usable. */
async function resolveSources(deps: CreatePlanDeps, auth: AuthContext, projectId: string, bdms: RequestedBdm[]): Promise<void> {
  for (const b of bdms) {
    if (b.source_type === 'volume') {
      const vol = await deps.volumes.getVolume(projectId, b.uuid!).catch((err) => {
        if (err instanceof NotFound) throw new BadRequest(`Block Device Mapping is Invalid: failed to get volume ${b.uuid}.`);
        throw err;
      });
      // Nova's _get_bdm_image_metadata: the root volume must be bootable (InvalidBDMVolumeNotBootable).
      if (b.boot_index === 0 && !vol.bootable) throw new BadRequest(`Block Device ${vol.id} is not bootable.`);
      if (vol.status !== 'available') throw new BadRequest(`Invalid volume: volume '${vol.id}' status must be 'available'. Currently in '${vol.status}'`);
      b.volume_size = b.volume_size ?? vol.size;
    } else if (b.source_type === 'snapshot') {
      const snap = await deps.volumes.getSnapshot(projectId, b.uuid!).catch((err) => {
        if (err instanceof NotFound) throw new BadRequest(`Block Device Mapping is Invalid: failed to get snapshot ${b.uuid}.`);
        throw err;
      });
      // Nova: volume_size or snapshot.size (Cinder refuses smaller, at build time).
      b.volume_size = b.volume_size ?? snap.size;
    } else if (b.source_type === 'image' && b.boot_index !== 0) {
      await bootImage(deps, auth, b.uuid!);
    }
  }
}

/** The flavor as a server keeps it (shown embedded from 2.47, kept while the flavor changes). */
export function flavorAtBoot(flavor: FlavorRow): FlavorAtBoot {
  return {
    id: flavor.id, name: flavor.name, ram: flavor.ram, vcpus: flavor.vcpus, disk: flavor.disk, ephemeral: flavor.ephemeral, swap: flavor.swap, extra_specs: flavor.extra_specs,
  };
}

/** What Nova keeps in system metadata at boot; createImage builds the snapshot's properties from it. */
export function systemMetadata(auth: AuthContext, image: ImageRecord | null, imageRef: string, flavor: { disk: number }): Record<string, string> {
  const meta: Record<string, string> = {
    image_base_image_ref: imageRef,
    image_min_disk: String(Math.max(image?.minDisk ?? 0, flavor.disk)),
    image_min_ram: String(image?.minRam ?? 0),
    owner_project_name: auth.projectName ?? '',
    owner_user_name: auth.userName,
    boot_roles: auth.roles.join(','),
  };
  if (image?.diskFormat) meta.image_disk_format = image.diskFormat;
  if (image?.containerFormat) meta.image_container_format = image.containerFormat;
  for (const [k, v] of Object.entries(image?.properties ?? {})) {
    if (NON_INHERITABLE.includes(k) || k.startsWith('os_glance')) continue;
    meta[`image_${k}`] = v;
  }
  return meta;
}

/** Validates POST /servers as Nova does and returns the rows to insert (nothing is written here). */
export async function planServer(deps: CreatePlanDeps, auth: AuthContext, s: CreateServerInput, mv: Microversion | null): Promise<ServerPlan> {
  const projectId = auth.projectId!;
  checkCreateVersionedKeys(s, mv, auth.isAdmin);
  const count = instanceCounts(s);
  if ('tags' in s && !(mv?.atLeast('2.52') ?? false)) {
    throw new BadRequest("Invalid input for field/attribute server. Additional properties are not allowed ('tags' was unexpected)");
  }
  // A hostname asked for (2.90), valid as the schema has it; nova/compute/api.py create: it cannot name several servers.
  const hostname = s.hostname !== undefined ? hostnameArg(s.hostname) : undefined;
  if (hostname && count.max > 1) throw new BadRequest('Unable to allocate a single hostname to multiple instances');
  if (s.availability_zone && s.availability_zone !== 'nova') throw new BadRequest('The requested availability zone is not available');
  const networks = parseNetworks(s.networks, mv);
  // Nova's _validate_and_build_base_options: the caller's own key pair, before the flavor.
  if (s.key_name !== undefined) await deps.keypairs.forServer(auth.userId, s.key_name);

  const flavorId = lastSegment(String(s.flavorRef));
  const flavor = await deps.flavors.get(auth, flavorId).catch((err) => {
    if (err instanceof NotFound) throw new BadRequest(`Flavor ${flavorId} could not be found.`);
    throw err;
  });

  const imageRef = s.imageRef ? lastSegment(String(s.imageRef)) : '';
  const requested = parseRequestedBdms(s.block_device_mapping_v2);
  // The image the server boots (Nova's boot_meta): imageRef, else the request root's image
  // (boot from volume made from an image). Its block_device_mapping, if any, is expanded.
  const requestRoot = requested.find((b) => b.boot_index === 0);
  const rootImage = imageRef
    ? await bootImage(deps, auth, imageRef)
    : requestRoot?.source_type === 'image' ? await bootImage(deps, auth, requestRoot.uuid!) : null;
  let bdms = mergeBdms(rootImage ? imageDefinedBdms(rootImage) : [], requested);
  if (imageRef && !bdms.some((b) => b.boot_index === 0)) {
    bdms.unshift({
      source_type: 'image', destination_type: 'local', uuid: imageRef, boot_index: 0, volume_size: null, delete_on_termination: true,
      device_name: null, device_type: 'disk', disk_bus: null, guest_format: null, volume_type: null, tag: null,
    });
  }
  if (!bdms.length) throw new BadRequest('Missing imageRef attribute');
  validateBdmList(bdms);
  const root = bdms.find((b) => b.boot_index === 0);
  if (!root) throw new BadRequest('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.');
  // Nova's order: sizes against the image before the BDM sources are looked up.
  checkFlavorFitsImage(deps.minDiskRule, flavor, rootImage, root);
  // nova/compute/api.py _check_and_transform_bdm: a volume belongs to one server.
  if (count.max > 1 && bdms.some((b) => b.source_type === 'volume')) throw new BadRequest('Cannot attach one or more volumes to multiple instances');
  await resolveSources(deps, auth, projectId, bdms);
  bdms = assignDeviceNames(bdms);

  const id = randomUUID();
  const blockDevices: BlockDeviceRow[] = bdms.map((b) => ({
    id: randomUUID(), server_id: id, boot_index: b.boot_index, source_type: b.source_type, destination_type: b.destination_type,
    image_id: b.source_type === 'image' ? b.uuid : null, snapshot_id: b.source_type === 'snapshot' ? b.uuid : null,
    volume_id: b.source_type === 'volume' ? b.uuid : null, volume_size: b.volume_size, volume_type: b.volume_type,
    delete_on_termination: b.delete_on_termination, device_name: b.device_name, device_type: b.device_type ?? 'disk',
    disk_bus: b.disk_bus ?? (b.destination_type === 'volume' ? 'virtio' : null), guest_format: b.guest_format, tag: b.tag, created_by_build: false,
  }));
  const dockerImage = (rootImage && deps.images.dockerImageOf(rootImage)) || deps.defaultServerImage;
  return {
    server: {
      id, project_id: projectId, user_id: auth.userId, name: s.name, description: s.description ?? null, access_ip_v4: s.accessIPv4 ?? null, access_ip_v6: s.accessIPv6 ?? null, image_ref: imageRef,
      // Nova's hostname: made from the display name unless one is asked (2.90); a rename keeps it.
      hostname: hostname ?? hostnameOf(s.name, id),
      trusted_certs: (s.trusted_image_certificates as string[] | null | undefined) ?? null,
      flavor_id: flavor.id, flavor: flavorAtBoot(flavor), vm_state: 'building', task_state: 'scheduling', power_state: 0, networks,
      metadata: s.metadata ?? {}, system_metadata: systemMetadata(auth, rootImage, imageRef, flavor), docker_image: dockerImage,
      container_id: null, ip_address: null, mac_address: null, fault: null, key_name: s.key_name ?? null,
      availability_zone: 'nova', root_device_name: root.device_name ?? '/dev/vda', locked: false, tags: s.tags ?? [],
      reservation_id: reservationId(), launch_index: 0,
    },
    blockDevices,
    adminPass: typeof s.adminPass === 'string' && s.adminPass ? s.adminPass : randomBytes(9).toString('base64url').slice(0, 12),
    count,
    securityGroups: Array.isArray(s.security_groups) && s.security_groups.length ? s.security_groups.map((g) => ({ name: String(g.name) })) : [{ name: 'default' }],
  };
}
