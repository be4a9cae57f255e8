/**
 * Cinder's metadata endpoints for volumes and snapshots (operationIds of openapi/volume.yaml).
 *
 * LIMITATIONS: no admin metadata, no volume image metadata (os-show_image_metadata...).
 */
import { createHash } from 'crypto';
import type { operations } from '../generated/volume';
import type { BodyOf, Handlers, Reply, RequestContext } from '../http/context';
import { typedHandlers } from '../http/context';
import { atLeast, callerOf } from './volume-request';
import type { MetadataOps } from './volume-metadata';
import type { VolumeService } from './volume-service';

type MetadataBody = BodyOf<operations['mergeVolumeMetadata']>;
type MetaItemBody = BodyOf<operations['updateVolumeMetadataItem']>;

/** Python's json.dumps of a string (ASCII only, \\uXXXX escapes). */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Cinder's metadata Etag (3.15): the MD5 of json.dumps({"metadata": metadata}) as Python writes it. */
function metadataEtag(metadata: Record<string, string>): string {
  const body = `{"metadata": {${Object.entries(metadata).map(([k, v]) => `${pyJsonString(k)}: ${pyJsonString(v)}`).join(', ')}}}`;
  return createHash('md5').update(body).digest('hex');
}

/** If-Match's entity tags (quoted or not, weak or not), or null without the header. */
function ifMatch(ctx: RequestContext): string[] | null {
  const raw = ctx.headers['if-match'];
  if (raw === undefined) return null;
  return (Array.isArray(raw) ? raw.join(',') : raw).split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')).filter(Boolean);
}

/** The six metadata operations of one resource kind, its id in path parameter `idParam`; `etags`: Cinder's 3.15 Etag and If-Match (volumes). */
function forResource(ops: MetadataOps, idParam: string, etags = false) {
  /** A PUT from 3.15 whose If-Match names none of the metadata's current tags: 412 with no body, nothing changed. */
  const preconditionFailed = async (ctx: RequestContext): Promise<boolean> => {
    const tags = etags && atLeast(ctx, '3.15') ? ifMatch(ctx) : null;
    if (!tags || tags.includes('*')) return false;
    return !tags.includes(metadataEtag(await ops.list(callerOf(ctx), ctx.params[idParam])));
  };
  return {
    async list(ctx: RequestContext): Promise<Reply> {
      const metadata = await ops.list(callerOf(ctx), ctx.params[idParam]);
      return { status: 200, body: { metadata }, ...(etags && atLeast(ctx, '3.15') ? { headers: { Etag: metadataEtag(metadata) } } : {}) };
    },
    async merge(ctx: RequestContext<MetadataBody>): Promise<Reply> {
      return { status: 200, body: { metadata: await ops.merge(callerOf(ctx), ctx.params[idParam], ctx.body.metadata) } };
    },
    async replace(ctx: RequestContext<MetadataBody>): Promise<Reply> {
      if (await preconditionFailed(ctx)) return { status: 412 };
      return { status: 200, body: { metadata: await ops.replace(callerOf(ctx), ctx.params[idParam], ctx.body.metadata) } };
    },
    async show(ctx: RequestContext): Promise<Reply> {
      return { status: 200, body: { meta: await ops.show(callerOf(ctx), ctx.params[idParam], ctx.params.key) } };
    },
    async update(ctx: RequestContext<MetaItemBody>): Promise<Reply> {
      if (await preconditionFailed(ctx)) return { status: 412 };
      return { status: 200, body: { meta: await ops.setItem(callerOf(ctx), ctx.params[idParam], ctx.params.key, ctx.body.meta) } };
    },
    async remove(ctx: RequestContext): Promise<Reply> {
      await ops.deleteItem(callerOf(ctx), ctx.params[idParam], ctx.params.key);
      return { status: 200 };
    },
  };
}

export function metadataHandlers(volume: VolumeService): Handlers {
  const v = forResource(volume.metadata, 'volume_id', true);
  const s = forResource(volume.snapshots.metadata, 'snapshot_id');
  return typedHandlers<operations>({
    listVolumeMetadata: v.list, mergeVolumeMetadata: v.merge, replaceVolumeMetadata: v.replace,
    showVolumeMetadataItem: v.show, updateVolumeMetadataItem: v.update, deleteVolumeMetadataItem: v.remove,
    listSnapshotMetadata: s.list, mergeSnapshotMetadata: s.merge, replaceSnapshotMetadata: s.replace,
    showSnapshotMetadataItem: s.show, updateSnapshotMetadataItem: s.update, deleteSnapshotMetadataItem: s.remove,
  });
}
