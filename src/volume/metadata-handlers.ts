/**
 * Cinder's metadata endpoints for volumes and snapshots (operationIds of openapi/volume.yaml).
 *
 * LIMITATIONS: no admin metadata, no volume image metadata (os-show_image_metadata...).
 */
import type { operations } from '../generated/volume';
import type { BodyOf, Handlers, Reply, RequestContext } from '../http/context';
import { typedHandlers } from '../http/context';
import { callerOf } from './volume-request';
import type { MetadataOps } from './volume-metadata';
import type { VolumeService } from './volume-service';

type MetadataBody = BodyOf<operations['mergeVolumeMetadata']>;
type MetaItemBody = BodyOf<operations['updateVolumeMetadataItem']>;

/** The six metadata operations of one resource kind, its id in path parameter `idParam`. */
function forResource(ops: MetadataOps, idParam: string) {
  return {
    async list(ctx: RequestContext): Promise<Reply> {
      return { status: 200, body: { metadata: await ops.list(callerOf(ctx), ctx.params[idParam]) } };
    },
    async merge(ctx: RequestContext<MetadataBody>): Promise<Reply> {
      return { status: 200, body: { metadata: await ops.merge(callerOf(ctx), ctx.params[idParam], ctx.body.metadata) } };
    },
    async replace(ctx: RequestContext<MetadataBody>): Promise<Reply> {
      return { status: 200, body: { metadata: await ops.replace(callerOf(ctx), ctx.params[idParam], ctx.body.metadata) } };
    },
    async show(ctx: RequestContext): Promise<Reply> {
      return { status: 200, body: { meta: await ops.show(callerOf(ctx), ctx.params[idParam], ctx.params.key) } };
    },
    async update(ctx: RequestContext<MetaItemBody>): Promise<Reply> {
      return { status: 200, body: { meta: await ops.setItem(callerOf(ctx), ctx.params[idParam], ctx.params.key, ctx.body.meta) } };
    },
    async remove(ctx: RequestContext): Promise<Reply> {
      await ops.deleteItem(callerOf(ctx), ctx.params[idParam], ctx.params.key);
      return { status: 200 };
    },
  };
}

export function metadataHandlers(volume: VolumeService): Handlers {
  const v = forResource(volume.metadata, 'volume_id');
  const s = forResource(volume.snapshots.metadata, 'snapshot_id');
  return typedHandlers<operations>({
    listVolumeMetadata: v.list, mergeVolumeMetadata: v.merge, replaceVolumeMetadata: v.replace,
    showVolumeMetadataItem: v.show, updateVolumeMetadataItem: v.update, deleteVolumeMetadataItem: v.remove,
    listSnapshotMetadata: s.list, mergeSnapshotMetadata: s.merge, replaceSnapshotMetadata: s.replace,
    showSnapshotMetadataItem: s.show, updateSnapshotMetadataItem: s.update, deleteSnapshotMetadataItem: s.remove,
  });
}
