/**
 * Nova's limits (GET /limits): the absolute limits are Nova's default quotas and the totals what
 * the project uses; no rate limits (an empty list, as Nova since Newton).
 *
 * LIMITATIONS:
 * - the limits are fixed at Nova's defaults (no os-quota-sets for compute); Snapstack enforces
 *   key pairs, metadata items, server groups and their members, and instances only for a
 *   multiple create; cores and RAM are reported, not enforced.
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import type { Microversion } from '../http/microversion';
import { KEYPAIR_QUOTA } from './keypair-service';
import { atLeast } from './server-action-table';
import { SERVER_GROUP_MEMBERS_QUOTA, SERVER_GROUPS_QUOTA, type ServerGroups } from './server-groups';
import { INSTANCES_QUOTA, METADATA_ITEMS, type ServerService } from './server-service';

/** Nova's other default quotas (nova/conf/quota.py). */
const DEFAULTS = { cores: 20, ram: 51200, injectedFiles: 5, injectedFileBytes: 10240, floatingIps: 10, securityGroups: 10, securityGroupRules: 20 };

interface Usage { instances: number; cores: number; ram: number; serverGroups: number }

/** nova/api/openstack/compute/views/limits.py with the limits each microversion filters out (2.36 network, 2.39 image meta, 2.57 personality). */
export function absoluteLimits(u: Usage, mv: Microversion | null): Record<string, number> {
  const limits: Record<string, number> = {
    maxTotalRAMSize: DEFAULTS.ram, maxTotalInstances: INSTANCES_QUOTA, maxTotalCores: DEFAULTS.cores, maxTotalKeypairs: KEYPAIR_QUOTA,
    maxServerMeta: METADATA_ITEMS, maxServerGroups: SERVER_GROUPS_QUOTA, maxServerGroupMembers: SERVER_GROUP_MEMBERS_QUOTA,
    totalRAMUsed: u.ram, totalCoresUsed: u.cores, totalInstancesUsed: u.instances, totalServerGroupsUsed: u.serverGroups,
  };
  if (!atLeast(mv, '2.36')) {
    Object.assign(limits, {
      maxTotalFloatingIps: DEFAULTS.floatingIps, maxSecurityGroups: DEFAULTS.securityGroups, maxSecurityGroupRules: DEFAULTS.securityGroupRules,
      totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0,
    });
  }
  if (!atLeast(mv, '2.39')) limits.maxImageMeta = METADATA_ITEMS;
  if (!atLeast(mv, '2.57')) Object.assign(limits, { maxPersonality: DEFAULTS.injectedFiles, maxPersonalitySize: DEFAULTS.injectedFileBytes });
  return limits;
}

export function limitHandlers(servers: ServerService, groups: ServerGroups): Handlers {
  return typedHandlers<operations>({
    async showComputeLimits(ctx) {
      const auth = requireAuth(ctx);
      // os_compute_api:limits:other_project: an admin may ask for another project's usage.
      const projectId = (auth.isAdmin && queryString(ctx, 'tenant_id')) || auth.projectId!;
      const [usage, serverGroups] = await Promise.all([servers.usage(projectId), groups.countInProject(projectId)]);
      return { status: 200, body: { limits: { rate: [], absolute: absoluteLimits({ ...usage, serverGroups }, ctx.microversion) } } };
    },
  });
}
