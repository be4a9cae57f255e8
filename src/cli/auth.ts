/**
 * Keystone v3 password authentication and service catalog lookup, as keystoneauth does it:
 * discover the v3 URL, POST /auth/tokens, then find each service's endpoint by type (with
 * the block-storage aliases), interface and region.
 */
import type { CliConfig } from './config';
import { ApiError, CliError, httpRequest, HttpLogger, HttpResponse, RequestOptions } from './http';
import { isObject, type TokenBody } from './wire';

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region_id?: string;
  region?: string;
  url: string;
}

export interface CatalogService {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export type ServiceKind = 'identity' | 'compute' | 'volume' | 'image';

const SERVICE_TYPES: Record<ServiceKind, string[]> = {
  identity: ['identity'],
  compute: ['compute'],
  volume: ['volumev3', 'block-storage', 'volume', 'volumev2'],
  image: ['image'],
};

export interface TokenInfo {
  token: string;
  expiresAt: string;
  userId: string;
  projectId: string;
  domainId?: string;
  catalog: CatalogService[];
}

export interface ServiceRequestOptions extends RequestOptions {
  /** Compute: overrides the configured microversion; null sends none. Volume: e.g. '3.60'. */
  microversion?: string | null;
}

export interface Session extends TokenInfo {
  config: CliConfig;
  logger: HttpLogger;
  identityUrl: string;
  endpoint(kind: ServiceKind): Promise<string>;
  /** `path` is relative to the service's versioned endpoint, or an absolute URL. */
  request<T = unknown>(kind: ServiceKind, method: string, path: string, opts?: ServiceRequestOptions): Promise<HttpResponse<T>>;
}

/** Picks the endpoint of a service type from a catalog, keystoneauth's way. */
export function findEndpoint(catalog: CatalogService[], kind: ServiceKind, iface: string, region?: string): string {
  const types = SERVICE_TYPES[kind];
  for (const type of types) {
    const candidates = catalog
      .filter((s) => s.type === type)
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.interface === iface || e.interface === `${iface}URL`);
    const regionOf = (e: CatalogEndpoint) => e.region_id ?? e.region;
    const pick = region ? candidates.find((e) => regionOf(e) === region) : candidates.find((e) => regionOf(e) === 'RegionOne') ?? candidates[0];
    if (pick) return pick.url.replace(/\/+$/, '');
  }
  throw new CliError(`${iface} endpoint for ${types[0]} service${region ? ` in ${region} region` : ''} not found`);
}

function sameOrigin(a: string, b: string): boolean {
  try { return new URL(a).origin === new URL(b).origin; } catch { return false; }
}

/** The self link of the wanted major version in a discovery document, or undefined. */
export function versionHref(body: unknown, major: string, queried: string): string | undefined {
  // Nova, Cinder and Glance answer {versions: [...]}, Keystone {versions: {values: [...]}}, a version root {version}.
  const doc = isObject(body) ? body : {};
  const versions = doc.versions;
  const list: unknown[] = Array.isArray(versions) ? versions
    : isObject(versions) && Array.isArray(versions.values) ? versions.values
    : doc.version ? [doc.version] : [];
  const usable = list.filter(isObject).filter((v) => typeof v.id === 'string' && v.id.startsWith(major) && /^(current|stable|supported)$/i.test(String(v.status ?? '')));
  const stable = (v: Record<string, unknown>) => /^(current|stable)$/i.test(String(v.status));
  usable.sort((a, b) => (stable(a) ? -1 : 0) - (stable(b) ? -1 : 0));
  const links = usable[0]?.links;
  const selfLink = Array.isArray(links) ? links.filter(isObject).find((l) => l.rel === 'self') : undefined;
  const self = typeof selfLink?.href === 'string' ? selfLink.href : undefined;
  if (!self) return undefined;
  const href = self.replace(/\/+$/, '');
  if (sameOrigin(href, queried)) return href;
  return `${queried.replace(/\/+$/, '')}/${href.split('/').pop()}`;
}

async function identityV3Url(logger: HttpLogger, authUrl: string): Promise<string> {
  const url = authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(url)) return url;
  try {
    const res = await httpRequest(logger, 'GET', url, { ok: (s) => s < 400 });
    return versionHref(res.body, 'v3', url) ?? `${url}/v3`;
  } catch (err) {
    if (err instanceof ApiError) return `${url}/v3`;
    throw err;
  }
}

function authBody(c: CliConfig) {
  const domain = (name?: string, id?: string) => (id ? { id } : { name: name ?? 'Default' });
  const user = c.userId ? { id: c.userId, password: c.password } : { name: c.username, domain: domain(c.userDomainName, c.userDomainId), password: c.password };
  const project = c.projectId ? { id: c.projectId } : { name: c.projectName, domain: domain(c.projectDomainName, c.projectDomainId) };
  return { auth: { identity: { methods: ['password'], password: { user } }, scope: { project } } };
}

export async function authenticate(config: CliConfig, logger: HttpLogger): Promise<Session> {
  const hint = config.source === 'defaults'
    ? 'start one with `snapstack serve`, or set OS_AUTH_URL (or OS_CLOUD) to your cloud'
    : `check OS_AUTH_URL (from ${config.source})`;
  let identityUrl: string;
  let res: HttpResponse<TokenBody | undefined>;
  try {
    identityUrl = await identityV3Url(logger, config.authUrl);
    res = await httpRequest(logger, 'POST', `${identityUrl}/auth/tokens`, { body: authBody(config) });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      throw new CliError(`${err.message}: check OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME (from ${config.source})`);
    }
    if (err instanceof ApiError && err.status === 404) throw new CliError(`${err.message}: ${config.authUrl} is not a Keystone v3 endpoint; ${hint}`);
    if (err instanceof CliError && !(err instanceof ApiError)) throw new CliError(`${err.message}: ${hint}`);
    throw err;
  }
  const token = res.headers.get('x-subject-token');
  const t = res.body?.token;
  if (!token || !t) throw new CliError(`The identity service at ${identityUrl} answered without a token: ${hint}`);
  const info: TokenInfo = {
    token,
    expiresAt: t.expires_at ?? '',
    userId: t.user?.id ?? '',
    projectId: t.project?.id ?? '',
    domainId: t.domain?.id,
    catalog: (t.catalog ?? []) as CatalogService[],
  };
  const endpoints = new Map<ServiceKind, Promise<string>>();
  const resolveEndpoint = async (kind: ServiceKind): Promise<string> => {
    const url = findEndpoint(info.catalog, kind, config.interface, config.regionName);
    if (kind !== 'image' || /\/v2(\.\d+)?$/.test(url)) return url;
    // Glance's catalog URL is unversioned: discover v2 as the SDK does.
    try {
      const d = await httpRequest(logger, 'GET', url, { ok: (s) => s < 400 });
      return versionHref(d.body, 'v2', url) ?? `${url}/v2`;
    } catch (err) {
      if (err instanceof ApiError) return `${url}/v2`;
      throw err;
    }
  };
  const session: Session = {
    ...info,
    config,
    logger,
    identityUrl,
    endpoint(kind) {
      if (!endpoints.has(kind)) endpoints.set(kind, resolveEndpoint(kind));
      return endpoints.get(kind)!;
    },
    async request(kind, method, path, opts = {}) {
      const base = kind === 'identity' ? identityUrl : await session.endpoint(kind);
      const url = /^https?:\/\//.test(path) ? path : `${base}${path.startsWith('/') ? '' : '/'}${path}`;
      const headers: Record<string, string> = { 'X-Auth-Token': token, ...opts.headers };
      if (kind === 'compute' && opts.microversion !== null) {
        const mv = opts.microversion ?? config.computeApiVersion;
        headers['OpenStack-API-Version'] = `compute ${mv}`;
        headers['X-OpenStack-Nova-API-Version'] = mv;
      }
      if (kind === 'volume' && opts.microversion) headers['OpenStack-API-Version'] = `volume ${opts.microversion}`;
      return httpRequest(logger, method, url, { ...opts, headers });
    },
  };
  return session;
}
