import { createHash } from 'crypto';
import type { Microversion } from '../http/microversion';
import { isoMicros, isoSecondsZ } from '../shared/time-format';
import { links } from './compute-links';
import { statusOf } from './server-states';
import type { BlockDeviceRow, ServerRow, ServerSummaryRow, ServerViewRow, VolumeRef } from './server-store';

/** The one (fake) compute host every server runs on. */
export const COMPUTE_HOST = 'snapstack';
const PROGRESS_STATUSES = ['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'];

/** An IPv6 address the way Nova's database type stores it: compressed, lowercase, no dotted IPv4 tail. */
export function canonicalIPv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

export interface ServerViewOptions {
  serviceUrl: string;
  mv: Microversion | null;
  isAdmin: boolean;
  /** server_groups is only in show/update/rebuild responses (2.71) */
  single?: boolean;
  /**
   * The PUT /servers/{id} answer: below 2.75 Nova leaves out the extension attributes (AZ,
   * config drive, key name, usage, extended status and volumes, security groups, admin
   * attributes, host status, server groups) and the addresses' OS-EXT-IPS keys.
   */
  update?: boolean;
}

const at = (o: ServerViewOptions, v: string) => (o.mv ? o.mv.atLeast(v) : false);

export function serverSummary(s: ServerSummaryRow, o: ServerViewOptions) {
  return { id: s.id, name: s.name, links: links(o.serviceUrl, 'servers', s.id) };
}

/** Nova's hostId, a hash of the project and the host: one per project, so kept (a list shows it per server). */
const hostIds = new Map<string, string>();
export function hostId(projectId: string): string {
  let id = hostIds.get(projectId);
  if (id === undefined) {
    id = createHash('sha224').update(projectId + COMPUTE_HOST).digest('hex');
    if (hostIds.size >= 10_000) hostIds.clear();
    hostIds.set(projectId, id);
  }
  return id;
}

/** The server's addresses by network label; `extended` adds the OS-EXT-IPS attributes of the server views (not of /ips). */
export function addresses(s: Pick<ServerRow, 'networks' | 'ip_address' | 'mac_address'>, extended = true) {
  if (s.networks === 'none' || !s.ip_address) return {};
  if (!extended) return { private: [{ addr: s.ip_address, version: 4 }] };
  return { private: [{ addr: s.ip_address, version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': s.mac_address }] };
}

/** Below 2.47 a reference; from 2.47 the flavor as it was at boot, embedded. */
function flavorOf(s: ServerViewRow, o: ServerViewOptions) {
  if (!at(o, '2.47')) return { id: s.flavor.id, links: [{ rel: 'bookmark', href: `${o.serviceUrl}/flavors/${s.flavor.id}` }] };
  return {
    vcpus: s.flavor.vcpus, ram: s.flavor.ram, disk: s.flavor.disk, ephemeral: s.flavor.ephemeral, swap: s.flavor.swap,
    original_name: s.flavor.name, extra_specs: s.flavor.extra_specs ?? {},
  };
}

/** `image` is "" (not null) for a server booted from a volume without imageRef. */
function imageOf(s: ServerViewRow, o: ServerViewOptions) {
  if (!s.image_ref) return '';
  return { id: s.image_ref, links: [{ rel: 'bookmark', href: `${o.serviceUrl}/images/${s.image_ref}` }] };
}

/** What serverDetail reads of a server at these options beside its row: tags from 2.26, a show's groups from 2.71. */
export function detailColumns(o: ServerViewOptions): { detail: true; tags: boolean; groups: boolean } {
  return { detail: true, tags: at(o, '2.26'), groups: at(o, '2.71') && o.single === true };
}

/** GET /servers/{id} and /servers/detail, shaped by microversion (contract 2.5). */
export function serverDetail(s: ServerViewRow, bdms: VolumeRef[], o: ServerViewOptions) {
  const status = statusOf(s.vm_state, s.task_state);
  const volumes = bdms
    .filter((b) => b.destination_type === 'volume' && b.volume_id)
    .map((b) => (at(o, '2.3') ? { id: b.volume_id, delete_on_termination: b.delete_on_termination } : { id: b.volume_id }));
  const all = !o.update || at(o, '2.75');
  const view: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status,
    tenant_id: s.project_id,
    user_id: s.user_id,
    metadata: s.metadata ?? {},
    hostId: hostId(s.project_id),
    image: imageOf(s, o),
    flavor: flavorOf(s, o),
    created: isoSecondsZ(new Date(s.created_at)),
    updated: isoSecondsZ(new Date(s.updated_at)),
    addresses: addresses(s, all),
    accessIPv4: s.access_ip_v4 ?? '',
    accessIPv6: s.access_ip_v6 ? canonicalIPv6(s.access_ip_v6) : '',
    links: links(o.serviceUrl, 'servers', s.id),
    'OS-DCF:diskConfig': 'MANUAL',
  };
  if (all) {
    Object.assign(view, {
      'OS-EXT-AZ:availability_zone': s.availability_zone,
      config_drive: '',
      key_name: s.key_name,
      'OS-SRV-USG:launched_at': s.launched_at ? isoMicros(new Date(s.launched_at)) : null,
      // Nova's terminated_at is set when the server is deleted (a deleted one lists with changes-since or deleted).
      'OS-SRV-USG:terminated_at': s.deleted_at ? isoMicros(new Date(s.deleted_at)) : null,
      'OS-EXT-STS:task_state': s.task_state,
      'OS-EXT-STS:vm_state': s.vm_state,
      'OS-EXT-STS:power_state': s.power_state,
      'os-extended-volumes:volumes_attached': volumes,
    });
    if (s.networks !== 'none') view.security_groups = [{ name: 'default' }];
  }
  if (PROGRESS_STATUSES.includes(status)) view.progress = 0;
  if ((status === 'ERROR' || status === 'DELETED') && s.fault) {
    view.fault = { code: s.fault.code, created: s.fault.created, message: s.fault.message, ...(o.isAdmin && s.fault.details ? { details: s.fault.details } : {}) };
  }
  if (o.isAdmin && all) {
    view['OS-EXT-SRV-ATTR:host'] = COMPUTE_HOST;
    view['OS-EXT-SRV-ATTR:instance_name'] = `instance-${s.id.slice(0, 8)}`;
    view['OS-EXT-SRV-ATTR:hypervisor_hostname'] = COMPUTE_HOST;
    if (at(o, '2.3')) {
      view['OS-EXT-SRV-ATTR:reservation_id'] = s.reservation_id ?? `r-${s.id.slice(0, 8)}`;
      view['OS-EXT-SRV-ATTR:launch_index'] = s.launch_index ?? 0;
      view['OS-EXT-SRV-ATTR:hostname'] = serverHostname(s);
      view['OS-EXT-SRV-ATTR:kernel_id'] = '';
      view['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      view['OS-EXT-SRV-ATTR:root_device_name'] = s.root_device_name;
      view['OS-EXT-SRV-ATTR:user_data'] = null;
    }
    if (at(o, '2.16')) view.host_status = 'UP';
  }
  if (at(o, '2.9')) view.locked = s.locked;
  if (at(o, '2.19')) view.description = s.description;
  if (at(o, '2.26')) view.tags = s.tags ?? [];
  if (at(o, '2.63')) view.trusted_image_certificates = s.trusted_certs ?? null;
  if (at(o, '2.71') && o.single) view.server_groups = s.server_groups ?? [];
  if (at(o, '2.73')) view.locked_reason = s.locked_reason ?? null;
  if (at(o, '2.90')) view['OS-EXT-SRV-ATTR:hostname'] = serverHostname(s);
  return view;
}

/** The server's hostname: kept since create (a row from before the column has the name's). */
function serverHostname(s: Pick<ServerRow, 'hostname' | 'name' | 'id'>): string {
  return s.hostname ?? hostnameOf(s.name, s.id);
}

/**
 * Nova's hostname from a display name (nova/utils.py sanitize_hostname): characters past
 * U+00FF dropped, cut to 63, spaces, underscores and dots made dashes, what is not a word
 * character or a dash dropped, lower case, dots and dashes trimmed at both ends. Nothing left
 * gives `Server-<id>` (nova/compute/api.py _populate_instance_names).
 */
export function sanitizeHostname(name: string): string {
  const latin1 = Array.from(name).filter((c) => c.codePointAt(0)! <= 0xff).join('');
  return latin1.slice(0, 63).replace(/[ _.]/g, '-').replace(/[^\p{L}\p{N}_.-]+/gu, '').toLowerCase().replace(/^[.-]+|[.-]+$/g, '');
}

export function hostnameOf(name: string, serverId: string): string {
  return sanitizeHostname(name) || `Server-${serverId}`;
}

/** POST /servers answer: id, links, diskConfig, security groups, adminPass. */
export function createdServerView(s: Pick<ServerRow, 'id'>, adminPass: string, securityGroups: { name: string }[], o: ServerViewOptions) {
  return {
    id: s.id,
    links: links(o.serviceUrl, 'servers', s.id),
    'OS-DCF:diskConfig': 'MANUAL',
    security_groups: securityGroups,
    adminPass,
  };
}

/** os-volume_attachments item, shaped by microversion (tag 2.70, delete_on_termination 2.79, ids 2.89). */
export function attachmentView(b: BlockDeviceRow, serverId: string, mv: Microversion | null, attachmentId: string | null = null) {
  const v = (x: string) => (mv ? mv.atLeast(x) : false);
  return {
    device: b.device_name,
    ...(v('2.89') ? {} : { id: b.volume_id }),
    serverId,
    volumeId: b.volume_id,
    ...(v('2.70') ? { tag: b.tag } : {}),
    ...(v('2.79') ? { delete_on_termination: b.delete_on_termination } : {}),
    ...(v('2.89') ? { attachment_id: attachmentId, bdm_uuid: b.id } : {}),
  };
}
