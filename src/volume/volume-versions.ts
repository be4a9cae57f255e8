import type { MicroversionPolicy } from '../http/microversion';

/** 3.0 to 3.60: revert (3.40) included; 3.66-style in-use snapshots are not advertised. */
export const VOLUME_MICROVERSIONS: MicroversionPolicy = { serviceType: 'volume', min: '3.0', max: '3.60' };

export function volumeVersion(serviceUrl: string) {
  return {
    id: 'v3.0',
    status: 'CURRENT',
    version: VOLUME_MICROVERSIONS.max,
    min_version: VOLUME_MICROVERSIONS.min,
    updated: '2023-08-31T00:00:00Z',
    links: [
      { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
      { rel: 'self', href: `${serviceUrl}/v3/` },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
  };
}
