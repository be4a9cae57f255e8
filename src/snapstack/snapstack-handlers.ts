/**
 * Snapstack's own API (keys are the operationIds of openapi/snapstack.yaml).
 *
 * LIMITATIONS: none of its own; snapshot archives are served by src/archive/archive-handlers.ts.
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/snapstack';
import { requireAuth, typedHandlers } from '../http/context';
import { NotFound } from '../http/faults';
import type { JobRunner } from '../jobs/jobs-api';

export interface HealthFacts {
  version: string;
  database: string;
  docker: 'docker' | 'none';
  instanceId: string;
}

export function snapstackHandlers(facts: HealthFacts, jobs: JobRunner): Handlers {
  return typedHandlers<operations>({
    async getHealth() {
      return { status: 200, body: { status: 'ok', version: facts.version, database: facts.database, docker: facts.docker, instance_id: facts.instanceId } };
    },
    async showJob(ctx) {
      const auth = requireAuth(ctx);
      const job = await jobs.get(ctx.params.job_id);
      if (!job || (!auth.isAdmin && job.project_id !== auth.projectId)) throw new NotFound(`Job ${ctx.params.job_id} could not be found.`);
      const { payload: _payload, attempts: _attempts, project_id: _p, owner: _owner, claimed_at: _claimed, ...view } = job;
      return { status: 200, body: { job: view } };
    },
  });
}
