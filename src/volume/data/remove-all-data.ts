import type { VolumeDataDriver } from './volume-data-driver';

/** The core of every driver's removeAll (reset): snapshots (but `keep`) before volumes; the volume ids removed. */
export async function removeAllData(driver: Pick<VolumeDataDriver, 'listSnapshotIds' | 'listVolumeIds' | 'deleteSnapshot' | 'deleteVolume'>, keep: Set<string>): Promise<string[]> {
  await Promise.all(driver.listSnapshotIds().filter((id) => !keep.has(id)).map((id) => driver.deleteSnapshot(id)));
  const volumeIds = driver.listVolumeIds();
  await Promise.all(volumeIds.map((id) => driver.deleteVolume(id)));
  return volumeIds;
}
