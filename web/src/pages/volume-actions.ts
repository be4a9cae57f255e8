import { ApiError, ok, type Clients } from '../api/clients';
import type { Volume, VolumeSnapshot } from '../api/models';
import { follow } from '../hooks';
import type { Report } from '../components/long-action';

/** Reads a volume until its status is one of `statuses` (error is an end too, with Cinder's word). */
export async function followVolume(c: Clients, id: string, statuses: string[], report: Report): Promise<Volume> {
  const v = await follow(async () => ok(await c.volume.GET('/v3/{project_id}/volumes/{volume_id}', { params: { path: { project_id: c.projectId, volume_id: id } } })).volume,
    (x) => statuses.includes(x.status) || x.status.startsWith('error'), (x) => report(`Volume ${x.name || x.id}: ${x.status}`));
  if (!statuses.includes(v.status)) throw new ApiError(500, `Volume ${v.name || v.id} went to ${v.status}`);
  return v;
}

export async function followSnapshot(c: Clients, id: string, statuses: string[], report: Report): Promise<VolumeSnapshot> {
  const s = await follow(async () => ok(await c.volume.GET('/v3/{project_id}/snapshots/{snapshot_id}', { params: { path: { project_id: c.projectId, snapshot_id: id } } })).snapshot,
    (x) => statuses.includes(x.status) || x.status.startsWith('error'), (x) => report(`Snapshot ${x.name || x.id}: ${x.status}`));
  if (!statuses.includes(s.status)) throw new ApiError(500, `Snapshot ${s.name || s.id} went to ${s.status}`);
  return s;
}

/** Waits until a GET answers 404: the resource is gone. */
export async function followGone(probe: () => Promise<{ response: Response }>, report: Report): Promise<void> {
  await follow(async () => (await probe()).response.status, (st) => st === 404, () => report('Deleting...'));
}

/** A new volume from a snapshot ("restore"), followed to available. */
export async function volumeFromSnapshot(c: Clients, snap: VolumeSnapshot, name: string, report: Report): Promise<Volume> {
  const created = ok(await c.volume.POST('/v3/{project_id}/volumes', {
    params: { path: { project_id: c.projectId } }, body: { volume: { name, size: snap.size, snapshot_id: snap.id } },
  }));
  return followVolume(c, created.volume.id, ['available'], report);
}

export async function createSnapshot(c: Clients, volumeId: string, name: string, report: Report): Promise<VolumeSnapshot> {
  const created = ok(await c.volume.POST('/v3/{project_id}/snapshots', {
    params: { path: { project_id: c.projectId } }, body: { snapshot: { volume_id: volumeId, name, force: true } },
  }));
  return followSnapshot(c, created.snapshot.id, ['available'], report);
}
