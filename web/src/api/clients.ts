import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths as ComputePaths } from '../../../src/generated/compute';
import type { paths as VolumePaths } from '../../../src/generated/volume';
import type { paths as ImagePaths } from '../../../src/generated/image';
import type { paths as SnapstackPaths } from '../../../src/generated/snapstack';
import type { Session } from './session';

export { ApiError, ok, serviceMessage } from './errors';

/** Microversions the dashboard is written against (flavor embedded in servers; snapshot revert). */
export const COMPUTE_VERSION = 'compute 2.79';
export const VOLUME_VERSION = 'volume 3.60';

export interface Clients {
  compute: Client<ComputePaths>;
  volume: Client<VolumePaths>;
  image: Client<ImagePaths>;
  snapstack: Client<SnapstackPaths>;
  projectId: string;
  token: string;
}

/** Same-origin clients for each service, from the token's catalog, with the token on every call. */
export function createClients(session: Session, onExpired: () => void): Clients {
  const auth = (version?: string): Middleware => ({
    onRequest({ request }) {
      request.headers.set('X-Auth-Token', session.token);
      if (version) request.headers.set('OpenStack-API-Version', version);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onExpired();
      return response;
    },
  });
  const root = (type: string, fallback: string, strip: RegExp) => (session.endpoints[type] ?? fallback).replace(strip, '');
  const compute = createClient<ComputePaths>({ baseUrl: root('compute', '/compute/v2.1', /\/v2(\.1)?$/) });
  compute.use(auth(COMPUTE_VERSION));
  const volume = createClient<VolumePaths>({ baseUrl: root('volumev3', `/volume/v3/${session.project.id}`, /\/v3\/[^/]+$/) });
  volume.use(auth(VOLUME_VERSION));
  const image = createClient<ImagePaths>({ baseUrl: root('image', '/image', /\/v2$/) });
  image.use(auth());
  // Snapstack's own API is not in the catalog: DevStack-style path on the same origin.
  const snapstack = createClient<SnapstackPaths>({ baseUrl: '/snapstack' });
  snapstack.use(auth());
  return { compute, volume, image, snapstack, projectId: session.project.id, token: session.token };
}
