/**
 * Nova server group handlers (/os-server-groups).
 *
 * LIMITATIONS:
 * - one host: an anti-affinity group takes max_server_per_host members (1 by default), any
 *   further member goes to ERROR with "No valid host"; affinity and the soft policies always fit;
 * - no server group quotas API (10 groups per project, 10 members per group, Nova's defaults).
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { limitedPage } from './compute-links';
import type { Microversion } from '../http/microversion';
import type { GroupPolicy, ServerGroupWithMembers } from './server-group-store';
import type { ServerGroups } from './server-groups';
import { atLeast, invalid, nameArg, objectArgs, pyRepr } from './server-action-table';

const POLICIES_V21 = ['anti-affinity', 'affinity'];
const POLICIES_V215 = [...POLICIES_V21, 'soft-anti-affinity', 'soft-affinity'];

/** The group as Nova shows it: policies and metadata below 2.64, policy and rules from it; project and user from 2.13. */
export function serverGroupView(g: ServerGroupWithMembers, mv: Microversion | null) {
  return {
    id: g.id, name: g.name,
    ...(atLeast(mv, '2.64') ? { policy: g.policy, rules: g.rules } : { policies: [g.policy], metadata: {} }),
    members: g.members,
    ...(atLeast(mv, '2.13') ? { project_id: g.project_id, user_id: g.user_id } : {}),
  };
}

export function serverGroupHandlers(groups: ServerGroups): Handlers {
  return typedHandlers<operations>({
    async listServerGroups(ctx) {
      const rows = await groups.list(requireAuth(ctx), {
        allProjects: queryString(ctx, 'all_projects') !== undefined, ...limitedPage({ limit: queryString(ctx, 'limit'), offset: queryString(ctx, 'offset') }),
      });
      return { status: 200, body: { server_groups: rows.map((g) => serverGroupView(g, ctx.microversion)) } };
    },

    async createServerGroup(ctx) {
      const mv = ctx.microversion;
      const modern = atLeast(mv, '2.64');
      const o = objectArgs('server_group', ctx.body.server_group, modern ? ['name', 'policy', 'rules'] : ['name', 'policies'], modern ? ['name', 'policy'] : ['name', 'policies']);
      const allowed = atLeast(mv, '2.15') ? POLICIES_V215 : POLICIES_V21;
      let policy: unknown;
      let rules: { max_server_per_host?: number } = {};
      if (modern) {
        policy = o.policy;
        if (typeof policy !== 'string' || !allowed.includes(policy)) throw invalid('policy', policy, `${pyRepr(policy)} is not one of ${pyRepr(allowed)}`);
        if (o.rules !== undefined) {
          const r = objectArgs('rules', o.rules, ['max_server_per_host']);
          const max = r.max_server_per_host;
          if (max !== undefined) {
            if (!/^[0-9]+$/.test(String(max)) || typeof max === 'boolean') throw invalid('max_server_per_host', max, `${pyRepr(max)} is not of type 'integer', 'string'`);
            if (Number(max) < 1) throw invalid('max_server_per_host', max, `${pyRepr(max)} is less than the minimum of 1`);
            rules = { max_server_per_host: Number(max) };
          }
        }
      } else {
        const list = o.policies;
        if (!Array.isArray(list) || list.length !== 1) throw invalid('policies', list, `${pyRepr(list)} is ${Array.isArray(list) && list.length > 1 ? 'too long' : 'too short'}`);
        policy = list[0];
        if (typeof policy !== 'string' || !allowed.includes(policy)) throw invalid('0', policy, `${pyRepr(policy)} is not one of ${pyRepr(allowed)}`);
      }
      const group = await groups.create(requireAuth(ctx), { name: nameArg('name', o.name), policy: policy as GroupPolicy, rules });
      return { status: 200, body: { server_group: serverGroupView(group, mv) } };
    },

    async showServerGroup(ctx) {
      return { status: 200, body: { server_group: serverGroupView(await groups.get(requireAuth(ctx), ctx.params.server_group_id), ctx.microversion) } };
    },

    async deleteServerGroup(ctx) {
      await groups.delete(requireAuth(ctx), ctx.params.server_group_id);
      return { status: 204 };
    },
  });
}
