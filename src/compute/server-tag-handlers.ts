/**
 * Nova server tag handlers (/servers/{id}/tags[/{tag}], 2.26; 404 below it as in Nova).
 *
 * LIMITATIONS: no instance.update notifications (Snapstack has no notification bus).
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/compute';
import { requireAuth, typedHandlers } from '../http/context';
import { NotFound } from '../http/faults';
import type { ServerTags } from './server-tags';

function since226(ctx: RequestContext): void {
  if (!(ctx.microversion?.atLeast('2.26') ?? false)) throw new NotFound('The resource could not be found.');
}

export function serverTagHandlers(tags: ServerTags): Handlers {
  return typedHandlers<operations>({
    async listServerTags(ctx) {
      since226(ctx);
      return { status: 200, body: { tags: await tags.list(requireAuth(ctx), ctx.params.server_id) } };
    },
    async replaceServerTags(ctx) {
      since226(ctx);
      return { status: 200, body: { tags: await tags.replace(requireAuth(ctx), ctx.params.server_id, ctx.body.tags) } };
    },
    async deleteServerTags(ctx) {
      since226(ctx);
      await tags.clear(requireAuth(ctx), ctx.params.server_id);
      return { status: 204 };
    },
    async checkServerTag(ctx) {
      since226(ctx);
      await tags.check(requireAuth(ctx), ctx.params.server_id, ctx.params.tag);
      return { status: 204 };
    },
    async addServerTag(ctx) {
      since226(ctx);
      const { server_id: id, tag } = ctx.params;
      if (!(await tags.add(requireAuth(ctx), id, tag))) return { status: 204 };
      return { status: 201, headers: { Location: `${ctx.serviceUrl}/v2.1/servers/${id}/tags/${encodeURIComponent(tag)}` } };
    },
    async deleteServerTag(ctx) {
      since226(ctx);
      await tags.delete(requireAuth(ctx), ctx.params.server_id, ctx.params.tag);
      return { status: 204 };
    },
  });
}
