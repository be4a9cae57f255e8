/**
 * Cinder's user messages (3.3+; below, the resource is not found): list, show, delete.
 *
 * LIMITATIONS:
 * - recorded for Snapstack's own failures only (a volume, snapshot or extend job that failed,
 *   a failed upload to an image); there is no scheduler, so no "no valid backend" messages;
 * - request_id is a new id, not the id of the request that started the failed operation;
 * - list filters: resource_uuid, event_id; no paging or sorting.
 */
import type { operations } from '../generated/volume';
import type { Handlers, RequestContext } from '../http/context';
import { queryString, typedHandlers } from '../http/context';
import { NotFound } from '../http/faults';
import { isoMicros } from '../shared/time-format';
import { atLeast, callerOf, viewContextOf } from './volume-request';
import type { MessageRow, VolumeMessages } from './volume-messages';
import { links, ViewContext } from './volume-views';

/** cinder/api/v3/views/messages.py */
function messageView(m: MessageRow, ctx: ViewContext): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: m.id, event_id: m.event_id, user_message: m.user_message, message_level: m.message_level,
    created_at: isoMicros(new Date(m.created_at)), guaranteed_until: isoMicros(new Date(m.expires_at)), request_id: m.request_id,
    links: links(ctx, 'messages', m.id),
  };
  if (m.resource_type) body.resource_type = m.resource_type;
  if (m.resource_uuid) body.resource_uuid = m.resource_uuid;
  return body;
}

function from33(ctx: RequestContext): void {
  if (!atLeast(ctx, '3.3')) throw new NotFound('The resource could not be found.');
}

export function messageHandlers(messages: VolumeMessages): Handlers {
  return typedHandlers<operations>({
    async listVolumeMessages(ctx) {
      from33(ctx);
      const rows = await messages.list(callerOf(ctx), { resourceUuid: queryString(ctx, 'resource_uuid'), eventId: queryString(ctx, 'event_id') });
      const view = viewContextOf(ctx);
      return { status: 200, body: { messages: rows.map((m) => messageView(m, view)) } };
    },
    async showVolumeMessage(ctx) {
      from33(ctx);
      return { status: 200, body: { message: messageView(await messages.show(callerOf(ctx), ctx.params.message_id), viewContextOf(ctx)) } };
    },
    async deleteVolumeMessage(ctx) {
      from33(ctx);
      await messages.delete(callerOf(ctx), ctx.params.message_id);
      return { status: 204 };
    },
  });
}
