/**
 * Glance v2 handlers (keys are the operationIds of openapi/image.yaml).
 *
 * LIMITATIONS: only what the spec lists; every other Glance operation answers 404 (unknown path).
 */
import type { Handlers } from '../http/context';

const GLANCE_VERSIONS = ['2.17', '2.16', '2.15', '2.14', '2.13', '2.12', '2.11', '2.10', '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'];

export function imageVersions(serviceUrl: string) {
  return GLANCE_VERSIONS.map((v, i) => ({
    id: `v${v}`,
    status: i === 0 ? 'CURRENT' : 'SUPPORTED',
    links: [{ rel: 'self', href: `${serviceUrl}/v2/` }],
  }));
}

export function imageHandlers(): Handlers {
  return {
    async listImageVersionsRoot(ctx) {
      return { status: 300, body: { versions: imageVersions(ctx.serviceUrl) } };
    },
    async listImageVersions(ctx) {
      return { status: 200, body: { versions: imageVersions(ctx.serviceUrl) } };
    },
  };
}
