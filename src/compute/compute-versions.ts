import type { MicroversionPolicy } from '../http/microversion';

/** Zed's range: python-openstackclient turns `2.latest` into 2.92, so the max must reach it. */
export const COMPUTE_MICROVERSIONS: MicroversionPolicy = {
  serviceType: 'compute', min: '2.1', max: '2.93', legacyHeader: 'X-OpenStack-Nova-API-Version',
};

export function computeVersion(serviceUrl: string) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: COMPUTE_MICROVERSIONS.max,
    min_version: COMPUTE_MICROVERSIONS.min,
    updated: '2013-07-23T11:33:21Z',
    links: [
      { rel: 'self', href: `${serviceUrl}/v2.1/` },
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}
