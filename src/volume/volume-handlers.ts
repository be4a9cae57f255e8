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
 * - list filters: name, status, metadata, bootable, project_id (admin + all_tenants); no
 *   `name~` fuzzy filters, created_at/updated_at comparisons, with_count;
 * - an admin reaches any project's volume by id (Cinder's admin context); lists need all_tenants.
 */
import type { operations } from '../generated/volume';
import type { Handlers, RequestContext } from '../http/context';
import { queryString, typedHandlers } from '../http/context';
import { metadataHandlers } from './metadata-handlers';
import { quotaHandlers } from './quota-handlers';
import { snapshotHandlers } from './snapshot-handlers';
import { parseCinderBool, volumeNotFound } from './volume-faults';
import type { QuotaService } from './volume-quotas';
import { atLeast, boolParam, callerOf, lenientBool, metadataFilter, pageOf, viewContextOf } from './volume-request';
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
  const bootable = queryString(ctx, 'bootable');
  return {
    allTenants: lenientBool(ctx, 'all_tenants'),
    page: pageOf(ctx, VOLUME_SORT_COLUMNS),
    filter: {
      name: queryString(ctx, 'name'),
      status: queryString(ctx, 'status'),
      metadata: metadataFilter(ctx),
      bootable: bootable === undefined ? undefined : parseCinderBool(bootable, 'bootable'),
      projectId: queryString(ctx, 'project_id'),
    },
  };
}

async function list(ctx: RequestContext, volume: VolumeService, detail: boolean) {
  const q = listQuery(ctx);
  const records = await volume.list(callerOf(ctx), q);
  const view = viewContextOf(ctx);
  return {
    status: 200,
    body: collection('volumes', records, (v) => (detail ? volumeDetail(v, view) : volumeSummary(v, view)), {
      limit: q.page.limit, path: detail ? 'volumes/detail' : 'volumes', query: ctx.query, ctx: view,
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
      });
      return { status: 202, body: { volume: volumeDetail(record, viewContextOf(ctx), false) } };
    },
    async showVolumeSummary(ctx) {
      if (!atLeast(ctx, '3.12')) throw volumeNotFound('summary');
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
      await volume.delete(callerOf(ctx), ctx.params.volume_id, { cascade, force });
      return { status: 202 };
    },

    async listVolumeExtensions() {
      return { status: 200, body: { extensions: CINDER_EXTENSIONS.map((e) => ({ ...e, links: [] })) } };
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
