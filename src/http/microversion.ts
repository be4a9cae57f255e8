import { BadRequest, NotAcceptable } from './faults';

/** A microversion such as 2.45, compared numerically by major then minor. */
export class Microversion {
  constructor(readonly major: number, readonly minor: number) {}

  static parse(text: string): Microversion | null {
    const m = /^(\d+)\.(\d+)$/.exec(text.trim());
    return m ? new Microversion(Number(m[1]), Number(m[2])) : null;
  }

  compare(other: Microversion | string): number {
    const o = typeof other === 'string' ? known(other) : other;
    return this.major !== o.major ? this.major - o.major : this.minor - o.minor;
  }

  atLeast(other: string): boolean {
    return this.compare(other) >= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/**
 * The versions the code compares against (`atLeast('2.47')`): literals, a few dozen, parsed once
 * each instead of on every call (a list view asks for each item).
 */
const KNOWN = new Map<string, Microversion>();
function known(text: string): Microversion {
  const v = KNOWN.get(text) ?? Microversion.parse(text);
  if (!v) throw new Error(`not a microversion: ${text}`);
  if (KNOWN.size < 1000) KNOWN.set(text, v);
  return v;
}

export interface MicroversionPolicy {
  /** The service type named in `OpenStack-API-Version: <type> <version>`. */
  serviceType: 'compute' | 'volume';
  min: string;
  max: string;
  /** Nova also reads and echoes its legacy header. */
  legacyHeader?: string;
}

/** Reads the requested microversion the way Nova and Cinder do; no header means the minimum. */
export function negotiate(policy: MicroversionPolicy, headers: Record<string, string | string[] | undefined>): Microversion {
  const min = known(policy.min);
  const max = known(policy.max);
  let requested: string | undefined;
  const generic = headerValue(headers['openstack-api-version']);
  if (generic) {
    for (const part of generic.split(',')) {
      const [type, version] = part.trim().split(/\s+/, 2);
      if (type?.toLowerCase() === policy.serviceType && version) requested = version;
    }
  }
  if (requested === undefined && policy.legacyHeader) {
    requested = headerValue(headers[policy.legacyHeader.toLowerCase()]);
  }
  if (requested === undefined || requested === '') return min;
  if (requested.trim().toLowerCase() === 'latest') return max;
  const version = Microversion.parse(requested);
  if (!version) throw new BadRequest(`API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`);
  if (version.compare(min) < 0 || version.compare(max) > 0) {
    throw new NotAcceptable(`Version ${version} is not supported by the API. Minimum is ${min} and maximum is ${max}.`);
  }
  return version;
}

export function microversionHeaders(policy: MicroversionPolicy, version: Microversion): Record<string, string> {
  const headers: Record<string, string> = { 'OpenStack-API-Version': `${policy.serviceType} ${version}` };
  const vary = ['OpenStack-API-Version'];
  if (policy.legacyHeader) {
    headers[policy.legacyHeader] = version.toString();
    vary.push(policy.legacyHeader);
  }
  headers.Vary = vary.join(', ');
  return headers;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}
