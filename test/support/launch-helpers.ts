/**
 * Helpers for booting from instance snapshots: a source server with several volumes, data
 * fingerprints read inside containers, and what a failed create could leave behind.
 */
import fs from 'fs';
import path from 'path';
import Docker from 'dockerode';
import type { Harness, Session } from './snapstack-harness';
import { bootServer, COMPUTE, containerOf, dockerExec, GLANCE, mv, randomName, waitForSnapshot } from './compute-helpers';

export const VOL = '/volume/v3/{project_id}';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** sha256 of every file under each mount point, with its path: equal lists = equal data. */
export async function fingerprint(containerId: string, mounts: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const m of mounts) out[m] = await dockerExec(containerId, `cd ${m} && find . -type f | sort | xargs -r sha256sum`);
  return out;
}

/** A volume-backed server: root from the busybox image (1 GiB) and blank data volumes, data written in each. */
export async function sourceServer(s: Session, opts: { imageId: string; flavorRef: string; networks?: string; dataSizes?: number[]; deleteOnTermination?: boolean[] }): Promise<any> {
  const dot = opts.deleteOnTermination ?? [];
  return bootServer(s, {
    imageRef: '', flavorRef: opts.flavorRef, networks: opts.networks ?? 'none',
    block_device_mapping_v2: [
      { uuid: opts.imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: dot[0] ?? false },
      ...(opts.dataSizes ?? [1]).map((size, i) => ({ source_type: 'blank', destination_type: 'volume', volume_size: size, delete_on_termination: dot[i + 1] ?? false })),
    ],
  });
}

/** createImage at 2.45; waits until the image's snapshots are available; returns the image. */
export async function snapshotServer(s: Session, serverId: string, name = randomName('snap')): Promise<any> {
  const res = await s.request('POST', `${COMPUTE}/servers/${serverId}/action`, { createImage: { name } }, mv('2.45'));
  if (res.status !== 202) throw new Error(`createImage: ${res.status} ${res.text}`);
  const image = (await s.request('GET', `${GLANCE}/images/${res.body.image_id}`)).body;
  for (const m of JSON.parse(image.block_device_mapping)) await waitForSnapshot(s, m.snapshot_id, ['available']);
  return image;
}

/** The snapshot's layers, top first, as the data driver recorded them. */
export function snapshotLayerPaths(h: Harness, snapshotId: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(h.dataDir, 'cow', 'snapshots', `${snapshotId}.json`), 'utf8'));
  return manifest.chain.map((id: string) => path.join(h.dataDir, 'cow', 'l', id));
}

/** The lowerdir of a Docker volume (its overlay options). */
export async function lowerDirsOf(dockerVolume: string): Promise<string[]> {
  const info = await docker.getVolume(dockerVolume).inspect();
  const o = String(info.Options?.o ?? '');
  return (/lowerdir=([^,]*)/.exec(o)?.[1] ?? '').split(':');
}

export interface Leftovers {
  servers: string[];
  serverRows: number;
  blockDeviceRows: number;
  volumes: string[];
  snapshots: string;
  containers: string[];
  dockerVolumes: string[];
}

/** Everything a server create could leave behind, seen as an admin (every project) and in Docker. */
export async function leftovers(h: Harness, admin: Session): Promise<Leftovers> {
  const filters = JSON.stringify({ label: [`snapstack.instance=${h.app.instanceId}`] });
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
  const snaps = (await admin.request('GET', `${VOL}/snapshots/detail?all_tenants=1`)).body.snapshots
    .map((x: any) => ({ id: x.id, status: x.status, size: x.size, updated_at: x.updated_at }))
    .sort((a: any, b: any) => a.id.localeCompare(b.id));
  return {
    servers: ids((await admin.request('GET', `${COMPUTE}/servers/detail?all_tenants=1`)).body.servers),
    serverRows: Number((await h.app.db('servers').count({ n: '*' }))[0].n),
    blockDeviceRows: Number((await h.app.db('server_block_devices').count({ n: '*' }))[0].n),
    volumes: ids((await admin.request('GET', `${VOL}/volumes/detail?all_tenants=1`)).body.volumes),
    snapshots: JSON.stringify(snaps),
    containers: (await docker.listContainers({ all: true, filters })).map((c) => c.Id).sort(),
    dockerVolumes: ((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** The server's container and where its volumes are mounted. */
export async function mountsOf(h: Harness, serverId: string): Promise<{ id: string; image: string; mounts: { target: string; volume: string }[] }> {
  const c = await containerOf(h.app.instanceId, serverId);
  if (!c) throw new Error(`no container for server ${serverId}`);
  const mounts = c.Mounts.map((m: any) => ({ target: m.Destination as string, volume: m.Name as string })).sort((a, b) => a.target.localeCompare(b.target));
  return { id: c.Id, image: c.Image, mounts };
}
