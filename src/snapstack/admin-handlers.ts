/**
 * Snapstack's control API for tests (keys are operationIds of openapi/snapstack.yaml): reset,
 * fault injection and pace rules (admin only: src/http/policy.ts), and Prometheus metrics.
 *
 * LIMITATIONS: reset does not restore a seeded user's changed password or enabled flag. Fault
 * rules live in the database: every replica applies them, a restart keeps them, a reset clears them.
 */
import { Readable } from 'stream';
import type { Handlers } from '../http/context';
import type { operations } from '../generated/snapstack';
import { typedHandlers } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import { checkRule, type FaultRuleInput, type FaultRules } from '../faults/fault-rules';
import type { InstanceReset } from './instance-reset';
import type { SnapstackMetrics } from '../metrics/metrics';

export function adminHandlers(deps: { reset: InstanceReset; faults: FaultRules; metrics: SnapstackMetrics }): Handlers {
  const { faults } = deps;
  const ruleNotFound = (id: string) => new NotFound(`Fault rule ${id} could not be found.`);
  return typedHandlers<operations>({
    async getMetrics() {
      const { contentType, text } = await deps.metrics.render();
      return { status: 200, headers: { 'Content-Type': contentType }, stream: Readable.from([text]) };
    },
    async resetInstance() {
      return { status: 200, body: { reset: await deps.reset.reset() } };
    },
    async listFaultRules() {
      return { status: 200, body: { faults: await faults.list() } };
    },
    async createFaultRule(ctx) {
      const input = (ctx.body as { fault: FaultRuleInput }).fault;
      const problem = checkRule(input);
      if (problem) throw new BadRequest(`Invalid fault rule: ${problem}.`);
      return { status: 201, body: { fault: await faults.add(input) } };
    },
    async showFaultRule(ctx) {
      const rule = await faults.get(ctx.params.rule_id);
      if (!rule) throw ruleNotFound(ctx.params.rule_id);
      return { status: 200, body: { fault: rule } };
    },
    async deleteFaultRule(ctx) {
      if (!(await faults.remove(ctx.params.rule_id))) throw ruleNotFound(ctx.params.rule_id);
      return { status: 204 };
    },
    async clearFaultRules() {
      await faults.clear();
      return { status: 204 };
    },
  });
}
