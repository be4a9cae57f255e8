/**
 * Nova server metadata handlers (/servers/{id}/metadata[/{key}]).
 *
 * Lock, state and the 128-item quota are checked as Nova does (server-service.ts changeMetadata).
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { requireAuth, typedHandlers } from '../http/context';
import type { ServerService } from './server-service';

export function serverMetadataHandlers(servers: ServerService): Handlers {
  return typedHandlers<operations>({
    async listServerMetadata(ctx) {
      return { status: 200, body: { metadata: await servers.metadata(requireAuth(ctx), ctx.params.server_id) } };
    },
    async replaceServerMetadata(ctx) {
      return { status: 200, body: { metadata: await servers.setMetadata(requireAuth(ctx), ctx.params.server_id, ctx.body.metadata, true) } };
    },
    async updateServerMetadata(ctx) {
      return { status: 200, body: { metadata: await servers.setMetadata(requireAuth(ctx), ctx.params.server_id, ctx.body.metadata, false) } };
    },
    async showServerMetadataItem(ctx) {
      const value = await servers.metadataItem(requireAuth(ctx), ctx.params.server_id, ctx.params.key);
      return { status: 200, body: { meta: { [ctx.params.key]: value } } };
    },
    async setServerMetadataItem(ctx) {
      const meta = await servers.setMetadataItem(requireAuth(ctx), ctx.params.server_id, ctx.params.key, ctx.body.meta);
      return { status: 200, body: { meta } };
    },
    async deleteServerMetadataItem(ctx) {
      await servers.deleteMetadataItem(requireAuth(ctx), ctx.params.server_id, ctx.params.key);
      return { status: 204 };
    },
  });
}
