/**
 * Nova v2.1 handlers (keys are the operationIds of openapi/compute.yaml).
 *
 * LIMITATIONS: only what the spec lists; every other Nova operation answers 404 (unknown path).
 */
import type { Handlers } from '../http/context';
import { computeVersion } from './compute-versions';

export function computeHandlers(): Handlers {
  return {
    async listComputeVersions(ctx) {
      return { status: 200, body: { versions: [computeVersion(ctx.serviceUrl)] } };
    },
    async showComputeV21(ctx) {
      return { status: 200, body: { version: computeVersion(ctx.serviceUrl) } };
    },
  };
}
