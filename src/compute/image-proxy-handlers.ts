/**
 * Nova's image proxy (GET/DELETE /images, /images/detail, /images/{id}): Glance images shown
 * the Nova way (SAVING/ACTIVE, minDisk, minRam, metadata, progress). Like Nova, the proxy is
 * gone from microversion 2.36 (404).
 *
 * LIMITATIONS:
 * - filters: name, status, minDisk, minRam, server, changes-since, type (image_type); limit and marker;
 * - /images/{id}/metadata edits Glance's extra properties with Glance's own checks (reserved
 *   and read-only names are refused as Glance refuses them); no metadata quota.
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import type { ImageApi, ImageRecord } from '../image/image-api';
import { isoSecondsZ } from '../shared/time-format';
import { links, MAX_LIMIT, nextLinks, nonNegativeQuery } from './compute-links';

const STATUS: Record<string, string> = { active: 'ACTIVE', queued: 'SAVING', saving: 'SAVING', deleted: 'DELETED', pending_delete: 'DELETED', killed: 'ERROR' };
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };

function checkVersion(ctx: RequestContext, gone = '2.36'): void {
  if (ctx.microversion?.atLeast(gone)) throw new NotFound('The resource could not be found.');
}

const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

export function proxiedImageView(i: ImageRecord, ctx: RequestContext, detail: boolean) {
  const base = {
    id: i.id,
    name: i.name,
    links: [
      ...links(ctx.serviceUrl, 'images', i.id),
      { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${ctx.publicUrl}/image/images/${i.id}` },
    ],
  };
  if (!detail) return base;
  const status = STATUS[i.status] ?? 'UNKNOWN';
  const instance = i.properties.instance_uuid;
  return {
    ...base,
    minRam: i.minRam,
    minDisk: i.minDisk,
    metadata: { ...i.properties },
    created: isoSecondsZ(i.createdAt),
    updated: isoSecondsZ(i.updatedAt),
    status,
    progress: PROGRESS[i.status] ?? 0,
    'OS-EXT-IMG-SIZE:size': i.size,
    ...(instance ? { server: { id: instance, links: links(ctx.serviceUrl, 'servers', instance) } } : {}),
  };
}

export function imageProxyHandlers(images: ImageApi): Handlers {
  const metadataImage = (ctx: RequestContext) => {
    checkVersion(ctx, '2.39');
    return images.getImage(requireAuth(ctx), ctx.params.image_id).catch((err) => {
      if (err instanceof NotFound) throw new NotFound('Image not found.');
      throw err;
    });
  };
  const patch = (ctx: RequestContext, imageId: string, ops: unknown[]) => images.updateImage(requireAuth(ctx), imageId, PATCH_TYPE, ops);
  const list = async (ctx: RequestContext, detail: boolean) => {
    checkVersion(ctx);
    const page = await images.listImages(requireAuth(ctx), {
      name: queryString(ctx, 'name'), marker: queryString(ctx, 'marker'), limit: nonNegativeQuery('limit', queryString(ctx, 'limit')) ?? MAX_LIMIT,
    });
    const status = queryString(ctx, 'status')?.toUpperCase();
    const minDisk = Number(queryString(ctx, 'minDisk') ?? 0);
    const minRam = Number(queryString(ctx, 'minRam') ?? 0);
    const server = queryString(ctx, 'server');
    const since = queryString(ctx, 'changes-since');
    // Nova's `type` filter reads the image_type property (snapshot, backup).
    const type = queryString(ctx, 'type');
    const rows = page.images.filter((i) => (!status || STATUS[i.status] === status) && i.minDisk >= minDisk && i.minRam >= minRam
      && (!server || i.properties.instance_uuid === server.split('/').pop()) && (!since || i.updatedAt >= new Date(since))
      && (!type || i.properties.image_type === type));
    const body: Record<string, unknown> = { images: rows.map((i) => proxiedImageView(i, ctx, detail)) };
    if (page.nextMarker) body.images_links = nextLinks(ctx.serviceUrl, detail ? 'images/detail' : 'images', ctx.query, page.nextMarker);
    return { status: 200, body };
  };
  return typedHandlers<operations>({
    listImagesProxy: (ctx) => list(ctx, false),
    listImagesDetailProxy: (ctx) => list(ctx, true),
    async showImageProxy(ctx) {
      checkVersion(ctx);
      const image = await images.getImage(requireAuth(ctx), ctx.params.image_id).catch((err) => {
        if (err instanceof NotFound) throw new NotFound('Image not found.');
        throw err;
      });
      return { status: 200, body: { image: proxiedImageView(image, ctx, true) } };
    },
    async listImageMetadataProxy(ctx) {
      return { status: 200, body: { metadata: (await metadataImage(ctx)).properties } };
    },
    async replaceImageMetadataProxy(ctx) {
      const image = await metadataImage(ctx);
      const wanted: Record<string, string> = ctx.body.metadata;
      const ops = [
        // Glance's reserved names (os_glance_*, Snapstack's own) are not the user's to drop.
        ...Object.keys(image.properties).filter((k) => !(k in wanted) && !/^(os_glance|snapstack_)/.test(k)).map((k) => ({ op: 'remove', path: `/${k}` })),
        ...Object.entries(wanted).map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v })),
      ];
      return { status: 200, body: { metadata: (await patch(ctx, image.id, ops)).properties } };
    },
    async updateImageMetadataProxy(ctx) {
      const image = await metadataImage(ctx);
      const ops = Object.entries(ctx.body.metadata as Record<string, string>).map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v }));
      return { status: 200, body: { metadata: (await patch(ctx, image.id, ops)).properties } };
    },
    async showImageMetadataItemProxy(ctx) {
      const image = await metadataImage(ctx);
      const key = ctx.params.key;
      if (!(key in image.properties)) throw new NotFound('Image not found.');
      return { status: 200, body: { meta: { [key]: image.properties[key] } } };
    },
    async setImageMetadataItemProxy(ctx) {
      const image = await metadataImage(ctx);
      const key = ctx.params.key;
      const meta: Record<string, string> = ctx.body.meta;
      if (!(key in meta)) throw new BadRequest('Request body and URI mismatch');
      if (Object.keys(meta).length > 1) throw new BadRequest('Request body contains too many items');
      const updated = await patch(ctx, image.id, [{ op: 'add', path: `/${key}`, value: meta[key] }]);
      return { status: 200, body: { meta: { [key]: updated.properties[key] } } };
    },
    async deleteImageMetadataItemProxy(ctx) {
      const image = await metadataImage(ctx);
      const key = ctx.params.key;
      if (!(key in image.properties)) throw new NotFound('Image not found.');
      await patch(ctx, image.id, [{ op: 'remove', path: `/${key}` }]);
      return { status: 204 };
    },
    async deleteImageProxy(ctx) {
      checkVersion(ctx);
      await images.deleteImage(requireAuth(ctx), ctx.params.image_id).catch((err) => {
        if (err instanceof NotFound) throw new NotFound('Image not found.');
        throw err;
      });
      return { status: 204 };
    },
  });
}
