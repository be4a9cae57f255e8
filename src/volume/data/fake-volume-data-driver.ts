import { DataExistsError, DataNotFoundError, VolumeDataError } from './volume-data-errors';
import type { VolumeDataCapabilities, VolumeDataDriver } from './volume-data-driver';
import { removeAllData } from './remove-all-data';

/** A volume's (or snapshot's) content: file path -> bytes as text. */
export type FakeFiles = Map<string, string>;

/**
 * Volume data in memory, for units and SNAPSTACK_DOCKER=fake: every rule of the service runs,
 * nothing touches a disk or an engine. Snapshots are copies (the semantics, not the speed, of
 * the overlay driver); tests read and write a volume's files with files().
 */
export class FakeVolumeDataDriver implements VolumeDataDriver {
  readonly kind = 'fake' as const;
  readonly capabilities: VolumeDataCapabilities = { archives: null, imageSnapshots: this, volumeToImage: null, flatten: null };
  private readonly volumes = new Map<string, { projectId: string; files: FakeFiles }>();
  private readonly snapshots = new Map<string, { volumeId: string; files: FakeFiles }>();

  async init(): Promise<void> {}

  /** The volume's files, live: a test writes into it as a server would. */
  files(volumeId: string): FakeFiles {
    return this.requireVolume(volumeId).files;
  }

  async createVolume(volumeId: string, opts: { projectId: string; fromSnapshotId?: string; fromVolumeId?: string }): Promise<void> {
    if (opts.fromSnapshotId && opts.fromVolumeId) throw new VolumeDataError('a volume comes from a snapshot or a volume, not both');
    if (this.volumes.has(volumeId)) throw new DataExistsError('volume', volumeId);
    const source = opts.fromSnapshotId ? this.requireSnapshot(opts.fromSnapshotId).files : opts.fromVolumeId ? this.requireVolume(opts.fromVolumeId).files : new Map();
    this.volumes.set(volumeId, { projectId: opts.projectId, files: new Map(source) });
  }

  async deleteVolume(volumeId: string): Promise<void> {
    this.volumes.delete(volumeId);
  }

  async createSnapshot(snapshotId: string, volumeId: string): Promise<void> {
    const v = this.requireVolume(volumeId);
    if (this.snapshots.has(snapshotId)) throw new DataExistsError('snapshot', snapshotId);
    this.snapshots.set(snapshotId, { volumeId, files: new Map(v.files) });
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    this.snapshots.delete(snapshotId);
  }

  async revertVolume(volumeId: string, snapshotId: string): Promise<void> {
    this.requireVolume(volumeId).files = new Map(this.requireSnapshot(snapshotId).files);
  }

  async prepareMount(volumeId: string): Promise<{ dockerVolume: string }> {
    this.requireVolume(volumeId);
    return { dockerVolume: this.dockerVolumeName(volumeId) };
  }

  dockerVolumeName(volumeId: string): string {
    return `fake-volume-${volumeId}`;
  }

  async snapshotLayers(snapshotId: string): Promise<string[]> {
    this.requireSnapshot(snapshotId);
    return [];
  }

  async reconcile(): Promise<{ repaired: string[]; orphans: string[] }> {
    return { repaired: [], orphans: [] };
  }

  listVolumeIds(): string[] {
    return [...this.volumes.keys()];
  }

  listSnapshotIds(): string[] {
    return [...this.snapshots.keys()];
  }

  async removeAll(keep: Set<string>): Promise<{ dockerVolumes: number }> {
    await removeAllData(this, keep);
    return { dockerVolumes: 0 };
  }

  /** An image's root filesystem as a snapshot: empty here (the fake image driver holds no files). */
  async ensureImageSnapshot(key: string): Promise<'made' | 'found'> {
    if (this.snapshots.has(key)) return 'found';
    this.snapshots.set(key, { volumeId: key, files: new Map() });
    return 'made';
  }

  private requireVolume(id: string) {
    const v = this.volumes.get(id);
    if (!v) throw new DataNotFoundError('volume', id);
    return v;
  }

  private requireSnapshot(id: string) {
    const s = this.snapshots.get(id);
    if (!s) throw new DataNotFoundError('snapshot', id);
    return s;
  }
}
