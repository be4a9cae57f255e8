import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths as ComputePaths } from '../../../src/generated/compute';
import type { paths as VolumePaths } from '../../../src/generated/volume';
import type { paths as ImagePaths } from '../../../src/generated/image';
import type { paths as SnapstackPaths } from '../../../src/generated/snapstack';
import type { Session } from './session';

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

/** The message a service put in its error body, whatever the service's shape. */
export function serviceMessage(body: unknown, status: number): string {
  const b = body as any;
  if (b && typeof b === 'object') {
    if (b.error?.message) return String(b.error.message);
    if (typeof b.message === 'string') return b.message;
    for (const v of Object.values(b)) if (v && typeof v === 'object' && typeof (v as any).message === 'string') return (v as any).message;
  }
  if (typeof b === 'string' && b.trim()) return b.trim().slice(0, 300);
  return `Request failed with status ${status}`;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** The response's data, or an ApiError carrying the service's own text. */
export function ok<T = any>(res: { data?: unknown; error?: unknown; response: Response }): T {
  if (!res.response.ok) throw new ApiError(res.response.status, serviceMessage(res.error, res.response.status));
  return res.data as T;
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
