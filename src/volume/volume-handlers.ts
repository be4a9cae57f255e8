/**
 * Cinder v3 volume handlers (keys are the operationIds of openapi/volume.yaml); actions,
 * types, transfers, messages, snapshots, metadata and quotas are in their own files and merged here.
 *
 * LIMITATIONS:
 * - a volume from an image (imageRef) holds the root filesystem of the image's Docker image
 *   (an image with uploaded bytes instead gives an empty volume); no volumes from backups
 *   (backup_id): 501; os-volume_upload_image makes a Docker-backed image of the volume's
 *   content whatever disk_format is asked (no qcow2 or raw bytes); no groups, consistency
 *   groups, migration, manage/unmanage, attachments API (compute attaches through
 *   VolumeService), encryption;
 * - one availability zone (nova); scheduler hints are ignored; volume types are kept and
 *   shown but one backend serves them all (volume-type-handlers.ts);
 * - list filters: name, status, metadata, bootable, size, availability_zone, glance_metadata
 *   (admin, 3.4), `name~`-style like filters (3.34), created_at/updated_at comparisons (3.31),
 *   project_id (admin + all_tenants), with_count (3.45); consumes_quota is ignored; an admin's
 *   unknown filter is ignored (Cinder's database layer answers an empty list);
 * - an admin reaches any project's volume by id (Cinder's admin context); lists need all_tenants.
 */
import type { operations } from '../generated/volume';
import type { Handlers, RequestContext } from '../http/context';
import { queryString, typedHandlers } from '../http/context';
import { NotFound } from '../http/faults';
import { metadataHandlers } from './metadata-handlers';
import { bootableFilter, checkVolumeCreate, checkVolumeUpdate } from './volume-request-versions';
import { quotaHandlers } from './quota-handlers';
import { snapshotHandlers } from './snapshot-handlers';
import { parseCinderBool } from './volume-faults';
import type { QuotaService } from './volume-quotas';
import {
  atLeast, boolParam, callerOf, checkFilterNames, lenientBool, likeFilters, metadataFilter, pageOf, timeFilters, USER_FILTERS, viewContextOf, withCount,
} from './volume-request';
import type { VolumeService } from './volume-service';
import { VOLUME_SORT_COLUMNS } from './volume-store';
import { volumeActionHandlers } from './volume-action-handlers';
import { volumeTypeHandlers } from './volume-type-handlers';
import type { VolumeTypeService } from './volume-type-service';
import { transferHandlers } from './transfer-handlers';
import { CINDER_EXTENSIONS } from './volume-extensions';
import { messageHandlers } from './message-handlers';
import type { VolumeMessages } from './volume-messages';
import type { TransferService } from './transfer-service';
import { volumeVersion } from './volume-versions';
import { availabilityZonesView, collection, volumeDetail, volumeSummary } from './volume-views';

export interface VolumeHandlerDeps {
  volume: VolumeService;
  quotas: QuotaService;
  types: VolumeTypeService;
  transfers: TransferService;
  messages: VolumeMessages;
}

function listQuery(ctx: RequestContext) {
  checkFilterNames(ctx, 'volume');
  const bootable = queryString(ctx, 'bootable');
  const size = queryString(ctx, 'size');
  const isAdmin = callerOf(ctx).isAdmin;
  return {
    allTenants: lenientBool(ctx, 'all_tenants'),
    page: pageOf(ctx, VOLUME_SORT_COLUMNS),
    filter: {
      name: queryString(ctx, 'name'),
      status: queryString(ctx, 'status'),
      metadata: metadataFilter(ctx),
      bootable: bootable === undefined ? undefined : bootableFilter(ctx, bootable),
      projectId: queryString(ctx, 'project_id'),
      // Cinder reads a filter value as a Python literal: size=1 is the integer (anything else matches none).
      size: size !== undefined && /^\s*\d+\s*$/.test(size) ? Number(size) : undefined,
      availabilityZone: queryString(ctx, 'availability_zone'),
      // glance_metadata from 3.4; not a non-admin's filter (dropped, 400 from 3.31).
      imageMetadata: atLeast(ctx, '3.4') && isAdmin ? metadataFilter(ctx, 'glance_metadata') : undefined,
      like: likeFilters(ctx),
      times: timeFilters(ctx),
      // No volume is in a group (group_id, from 3.10) or migrating: such a filter keeps none.
      none: (atLeast(ctx, '3.10') && queryString(ctx, 'group_id') !== undefined) || queryString(ctx, 'migration_status') !== undefined
        || (size !== undefined && !/^\s*\d+\s*$/.test(size)),
    },
  };
}

async function list(ctx: RequestContext, volume: VolumeService, detail: boolean) {
  const q = listQuery(ctx);
  const caller = callerOf(ctx);
  const records = await volume.list(caller, q);
  const view = viewContextOf(ctx);
  return {
    status: 200,
    body: collection('volumes', records, (v) => (detail ? volumeDetail(v, view) : volumeSummary(v, view)), {
      limit: q.page.limit, path: detail ? 'volumes/detail' : 'volumes', query: ctx.query, ctx: view,
      count: withCount(ctx) ? await volume.count(caller, q) : undefined,
    }),
  };
}

export function volumeHandlers(deps?: VolumeHandlerDeps): Handlers {
  const discovery: Handlers = {
    async listVolumeVersions(ctx) {
      return { status: 300, body: { versions: [volumeVersion(ctx.serviceUrl)] } };
    },
    async showVolumeV3(ctx) {
      return { status: 200, body: { versions: [volumeVersion(ctx.serviceUrl)] } };
    },
  };
  if (!deps) return discovery;
  const { volume, quotas, types, transfers, messages } = deps;

  const volumes = typedHandlers<operations>({
    listVolumes: (ctx) => list(ctx, volume, false),
    listVolumesDetail: (ctx) => list(ctx, volume, true),

    async createVolume(ctx) {
      const v = ctx.body.volume;
      checkVolumeCreate(ctx, v);
      const record = await volume.create(callerOf(ctx), {
        size: v.size,
        name: v.name !== undefined ? v.name : v.display_name,
        description: v.description !== undefined ? v.description : v.display_description,
        snapshotId: v.snapshot_id,
        sourceVolid: v.source_volid,
        volumeType: v.volume_type,
        availabilityZone: v.availability_zone,
        metadata: v.metadata ?? undefined,
        imageRef: v.imageRef ?? v.image_id,
        backupId: v.backup_id,
        novaImageSnapshot: atLeast(ctx, '3.46'),
      });
      return { status: 202, body: { volume: volumeDetail(record, viewContextOf(ctx), false) } };
    },
    async showVolumeSummary(ctx) {
      // Cinder routes /volumes/summary to its summary action at every version; below 3.12 the
      // action's VersionNotFoundForAPIMethod is a bare HTTPNotFound.
      if (!atLeast(ctx, '3.12')) throw new NotFound('The resource could not be found.');
      const sum = await volume.summary(callerOf(ctx), lenientBool(ctx, 'all_tenants'));
      const summary: Record<string, unknown> = { total_size: sum.size, total_count: sum.count };
      if (atLeast(ctx, '3.36')) summary.metadata = sum.metadata;
      return { status: 200, body: { 'volume-summary': summary } };
    },
    async showVolume(ctx) {
      const record = await volume.show(callerOf(ctx), ctx.params.volume_id);
      return { status: 200, body: { volume: volumeDetail(record, viewContextOf(ctx)) } };
    },
    async updateVolume(ctx) {
      const v = ctx.body.volume;
      checkVolumeUpdate(ctx, v);
      const record = await volume.update(callerOf(ctx), ctx.params.volume_id, {
        name: v.name !== undefined ? v.name : v.display_name,
        description: v.description !== undefined ? v.description : v.display_description,
        metadata: v.metadata,
      });
      return { status: 200, body: { volume: volumeDetail(record, viewContextOf(ctx), false) } };
    },
    async deleteVolume(ctx) {
      const cascade = boolParam(ctx, 'cascade');
      // 3.23: ?force=True (admin) instead of the os-force_delete action.
      const force = atLeast(ctx, '3.23') ? boolParam(ctx, 'force') : false;
      await volume.delete(callerOf(ctx), ctx.params.volume_id, { cascade, force, forceRule: 'volume:force_delete' });
      return { status: 202 };
    },

    async listVolumeExtensions() {
      return { status: 200, body: { extensions: CINDER_EXTENSIONS.map((e) => ({ ...e, links: [] })) } };
    },
    async listResourceFilters(ctx) {
      // From 3.33; below, Cinder has no such method (404).
      if (!atLeast(ctx, '3.33')) throw new NotFound('The resource could not be found.');
      callerOf(ctx);
      const resource = queryString(ctx, 'resource');
      const entries = Object.entries(USER_FILTERS).filter(([r]) => resource === undefined || r === resource);
      return { status: 200, body: { resource_filters: entries.map(([r, filters]) => ({ resource: r, filters })) } };
    },
    async listAvailabilityZones() {
      return { status: 200, body: availabilityZonesView() };
    },
  });

  return {
    ...discovery,
    ...volumes,
    ...volumeActionHandlers(volume, types),
    ...volumeTypeHandlers(types),
    ...transferHandlers(transfers),
    ...messageHandlers(messages),
    ...snapshotHandlers(volume.snapshots),
    ...metadataHandlers(volume),
    ...quotaHandlers(quotas),
  };
}
