import type { MicroversionPolicy } from '../http/microversion';

/** Zed's range: python-openstackclient turns `2.latest` into 2.92, so the max must reach it. */
export const COMPUTE_MICROVERSIONS: MicroversionPolicy = {
  serviceType: 'compute', min: '2.1', max: '2.93', legacyHeader: 'X-OpenStack-Nova-API-Version',
};

/** `GET /compute/`: v2.0 first, then v2.1, each with its self link only, as Nova lists them. */
export function computeVersionList(serviceUrl: string) {
  return [
    {
      id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z',
      links: [{ rel: 'self', href: `${serviceUrl}/v2/` }],
    },
    {
      id: 'v2.1', status: 'CURRENT', version: COMPUTE_MICROVERSIONS.max, min_version: COMPUTE_MICROVERSIONS.min,
      updated: '2013-07-23T11:33:21Z', links: [{ rel: 'self', href: `${serviceUrl}/v2.1/` }],
    },
  ];
}

/** `GET /compute/v2.1`: one version with its describedby link and media types. */
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
