/**
 * Cinder's limits and os-quota-sets (operationIds of openapi/volume.yaml).
 *
 * LIMITATIONS:
 * - no rate limits (`rate` is empty), no quota classes, no nested (hierarchical) quotas;
 * - `reserved` is always 0: usage is counted from existing volumes and snapshots;
 * - backups and groups quotas are reported but nothing consumes them;
 * - the target project of os-quota-sets is not checked against Keystone.
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/volume';
import { queryString, typedHandlers } from '../http/context';
import type { QuotaService } from './volume-quotas';
import { atLeast, callerOf, lenientBool } from './volume-request';
import { limitsView } from './volume-views';

export function quotaHandlers(quotas: QuotaService): Handlers {
  return typedHandlers<operations>({
    async showLimits(ctx) {
      const caller = callerOf(ctx);
      // From 3.39 an admin may name the project (project_id, or the older tenant_id).
      const named = atLeast(ctx, '3.39') && caller.isAdmin ? queryString(ctx, 'project_id') ?? queryString(ctx, 'tenant_id') : undefined;
      return { status: 200, body: limitsView(await quotas.absoluteLimits(named ?? caller.projectId)) };
    },
    async showQuotaSet(ctx) {
      const set = await quotas.show(callerOf(ctx), ctx.params.target_project_id, lenientBool(ctx, 'usage'));
      return { status: 200, body: { quota_set: set } };
    },
    async showQuotaSetDefaults(ctx) {
      return { status: 200, body: { quota_set: quotas.defaultsFor(callerOf(ctx), ctx.params.target_project_id) } };
    },
    async updateQuotaSet(ctx) {
      const set = await quotas.update(callerOf(ctx), ctx.params.target_project_id, ctx.body.quota_set);
      return { status: 200, body: { quota_set: set } };
    },
    async deleteQuotaSet(ctx) {
      await quotas.reset(callerOf(ctx), ctx.params.target_project_id);
      return { status: 200 };
    },
  });
}
