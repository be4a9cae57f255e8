import { randomBytes } from 'crypto';
import Docker from 'dockerode';
import type { ApiResponse, Session } from './snapstack-harness';

export const COMPUTE = '/compute/v2.1';
export const GLANCE = '/image/v2';

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Headers asking for a compute microversion. */
export function mv(version: string): Record<string, string> {
  return { 'OpenStack-API-Version': `compute ${version}`, 'X-OpenStack-Nova-API-Version': version };
}

/** Polls `probe` until `done` says so; fails with the last value after `timeoutMs`. */
export async function pollUntil<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  let delay = 50;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}

export async function waitForServer(s: Session, id: string, statuses: string[], headers: Record<string, string> = {}): Promise<any> {
  const res = await pollUntil(
    () => s.request('GET', `${COMPUTE}/servers/${id}`, undefined, headers),
    (r: ApiResponse) => r.status === 200 && statuses.includes(r.body.server.status) && (statuses.includes('ERROR') || r.body.server['OS-EXT-STS:task_state'] === null || r.body.server.status === 'ERROR'),
    90_000,
    `server ${id} in ${statuses.join('/')}`,
  );
  return res.body.server;
}

export async function waitForServerGone(s: Session, id: string): Promise<void> {
  await pollUntil(() => s.request('GET', `${COMPUTE}/servers/${id}`), (r) => r.status === 404, 60_000, `server ${id} deleted`);
}

export async function waitForVolume(s: Session, id: string, statuses: string[]): Promise<any> {
  const res = await pollUntil(
    () => s.request('GET', `/volume/v3/{project_id}/volumes/${id}`),
    (r: ApiResponse) => r.status === 200 && statuses.includes(r.body.volume.status),
    90_000,
    `volume ${id} in ${statuses.join('/')}`,
  );
  return res.body.volume;
}

export async function waitForSnapshot(s: Session, id: string, statuses: string[]): Promise<any> {
  const res = await pollUntil(
    () => s.request('GET', `/volume/v3/{project_id}/snapshots/${id}`),
    (r: ApiResponse) => r.status === 200 && statuses.includes(r.body.snapshot.status),
    90_000,
    `snapshot ${id} in ${statuses.join('/')}`,
  );
  return res.body.snapshot;
}

export async function waitForImage(s: Session, id: string, statuses: string[]): Promise<any> {
  const res = await pollUntil(() => s.request('GET', `${GLANCE}/images/${id}`), (r) => r.status === 200 && statuses.includes(r.body.status), 90_000, `image ${id}`);
  return res.body;
}

/** The seeded public busybox image (min_disk 0). */
export async function busyboxImage(s: Session): Promise<any> {
  const res = await s.request('GET', `${GLANCE}/images?name=busybox`);
  if (res.status !== 200 || res.body.images.length !== 1) throw new Error(`no seeded busybox image: ${res.text}`);
  return res.body.images[0];
}

/** Creates a server and waits for it; the caller deletes it. */
export async function bootServer(s: Session, body: Record<string, unknown>, headers: Record<string, string> = mv('2.37'), statuses = ['ACTIVE']): Promise<any> {
  const res = await s.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('srv'), networks: 'none', flavorRef: '1', ...body } }, headers);
  if (res.status !== 202) throw new Error(`server create failed: ${res.status} ${res.text}`);
  return waitForServer(s, res.body.server.id, statuses, headers);
}

export async function dockerExec(containerId: string, script: string): Promise<string> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['/bin/sh', '-c', script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.demuxStream(stream, { write: (c: Buffer) => out.push(c) } as any, { write: (c: Buffer) => out.push(c) } as any);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  const text = Buffer.concat(out).toString('utf8');
  if (info.ExitCode !== 0) throw new Error(`exec failed (${info.ExitCode}): ${text}`);
  return text;
}

/** The container of a server, found by Snapstack's labels. */
export async function containerOf(instanceId: string, serverId: string): Promise<Docker.ContainerInfo | undefined> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`snapstack.instance=${instanceId}`, `snapstack.server=${serverId}`] }) });
  return list[0];
}


/**
 * Polls a server quickly and records each distinct "STATUS/task_state" it shows until `final`
 * (a status with no task) appears; returns them in the order seen.
 */
export async function recordStates(s: Session, id: string, final: string, headers: Record<string, string> = {}): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + 90_000;
  for (;;) {
    const r = await s.request('GET', `${COMPUTE}/servers/${id}`, undefined, headers);
    if (r.status !== 200) throw new Error(`server ${id}: ${r.status} ${r.text}`);
    const key = `${r.body.server.status}/${r.body.server['OS-EXT-STS:task_state']}`;
    if (seen[seen.length - 1] !== key) seen.push(key);
    if (key === `${final}/null`) return seen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${final}; seen: ${seen.join(' -> ')}`);
    await new Promise((res) => setTimeout(res, 15));
  }
}

/** Asserts `seen` follows `expected`'s order (states may be skipped between polls, never reordered or unknown). */
export function expectInOrder(seen: string[], expected: string[]): void {
  let at = -1;
  for (const state of seen) {
    const i = expected.indexOf(state, Math.max(at, 0));
    if (i < 0 || i < at) throw new Error(`state ${state} out of order; seen ${seen.join(' -> ')}, expected order ${expected.join(' -> ')}`);
    at = i;
  }
  if (seen[seen.length - 1] !== expected[expected.length - 1]) throw new Error(`ended in ${seen[seen.length - 1]}, not ${expected[expected.length - 1]}`);
}
