// Helpers for the Cinder API tests: random names, polling for statuses (never blind sleeps),
// and a cleaner that removes what a test created.
import { randomBytes } from 'crypto';
import type { ApiResponse, Session } from '../../../support/snapstack-harness';
import { loadConfig, type Config } from '../../../../src/config';

export const rand = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export const V = (path: string) => `/volume/v3/{project_id}${path}`;
export const MV = (version: string) => ({ 'OpenStack-API-Version': `volume ${version}` });

type Kind = 'volumes' | 'snapshots';
const singular = (kind: Kind) => (kind === 'volumes' ? 'volume' : 'snapshot');

/** Polls GET until the status is one of `statuses` (or, with 'gone', until 404). */
export async function waitFor(s: Session, kind: Kind, id: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  let delay = 20;
  while (Date.now() < deadline) {
    last = await s.request('GET', V(`/${kind}/${id}`));
    if (last.status === 404 && statuses.includes('gone')) return undefined;
    if (last.status === 200 && statuses.includes(last.body[singular(kind)].status)) return last.body[singular(kind)];
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  throw new Error(`${kind} ${id} did not reach ${statuses.join('|')}: last ${last?.status} ${last?.text}`);
}

export async function createVolume(s: Session, volume: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<any> {
  const res = await s.request('POST', V('/volumes'), { volume: { size: 1, name: rand('vol'), ...volume } }, headers);
  if (res.status !== 202) throw new Error(`create volume: ${res.status} ${res.text}`);
  return waitFor(s, 'volumes', res.body.volume.id, ['available']);
}

export async function createSnapshot(s: Session, volumeId: string, snapshot: Record<string, unknown> = {}): Promise<any> {
  const res = await s.request('POST', V('/snapshots'), { snapshot: { volume_id: volumeId, name: rand('snap'), ...snapshot } });
  if (res.status !== 202) throw new Error(`create snapshot: ${res.status} ${res.text}`);
  return waitFor(s, 'snapshots', res.body.snapshot.id, ['available']);
}

/** Deletes (cascade) every volume of the session's project, waiting for them to go. */
export async function purgeVolumes(s: Session): Promise<void> {
  const list = await s.request('GET', V('/volumes/detail'));
  for (const v of list.body?.volumes ?? []) {
    if (v.status === 'in-use') continue;
    if (v.status !== 'deleting') await s.request('DELETE', V(`/volumes/${v.id}?cascade=True`));
  }
  for (const v of list.body?.volumes ?? []) if (v.status !== 'in-use') await waitFor(s, 'volumes', v.id, ['gone', 'error_deleting']);
}

export function fault(res: ApiResponse): { name: string; code: number; message: string } {
  const [name] = Object.keys(res.body ?? {});
  return { name, ...res.body[name] };
}

/** Harness overrides for files that make many volumes: unlimited counts, Cinder's other defaults. */
export function roomyQuotas(): Partial<Config> {
  return { volumeQuotas: { ...loadConfig({}).volumeQuotas, volumes: -1, snapshots: -1 } };
}
