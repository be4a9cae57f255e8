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
 * - user_data, personality, config_drive, security_groups and other scheduler hints are accepted
 *   and ignored; host/hypervisor_hostname (2.74) must name the one compute host;
 *   trusted_image_certificates (2.63) are kept and shown, never verified;
 * - list filters: name (regex), status, image, flavor, changes-since, changes-before (2.66),
 *   locked (2.73), ip, ip6 (no server has one), tags, tags-any, not-tags, not-tags-any (2.26),
 *   reservation_id, user_id, vm_state, task_state, key_name, availability_zone, hostname (an
 *   admin's, a non-admin's from 2.83), all_tenants and project_id (admin); Nova's other filters
 *   are accepted and ignored; deleted servers are never listed (changes-since does not show
 *   them). docs/microversions.md has what each microversion changes;
 * - no locking (lock/unlock);
 * - an image's block_device_mapping is expanded only when bdm_v2 is true (no legacy v1
 *   mappings, no `mappings` property); volume types are not carried to the new volumes.
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/compute';
import { queryList, queryString, requireAuth, typedHandlers } from '../http/context';
import { nextLinks } from './compute-links';
import { bool } from './server-bdm';
import { checkListQuery } from './request-versions';
import { atLeast } from './server-action-table';
import type { SchedulerHints, ServerService } from './server-service';
import type { ServerViewColumns } from './server-store';
import { createdServerView, detailColumns, serverDetail, serverSummary, ServerViewOptions } from './server-views';

export function viewOptions(ctx: RequestContext, single = false): ServerViewOptions {
  return { serviceUrl: ctx.serviceUrl, mv: ctx.microversion, isAdmin: requireAuth(ctx).isAdmin, single };
}

/** Nova's filters an admin may use at any version and a non-admin from 2.83 (hostname from 2.90); others drop them. */
function moreFilters(ctx: RequestContext) {
  const admin = requireAuth(ctx).isAdmin;
  const pick = <K extends string>(names: K[], since: string) => {
    const out: Partial<Record<K, string>> = {};
    if (!admin && !atLeast(ctx.microversion, since)) return out;
    for (const n of names) {
      const v = queryString(ctx, n);
      if (v !== undefined) out[n] = v;
    }
    return out;
  };
  return {
    exact: pick(['user_id', 'vm_state', 'task_state'], '2.83'),
    regex: { ...pick(['key_name', 'availability_zone'], '2.83'), ...pick(['hostname'], '2.90') },
  };
}

export function serverHandlers(servers: ServerService): Handlers {
  /** One page of the caller's servers, read as the view of `columns` reads them. */
  const page = <V extends ServerViewColumns>(ctx: RequestContext, columns: V) => {
    checkListQuery(ctx.query, ctx.microversion);
    return servers.list(requireAuth(ctx), {
      name: queryString(ctx, 'name'), status: queryString(ctx, 'status'), image: queryString(ctx, 'image'),
      flavor: queryString(ctx, 'flavor'), changesSince: queryString(ctx, 'changes-since') ?? queryString(ctx, 'changes_since'),
      ip: queryString(ctx, 'ip'), allTenants: queryString(ctx, 'all_tenants'),
      // ip6 from 2.5 for everyone (an admin's before), changes-before from 2.66, locked from 2.73.
      ip6: atLeast(ctx.microversion, '2.5') || requireAuth(ctx).isAdmin ? queryString(ctx, 'ip6') : undefined,
      changesBefore: atLeast(ctx.microversion, '2.66') ? queryString(ctx, 'changes-before') : undefined,
      locked: atLeast(ctx.microversion, '2.73') ? queryString(ctx, 'locked') : undefined,
      ...moreFilters(ctx),
      projectId: queryString(ctx, 'project_id') ?? queryString(ctx, 'tenant_id'),
      deleted: requireAuth(ctx).isAdmin ? queryString(ctx, 'deleted') : undefined,
      sortKeys: queryList(ctx, 'sort_key'), sortDirs: queryList(ctx, 'sort_dir'),
      limit: queryString(ctx, 'limit'), marker: queryString(ctx, 'marker'), reservationId: queryString(ctx, 'reservation_id'),
      ...(ctx.microversion?.atLeast('2.26') ? {
        tags: queryString(ctx, 'tags'), tagsAny: queryString(ctx, 'tags-any'), notTags: queryString(ctx, 'not-tags'), notTagsAny: queryString(ctx, 'not-tags-any'),
      } : {}),
    }, columns, ctx.microversion);
  };
  const reply = (ctx: RequestContext, path: string, items: unknown[], more: boolean, lastId: string | undefined) => {
    const body: Record<string, unknown> = { servers: items };
    if (more && lastId !== undefined) body.servers_links = nextLinks(ctx.serviceUrl, path, ctx.query, lastId);
    return { status: 200 as const, body };
  };

  return typedHandlers<operations>({
    async listServers(ctx) {
      const o = viewOptions(ctx);
      const { servers: rows, more } = await page(ctx, { detail: false });
      return reply(ctx, 'servers', rows.map((r) => serverSummary(r, o)), more, rows.at(-1)?.id);
    },

    async listServersDetail(ctx) {
      const o = viewOptions(ctx);
      const { servers: rows, more } = await page(ctx, detailColumns(o));
      return reply(ctx, 'servers/detail', rows.map((r) => serverDetail(r, r.volume_refs ?? [], o)), more, rows.at(-1)?.id);
    },

    async showServer(ctx) {
      // One named statement of the view's columns: a polling client's every look (ten boots at once poll side by side).
      const o = viewOptions(ctx, true);
      const s = await servers.show(requireAuth(ctx), ctx.params.server_id, detailColumns(o));
      return { status: 200, body: { server: serverDetail(s, s.volume_refs ?? [], o) } };
    },

    async createServer(ctx) {
      const hints = (ctx.body['os:scheduler_hints'] ?? ctx.body['OS-SCH-HNT:scheduler_hints'] ?? {}) as SchedulerHints;
      const { server, plan, reservationId } = await servers.create(requireAuth(ctx), ctx.body.server, ctx.microversion, ctx.requestId, hints);
      if (bool(ctx.body.server.return_reservation_id)) return { status: 202, body: { reservation_id: reservationId } };
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
