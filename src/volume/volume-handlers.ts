/**
 * Cinder v3 handlers (keys are the operationIds of openapi/volume.yaml).
 *
 * LIMITATIONS: only what the spec lists; every other Cinder operation answers 404 (unknown path).
 */
import type { Handlers } from '../http/context';
import { volumeVersion } from './volume-versions';

export function volumeHandlers(): Handlers {
  return {
    async listVolumeVersions(ctx) {
      return { status: 300, body: { versions: [volumeVersion(ctx.serviceUrl)] } };
    },
    async showVolumeV3(ctx) {
      return { status: 200, body: { versions: [volumeVersion(ctx.serviceUrl)] } };
    },
  };
}
