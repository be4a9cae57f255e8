/**
 * Nova's image proxy (GET/DELETE /images, /images/detail, /images/{id}): Glance images shown
 * the Nova way (SAVING/ACTIVE, minDisk, minRam, metadata, progress). Like Nova, the proxy is
 * gone from microversion 2.36 (404).
 *
 * LIMITATIONS:
 * - filters: name, status, minDisk, minRam, server, changes-since, type (image_type); limit and marker; no image
 *   metadata sub-resource (/images/{id}/metadata).
 */
import type { Handlers, RequestContext } from '../http/context';
import { queryString, requireAuth } from '../http/context';
import { NotFound } from '../http/faults';
import type { ImageApi, ImageRecord } from '../image/image-api';
import { isoSecondsZ } from '../shared/time-format';
import { links, nextLinks } from './compute-links';

const STATUS: Record<string, string> = { active: 'ACTIVE', queued: 'SAVING', saving: 'SAVING', deleted: 'DELETED', pending_delete: 'DELETED', killed: 'ERROR' };
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };

function checkVersion(ctx: RequestContext): void {
  if (ctx.microversion?.atLeast('2.36')) throw new NotFound('The resource could not be found.');
}

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
  const list = async (ctx: RequestContext, detail: boolean) => {
    checkVersion(ctx);
    const limitRaw = queryString(ctx, 'limit');
    const page = await images.listImages(requireAuth(ctx), {
      name: queryString(ctx, 'name'), marker: queryString(ctx, 'marker'), limit: limitRaw && /^\d+$/.test(limitRaw) ? Number(limitRaw) : 1000,
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
  return {
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
    async deleteImageProxy(ctx) {
      checkVersion(ctx);
      await images.deleteImage(requireAuth(ctx), ctx.params.image_id).catch((err) => {
        if (err instanceof NotFound) throw new NotFound('Image not found.');
        throw err;
      });
      return { status: 204 };
    },
  };
}
