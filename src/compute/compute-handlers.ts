/**
 * Nova v2.1 handlers (keys are the operationIds of openapi/compute.yaml), gathered from the
 * per-resource handler files.
 *
 * LIMITATIONS: only what the spec lists; an operation in the spec without a handler answers
 * 501 notImplemented, any other path 404. No security groups,
 * quota sets, hypervisors, migrations, console or os-interface APIs; no
 * networks (server addresses are empty).
 */
import type { Handlers } from '../http/context';
import type { Compute } from './compute-module';
import { computeVersion, computeVersionList } from './compute-versions';
import { flavorHandlers } from './flavor-handlers';
import { instanceActionHandlers } from './instance-action-handlers';
import { keypairHandlers } from './keypair-handlers';
import { serverHandlers } from './server-handlers';
import { serverMetadataHandlers } from './server-metadata-handlers';
import { serverTagHandlers } from './server-tag-handlers';
import { serverGroupHandlers } from './server-group-handlers';
import { limitHandlers } from './limit-handlers';
import { serverActionHandlers } from './server-action-handlers';
import { attachmentHandlers } from './attachment-handlers';
import { imageProxyHandlers } from './image-proxy-handlers';
import { serverInfoHandlers } from './server-info-handlers';

export function computeHandlers(compute?: Compute): Handlers {
  const versions: Handlers = {
    async listComputeVersions(ctx) {
      return { status: 200, body: { versions: computeVersionList(ctx.serviceUrl) } };
    },
    async showComputeV21(ctx) {
      return { status: 200, body: { version: computeVersion(ctx.serviceUrl) } };
    },
  };
  if (!compute) return versions;
  return {
    ...versions,
    ...flavorHandlers(compute.flavors),
    ...serverHandlers(compute.servers),
    ...serverMetadataHandlers(compute.servers),
    ...serverActionHandlers(compute),
    ...attachmentHandlers(compute),
    ...imageProxyHandlers(compute.images),
    ...serverInfoHandlers(compute.servers),
    ...keypairHandlers(compute.keypairs),
    ...serverTagHandlers(compute.tags),
    ...instanceActionHandlers(compute.instanceActions),
    ...serverGroupHandlers(compute.groups),
    ...limitHandlers(compute.servers, compute.groups),
  };
}
