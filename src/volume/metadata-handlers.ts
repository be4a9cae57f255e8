/**
 * Cinder's metadata endpoints for volumes and snapshots (operationIds of openapi/volume.yaml).
 *
 * LIMITATIONS: no admin metadata, no volume image metadata (os-show_image_metadata...).
 */
import type { Handlers } from '../http/context';
import { callerOf } from './volume-request';
import type { MetadataOps } from './volume-metadata';
import type { VolumeService } from './volume-service';

function forResource(ops: MetadataOps, idParam: string, names: { list: string; merge: string; replace: string; show: string; update: string; remove: string }): Handlers {
  return {
    async [names.list](ctx) {
      return { status: 200, body: { metadata: await ops.list(callerOf(ctx), ctx.params[idParam]) } };
    },
    async [names.merge](ctx) {
      return { status: 200, body: { metadata: await ops.merge(callerOf(ctx), ctx.params[idParam], ctx.body.metadata) } };
    },
    async [names.replace](ctx) {
      return { status: 200, body: { metadata: await ops.replace(callerOf(ctx), ctx.params[idParam], ctx.body.metadata) } };
    },
    async [names.show](ctx) {
      return { status: 200, body: { meta: await ops.show(callerOf(ctx), ctx.params[idParam], ctx.params.key) } };
    },
    async [names.update](ctx) {
      return { status: 200, body: { meta: await ops.setItem(callerOf(ctx), ctx.params[idParam], ctx.params.key, ctx.body.meta) } };
    },
    async [names.remove](ctx) {
      await ops.deleteItem(callerOf(ctx), ctx.params[idParam], ctx.params.key);
      return { status: 200 };
    },
  };
}

export function metadataHandlers(volume: VolumeService): Handlers {
  return {
    ...forResource(volume.metadata, 'volume_id', {
      list: 'listVolumeMetadata', merge: 'mergeVolumeMetadata', replace: 'replaceVolumeMetadata',
      show: 'showVolumeMetadataItem', update: 'updateVolumeMetadataItem', remove: 'deleteVolumeMetadataItem',
    }),
    ...forResource(volume.snapshots.metadata, 'snapshot_id', {
      list: 'listSnapshotMetadata', merge: 'mergeSnapshotMetadata', replace: 'replaceSnapshotMetadata',
      show: 'showSnapshotMetadataItem', update: 'updateSnapshotMetadataItem', remove: 'deleteSnapshotMetadataItem',
    }),
  };
}
