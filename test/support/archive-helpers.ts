/**
 * Helpers for snapshot archive tests: volumes and snapshots through the API, data read inside
 * a busybox container (a fingerprint per file: type, mode, owner, content hash or link
 * target), exports waited for, and each project's snapshots folder.
 */
import Docker from 'dockerode';
import fs from 'fs';
import path from 'path';
import type { Harness, Session } from './snapstack-harness';
import { pollUntil, randomName, waitForSnapshot, waitForVolume } from './compute-helpers';

export const VOL = '/volume/v3/{project_id}';
export const SS = '/snapstack/v1';
const HELPER = process.env.SNAPSTACK_BASE_IMAGE || 'snapstack/busybox:latest';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** One line per entry under `dir`: type, mode, owner, and content hash or link target. */
export const fingerprintOf = (dir: string) => `cd ${dir} && find . | sort | while IFS= read -r f; do
  t=$(stat -c '%F|%a|%u|%g' "$f")
  if [ -L "$f" ]; then echo "$f|$t|$(readlink "$f")"
  elif [ -f "$f" ]; then echo "$f|$t|$(sha256sum < "$f" | cut -d' ' -f1)"
  else echo "$f|$t"; fi
done`;
export const FINGERPRINT = fingerprintOf('/data');

/** Runs `script` in a busybox container with the volume's Docker volume at /data. */
export async function onVolume(h: Harness, s: Session, volumeId: string, script: string): Promise<string> {
  const { dockerVolume } = await h.app.volume.prepareMount(s.projectId, volumeId);
  return onDockerVolume(h.app.instanceId, dockerVolume, script);
}

/** Runs `script` in a busybox container (labelled for instance `instanceId`) with Docker volume `dockerVolume` at /data. */
export async function onDockerVolume(instanceId: string, dockerVolume: string, script: string): Promise<string> {
  const c = await docker.createContainer({
    Image: HELPER, Cmd: ['sh', '-c', script], Tty: true,
    Labels: { 'snapstack.managed': 'true', 'snapstack.instance': instanceId },
    HostConfig: { Binds: [`${dockerVolume}:/data`], NetworkMode: 'none' },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const out = (await c.logs({ stdout: true, stderr: true })).toString('utf8').replace(/\r\n/g, '\n');
    if (StatusCode !== 0) throw new Error(`container exited ${StatusCode}: ${out}`);
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

export async function newVolume(s: Session, body: Record<string, unknown> = { size: 1 }): Promise<string> {
  const res = await s.request('POST', `${VOL}/volumes`, { volume: { name: randomName('vol'), ...body } });
  if (res.status !== 202) throw new Error(`volume create failed: ${res.status} ${res.text}`);
  return (await waitForVolume(s, res.body.volume.id, ['available'])).id;
}

export async function newSnapshot(s: Session, volumeId: string, name = randomName('snap')): Promise<string> {
  const res = await s.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: volumeId, name, force: true } });
  if (res.status !== 202) throw new Error(`snapshot create failed: ${res.status} ${res.text}`);
  return (await waitForSnapshot(s, res.body.snapshot.id, ['available'])).id;
}

/** What a snapshot holds, read through a volume made from it. */
export async function snapshotFingerprint(h: Harness, s: Session, snapshotId: string): Promise<string> {
  const vol = await newVolume(s, { snapshot_id: snapshotId });
  return onVolume(h, s, vol, FINGERPRINT);
}

/** POST .../export (or .../promote), then waits for the job; returns the archive's file name. */
export async function exportAndWait(s: Session, url: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await s.request('POST', url, body);
  if (res.status !== 202) throw new Error(`export refused: ${res.status} ${res.text}`);
  const job = await pollUntil(() => s.request('GET', `${SS}/jobs/${res.body.job.id}`), (r) => ['succeeded', 'failed'].includes(r.body.job.status), 120_000, 'export job');
  if (job.body.job.status !== 'succeeded') throw new Error(`export failed: ${job.body.job.error}`);
  return res.body.archive.name;
}

/** The project's snapshots folder (<data dir>/snapshots/<project id>), made if missing. */
export function projectFolder(h: Harness, s: Session): string {
  const dir = path.join(h.dataDir, 'snapshots', s.projectId);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Copies an archive of one project's folder into another's (another instance's, or the same). */
export function copyArchive(from: Harness, fs1: Session, name: string, to: Harness, s2: Session, as = name): string {
  fs.copyFileSync(path.join(projectFolder(from, fs1), name), path.join(projectFolder(to, s2), as));
  return as;
}

/** Every path under `dir` with its kind and size, to compare before and after a refused import. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const p = path.join(rel, name);
      // PGlite and PostgreSQL files change on their own; the database is compared through rows.
      if (p === 'pglite' || p === 'postgres' || p.startsWith('pg')) continue;
      const st = fs.lstatSync(path.join(dir, p));
      out.push(`${p}|${st.isDirectory() ? 'd' : st.size}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk('');
  return out;
}

export async function rowCounts(h: Harness): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['snapshots', 'volumes', 'images']) out[t] = Number((await h.app.db(t).count<{ c: string }[]>('* as c'))[0].c);
  return out;
}
