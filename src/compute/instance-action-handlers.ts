/**
 * Nova instance action handlers (/servers/{id}/os-instance-actions[/{request_id}]).
 *
 * LIMITATIONS:
 * - one event per action (the compute method that does the work), no conductor or scheduler
 *   events; lock and unlock have none, and an action done within its request (volume attach
 *   and detach, a volume-backed createImage, confirmResize) finishes its event when it succeeds;
 * - events carry no details (2.84 shows null).
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { nextLinks, pageLimit, queryDate } from './compute-links';
import type { InstanceActions } from './instance-actions';
import { instanceActionEvents, instanceActionView } from './instance-action-views';
import { atLeast } from './server-action-table';

export function instanceActionHandlers(actions: InstanceActions): Handlers {
  return typedHandlers<operations>({
    async listInstanceActions(ctx) {
      const mv = ctx.microversion;
      const paged = atLeast(mv, '2.58');
      const limit = paged ? pageLimit(queryString(ctx, 'limit')) : undefined;
      const rows = await actions.list(requireAuth(ctx), ctx.params.server_id, atLeast(mv, '2.21'), {
        limit, marker: paged ? queryString(ctx, 'marker') : undefined,
        changesSince: paged ? queryDate('changes-since', queryString(ctx, 'changes-since')) : undefined,
        changesBefore: atLeast(mv, '2.66') ? queryDate('changes-before', queryString(ctx, 'changes-before')) : undefined,
      });
      const body: Record<string, unknown> = { instanceActions: rows.map((a) => instanceActionView(a, mv)) };
      // Nova names this one `links`, not `instanceActions_links`.
      if (paged && rows.length > 0 && rows.length === limit) {
        body.links = nextLinks(ctx.serviceUrl, `servers/${ctx.params.server_id}/os-instance-actions`, ctx.query, rows[rows.length - 1].request_id);
      }
      return { status: 200, body };
    },

    async showInstanceAction(ctx) {
      const auth = requireAuth(ctx);
      const mv = ctx.microversion;
      const { action, events } = await actions.get(auth, ctx.params.server_id, ctx.params.request_id, atLeast(mv, '2.21'));
      const shown = instanceActionEvents(events, action.project_id, mv, auth.isAdmin);
      return { status: 200, body: { instanceAction: { ...instanceActionView(action, mv), ...(shown ? { events: shown } : {}) } } };
    },
  });
}
