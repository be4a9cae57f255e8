/**
 * Glance v2 handlers (keys are the operationIds of openapi/image.yaml).
 *
 * LIMITATIONS:
 * - no interoperable import (/v2/images/{id}/import, stage), tasks, stores, locations, cache
 *   (the metadefs catalog is metadef-handlers.ts);
 * - errors are always JSON: real Glance answers HTML to `Accept: *\/*` (glanceclient, curl); Snapstack
 *   answers those `{"error": {message, code, title}}`, which glanceclient reads (src/http/error-mappers.ts);
 * - an image without a local data file but mapped to a Docker image serves `docker save` of it
 *   from GET /file, whose length differs from `size` (Docker's own figure);
 * - a volume-backed instance snapshot (no data) answers GET /file with 204, not an empty 200;
 * - policy is Glance's default simplified: admin sees and changes everything, `public`
 *   visibility needs admin, only the owner changes an image.
 */
import type { operations } from '../generated/image';
import type { Handlers } from '../http/context';
import { requireAuth, typedHandlers } from '../http/context';
import type { ImageService } from './image-service';
import type { ImageMemberService } from './image-member-service';
import { parseImageListQuery } from './image-listing';
import { imageListView, imageView } from './image-views';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from './image-schemas';
import { imageMemberHandlers } from './image-member-handlers';
import { metadefHandlers, type MetadefHandlerDeps } from './metadef-handlers';

const GLANCE_VERSIONS = ['2.17', '2.16', '2.15', '2.14', '2.13', '2.12', '2.11', '2.10', '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'];

export function imageVersions(serviceUrl: string) {
  return GLANCE_VERSIONS.map((v, i) => ({
    id: `v${v}`,
    status: i === 0 ? 'CURRENT' : 'SUPPORTED',
    links: [{ rel: 'self', href: `${serviceUrl}/v2/` }],
  }));
}

export interface ImageHandlerDeps {
  images: ImageService;
  members: ImageMemberService;
  metadefs: MetadefHandlerDeps;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function imageHandlers(deps?: ImageHandlerDeps): Handlers {
  const versions: Handlers = {
    async listImageVersionsRoot(ctx) {
      return { status: 300, body: { versions: imageVersions(ctx.serviceUrl) } };
    },
    async listImageVersions(ctx) {
      return { status: 200, body: { versions: imageVersions(ctx.serviceUrl) } };
    },
  };
  if (!deps) return versions;
  const { images } = deps;
  return {
    ...versions,
    ...imageMemberHandlers(deps.members),
    ...metadefHandlers(deps.metadefs),
    ...typedHandlers<operations>({

      async listImages(ctx) {
        const page = await images.listImages(requireAuth(ctx), parseImageListQuery(ctx.query));
        return { status: 200, body: imageListView(page.images, ctx.query, page.nextMarker) };
      },
      async createImage(ctx) {
        const body = ctx.body && typeof ctx.body === 'object' && !Array.isArray(ctx.body) ? ctx.body : {};
        const image = await images.createFromRequest(requireAuth(ctx), body);
        return { status: 201, headers: { Location: `${ctx.serviceUrl}/v2/images/${image.id}` }, body: imageView(image) };
      },
      async showImage(ctx) {
        return { status: 200, body: imageView(await images.getImage(requireAuth(ctx), ctx.params.image_id)) };
      },
      async updateImage(ctx) {
        const image = await images.updateImage(requireAuth(ctx), ctx.params.image_id, header(ctx.headers['content-type']), ctx.body);
        return { status: 200, body: imageView(image) };
      },
      async deleteImage(ctx) {
        await images.deleteImage(requireAuth(ctx), ctx.params.image_id);
        return { status: 204 };
      },

      async uploadImageData(ctx) {
        await images.upload(requireAuth(ctx), ctx.params.image_id, header(ctx.headers['content-type']), ctx.req);
        return { status: 204 };
      },
      async downloadImageData(ctx) {
        const data = await images.download(requireAuth(ctx), ctx.params.image_id);
        if (!data.stream) return { status: 204 };
        return { status: 200, headers: { 'Content-Type': 'application/octet-stream', ...data.headers }, stream: data.stream };
      },

      async deactivateImage(ctx) {
        await images.setActive(requireAuth(ctx), ctx.params.image_id, false);
        return { status: 204 };
      },
      async reactivateImage(ctx) {
        await images.setActive(requireAuth(ctx), ctx.params.image_id, true);
        return { status: 204 };
      },
      async addImageTag(ctx) {
        await images.addTag(requireAuth(ctx), ctx.params.image_id, ctx.params.tag);
        return { status: 204 };
      },
      async deleteImageTag(ctx) {
        await images.removeTag(requireAuth(ctx), ctx.params.image_id, ctx.params.tag);
        return { status: 204 };
      },

      async showImageSchema() {
        return { status: 200, body: imageSchema() };
      },
      async showImagesSchema() {
        return { status: 200, body: imagesSchema() };
      },
      async showMemberSchema() {
        return { status: 200, body: memberSchema() };
      },
      async showMembersSchema() {
        return { status: 200, body: membersSchema() };
      },
    }),
  };
}
