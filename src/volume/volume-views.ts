/**
 * Cinder's wire JSON (cinder/api/v3/views): VOL and SNAP fields, `bootable` as a string,
 * `metadata` always present, microsecond dates without zone, self + bookmark links, and
 * `<coll>_links` with rel=next only when a page came back full.
 */
import type { Microversion } from '../http/microversion';
import { isoMicros } from '../shared/time-format';
import type { SnapshotRecord, VolumeRecord } from './volume-api';
import { AVAILABILITY_ZONE, VolumeTypeRecord } from './volume-type-registry';
import type { ImageRecord } from '../image/image-api';

export interface ViewContext {
  /** e.g. http://127.0.0.1:8700/volume */
  serviceUrl: string;
  /** The project in the request URL (Cinder builds links from it). */
  projectId: string;
  isAdmin: boolean;
  microversion: Microversion | null;
}

/** Stand-ins for Cinder's backend identity (host@backend#pool, cinder-volume service id). */
const BACKEND_HOST = 'snapstack@docker#docker';
const SERVICE_UUID = '3c9e7a1e-5b0d-4c6e-9a4e-0d5b8f2d7c11';

function atLeast(ctx: ViewContext, v: string): boolean {
  return ctx.microversion ? ctx.microversion.atLeast(v) : false;
}

export function links(ctx: ViewContext, collection: string, id: string) {
  return [
    { rel: 'self', href: `${ctx.serviceUrl}/v3/${ctx.projectId}/${collection}/${id}` },
    { rel: 'bookmark', href: `${ctx.serviceUrl}/${ctx.projectId}/${collection}/${id}` },
  ];
}

/** Cinder's api_utils.add_visible_admin_metadata: these admin keys show in the metadata (and win). */
const VISIBLE_ADMIN_METADATA = ['readonly', 'attached_mode'];

function visibleAdminMetadata(admin: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(admin ?? {}).filter(([k]) => VISIBLE_ADMIN_METADATA.includes(k)));
}

export function volumeSummary(v: VolumeRecord, ctx: ViewContext) {
  return { id: v.id, name: v.name, links: links(ctx, 'volumes', v.id) };
}

/**
 * Cinder's volume detail. `extended` adds what the os-vol-image-meta, os-vol-tenant-attr,
 * os-vol-host-attr and os-vol-mig-status-attr extensions add to show and the detailed list
 * only: create and update answer without them.
 */
export function volumeDetail(v: VolumeRecord, ctx: ViewContext, extended = true): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: v.id,
    name: v.name,
    description: v.description,
    status: v.status,
    size: v.size,
    availability_zone: AVAILABILITY_ZONE,
    created_at: isoMicros(v.createdAt),
    updated_at: isoMicros(v.updatedAt),
    volume_type: v.volumeType,
    snapshot_id: v.snapshotId,
    source_volid: v.sourceVolid,
    metadata: { ...(v.metadata ?? {}), ...visibleAdminMetadata(v.adminMetadata) },
    links: links(ctx, 'volumes', v.id),
    user_id: v.userId,
    bootable: v.bootable ? 'true' : 'false',
    encrypted: false,
    multiattach: false,
    replication_status: null,
    consistencygroup_id: null,
    attachments: v.attachments.map((a) => ({
      id: v.id,
      attachment_id: a.attachmentId,
      volume_id: v.id,
      server_id: a.serverId,
      host_name: a.hostName,
      device: a.device,
      attached_at: isoMicros(a.attachedAt),
    })),
  };
  // Cinder's os-vol-image-meta extension: only on a volume with image metadata (made from an
  // image, or given some by os-set_image_metadata); once every key is unset, the key goes too.
  if (extended && v.imageMetadata && Object.keys(v.imageMetadata).length > 0) body.volume_image_metadata = v.imageMetadata;
  // volume_extension:volume_tenant_attribute is any project reader's (Cinder's default since Xena); host and migration are admin's.
  if (extended) body['os-vol-tenant-attr:tenant_id'] = v.projectId;
  if (ctx.isAdmin) {
    if (extended) {
      body['os-vol-host-attr:host'] = BACKEND_HOST;
      body['os-vol-mig-status-attr:migstat'] = null;
      body['os-vol-mig-status-attr:name_id'] = null;
    }
    body.migration_status = null;
    // The v3 view adds provider_id for admins from 3.21 (VOLUME_DETAIL_PROVIDER_ID).
    if (atLeast(ctx, '3.21')) body.provider_id = null;
  }
  if (atLeast(ctx, '3.13')) body.group_id = null;
  if (atLeast(ctx, '3.48')) {
    body.service_uuid = SERVICE_UUID;
    body.shared_targets = false;
  }
  return body;
}

/** Cinder's snapshot summary: the brief list. */
export function snapshotSummary(s: SnapshotRecord): Record<string, unknown> {
  return {
    id: s.id,
    created_at: isoMicros(s.createdAt),
    updated_at: isoMicros(s.updatedAt),
    name: s.name,
    description: s.description,
    volume_id: s.volumeId,
    status: s.status,
    size: s.size,
    metadata: s.metadata ?? {},
  };
}

/**
 * Cinder's snapshot detail (create and update answer it); `extended` adds what the
 * extended_snapshot_attributes extension adds to show and the detailed list only.
 */
export function snapshotDetail(s: SnapshotRecord, ctx: ViewContext, extended = true): Record<string, unknown> {
  const body = snapshotSummary(s);
  if (extended) {
    body['os-extended-snapshot-attributes:progress'] = s.status === 'creating' ? '0%' : '100%';
    body['os-extended-snapshot-attributes:project_id'] = s.projectId;
  }
  if (atLeast(ctx, '3.14')) body.group_snapshot_id = null;
  if (atLeast(ctx, '3.41')) body.user_id = s.userId;
  return body;
}

/**
 * `{<coll>: items, <coll>_links?: [{rel: next}]}`. The next link keeps the request's query
 * with marker = the last id (Cinder's _get_next_link), only when `items` filled the page.
 */
export function collection<T extends { id: string }>(
  name: string,
  records: T[],
  render: (r: T) => unknown,
  page: { limit: number; path: string; query: Record<string, string | string[]>; ctx: ViewContext; count?: number },
): Record<string, unknown> {
  const body: Record<string, unknown> = { [name]: records.map(render) };
  if (records.length > 0 && records.length >= page.limit) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(page.query)) {
      if (k === 'marker') continue;
      for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
    }
    params.set('marker', records[records.length - 1].id);
    body[`${name}_links`] = [{ rel: 'next', href: `${page.ctx.serviceUrl}/v3/${page.ctx.projectId}/${page.path}?${params.toString()}` }];
  }
  // with_count (3.45): every matching row, not the page's.
  if (page.count !== undefined) body.count = page.count;
  return body;
}

/**
 * Cinder's volume type. `show` (GET list and show: cinder/api/v3/views/types.py) adds
 * qos_specs_id for admins; `create` and `update` answer the older view
 * (cinder/api/views/types.py); the os-volume-type-access extension adds its is_public to
 * show, list and create, not to update.
 */
export function volumeTypeView(t: VolumeTypeRecord, as: { kind: 'show' | 'create' | 'update'; isAdmin: boolean }) {
  const body: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: t.isPublic,
    extra_specs: t.extraSpecs,
    description: t.description,
  };
  if (as.kind === 'show' && as.isAdmin) body.qos_specs_id = null;
  if (as.kind !== 'update') body['os-volume-type-access:is_public'] = t.isPublic;
  return body;
}

export function availabilityZonesView() {
  return { availabilityZoneInfo: [{ zoneName: AVAILABILITY_ZONE, zoneState: { available: true } }] };
}

export function limitsView(absolute: Record<string, number>) {
  return { limits: { rate: [], absolute } };
}

/** os-volume_upload_image's answer, as Cinder's copy_volume_to_image returns it. */
export function uploadView(
  v: VolumeRecord, type: VolumeTypeRecord | undefined, image: ImageRecord, req: { protected?: boolean; visibility?: string }, at31: boolean,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: v.id,
    updated_at: isoMicros(v.updatedAt),
    status: 'uploading',
    display_description: v.description,
    size: v.size,
    volume_type: type ? volumeTypeView(type, { kind: 'show', isAdmin: true }) : null,
    image_id: image.id,
    container_format: image.containerFormat,
    disk_format: image.diskFormat,
    image_name: image.name,
  };
  if (at31) {
    body.protected = image.protected;
    body.visibility = image.visibility;
  }
  return body;
}
