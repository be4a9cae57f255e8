/**
 * Nova server handlers: list, detail, show, create, update, delete.
 *
 * LIMITATIONS:
 * - multiple create (min_count/max_count) counts against Nova's default instances quota (10
 *   per project) only when more than one server is asked for; display names stay as given,
 *   hostnames get the `-<n>` suffix (as Nova since it dropped multi_instance_display_name_template);
 * - networks are not checked against Neutron: a list or "auto" gives the container Docker's
 *   bridge network (shown as network "private"), "none" no network;
 * - scheduler hints: only `group` (a server group: its policy decides whether the one host takes
 *   the server, else ERROR with Nova's "No valid host" fault);
 * - key_name must name one of the caller's key pairs; nothing is injected (no metadata service);
 * - user_data, personality, config_drive, security_groups, other scheduler hints and
 *   host/hypervisor_hostname are accepted and ignored;
 * - list filters: name (regex), status, image, flavor, changes-since, ip, tags, tags-any, not-tags,
 *   not-tags-any (2.26), all_tenants and
 *   project_id (admin); deleted servers are never listed (changes-since does not show them);
 * - no locking (lock/unlock);
 * - an image's block_device_mapping is expanded only when bdm_v2 is true (no legacy v1
 *   mappings, no `mappings` property); volume types are not carried to the new volumes.
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { nextLinks } from './compute-links';
import type { SchedulerHints, ServerService } from './server-service';
import { createdServerView, serverDetail, serverSummary, ServerViewOptions } from './server-views';

/** parameter_types.boolean: JSON booleans and Nova's accepted strings. */
function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(v.toLowerCase()));
}

export function viewOptions(ctx: RequestContext, single = false): ServerViewOptions {
  return { serviceUrl: ctx.serviceUrl, mv: ctx.microversion, isAdmin: requireAuth(ctx).isAdmin, single };
}

export function serverHandlers(servers: ServerService): Handlers {
  const list = async (ctx: RequestContext, detail: boolean) => {
    const { servers: rows, more } = await servers.list(requireAuth(ctx), {
      name: queryString(ctx, 'name'), status: queryString(ctx, 'status'), image: queryString(ctx, 'image'),
      flavor: queryString(ctx, 'flavor'), changesSince: queryString(ctx, 'changes-since') ?? queryString(ctx, 'changes_since'),
      ip: queryString(ctx, 'ip'), allTenants: queryString(ctx, 'all_tenants'),
      projectId: queryString(ctx, 'project_id') ?? queryString(ctx, 'tenant_id'),
      limit: queryString(ctx, 'limit'), marker: queryString(ctx, 'marker'), reservationId: queryString(ctx, 'reservation_id'),
      ...(ctx.microversion?.atLeast('2.26') ? {
        tags: queryString(ctx, 'tags'), tagsAny: queryString(ctx, 'tags-any'), notTags: queryString(ctx, 'not-tags'), notTagsAny: queryString(ctx, 'not-tags-any'),
      } : {}),
    }, { volumes: detail });
    const o = viewOptions(ctx);
    const items = rows.map((r) => (detail ? serverDetail(r, r.volume_refs ?? [], o) : serverSummary(r, o)));
    const body: Record<string, unknown> = { servers: items };
    if (more) body.servers_links = nextLinks(ctx.serviceUrl, detail ? 'servers/detail' : 'servers', ctx.query, rows[rows.length - 1].id);
    return { status: 200, body };
  };

  return typedHandlers<operations>({
    listServers: (ctx) => list(ctx, false),
    listServersDetail: (ctx) => list(ctx, true),

    async showServer(ctx) {
      const s = await servers.get(requireAuth(ctx), ctx.params.server_id);
      return { status: 200, body: { server: serverDetail(s, await servers.blockDevices(s.id), viewOptions(ctx, true)) } };
    },

    async createServer(ctx) {
      const hints = (ctx.body['os:scheduler_hints'] ?? ctx.body['OS-SCH-HNT:scheduler_hints'] ?? {}) as SchedulerHints;
      const { server, plan, reservationId } = await servers.create(requireAuth(ctx), ctx.body.server, ctx.microversion, ctx.requestId, hints);
      if (isTrue(ctx.body.server.return_reservation_id)) return { status: 202, body: { reservation_id: reservationId } };
      const view = createdServerView(server, plan.adminPass, plan.securityGroups, viewOptions(ctx));
      return { status: 202, headers: { Location: view.links[0].href }, body: { server: view } };
    },

    async updateServer(ctx) {
      const s = await servers.update(requireAuth(ctx), ctx.params.server_id, ctx.body.server ?? {}, ctx.microversion);
      return { status: 200, body: { server: serverDetail(s, await servers.blockDevices(s.id), { ...viewOptions(ctx, true), update: true }) } };
    },

    async deleteServer(ctx) {
      await servers.delete(requireAuth(ctx), ctx.params.server_id, ctx.requestId);
      return { status: 204 };
    },
  });
}
