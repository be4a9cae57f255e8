import { createHash } from 'crypto';

export const REGION = 'RegionOne';
const INTERFACES = ['public', 'internal', 'admin'] as const;

function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 32);
}

/** DevStack-style catalog on one host and port; Cinder's URL carries the real project id. */
export function buildCatalog(publicUrl: string, projectId: string | null) {
  const services: { type: string; name: string; url: string }[] = [
    { type: 'identity', name: 'keystone', url: `${publicUrl}/identity` },
    { type: 'compute', name: 'nova', url: `${publicUrl}/compute/v2.1` },
    { type: 'image', name: 'glance', url: `${publicUrl}/image` },
  ];
  if (projectId) {
    services.push({ type: 'volumev3', name: 'cinderv3', url: `${publicUrl}/volume/v3/${projectId}` });
    services.push({ type: 'block-storage', name: 'cinder', url: `${publicUrl}/volume/v3/${projectId}` });
  }
  return services.map((s) => ({
    id: stableId('service', s.type),
    type: s.type,
    name: s.name,
    endpoints: INTERFACES.map((iface) => ({
      id: stableId('endpoint', s.type, iface),
      interface: iface,
      region_id: REGION,
      region: REGION,
      url: s.url,
    })),
  }));
}
