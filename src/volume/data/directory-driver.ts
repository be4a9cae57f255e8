import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { KeyedMutex } from '../../shared/keyed-mutex';
import { HostLayerFileOps } from './layer-files';
import { writeFileAtomic } from './manifest-store';
import { cloneSourceKey, createVolumeLocks, type VolumeDataCapabilities, type VolumeDataDriver } from './volume-data-driver';
import { removeAllData } from './remove-all-data';
import { DataExistsError, DataNotFoundError, VolumeDataError } from './volume-data-errors';

export interface DirectoryDriverOptions {
  dataDir: string;
  logger: Logger;
}

interface SnapshotMeta {
  version: 1;
  snapshotId: string;
  volumeId: string;
  projectId: string;
  createdAt: string;
}

/**
 * The fallback without a Docker engine: a volume is a plain directory and a
 * snapshot a full copy (`cp -a`), so snapshot, clone and revert cost the
 * volume's size. Same semantics as the overlay driver, none of its sharing.
 * Every change is built in tmp/ and renamed into place, so a crash never leaves
 * half a volume or snapshot. Without Docker nothing can be paused: a snapshot
 * of a volume being written is only crash-consistent per file.
 *
 * prepareMount / dockerVolumeName return the volume's host directory, usable as
 * a bind-mount source; compute does not run containers without Docker anyway.
 */
export class DirectoryDriver implements VolumeDataDriver {
  readonly kind = 'directory' as const;
  readonly capabilities: VolumeDataCapabilities = { archives: null, imageSnapshots: null, volumeToImage: null, flatten: null };
  private readonly root: string;
  /** Per volume; a snapshot being copied into new volumes is held shared (cloneSourceKey), deleteSnapshot waits for it. */
  private readonly locks = new KeyedMutex();
  private readonly files = new HostLayerFileOps();
  private readonly log: Logger;
  private readonly snapshots = new Map<string, SnapshotMeta>();
  private readonly volumes = new Set<string>();

  constructor(opts: DirectoryDriverOptions) {
    this.root = path.join(path.resolve(opts.dataDir), 'dirs');
    this.log = opts.logger.child({ component: 'volume-data', driver: this.kind });
  }

  async init(): Promise<void> {
    for (const d of ['volumes', 'snapshots', 'meta', 'tmp']) await fs.mkdir(path.join(this.root, d), { recursive: true });
    await this.cleanTmp();
    this.snapshots.clear();
    this.volumes.clear();
    for (const id of await fs.readdir(this.dir('volumes'))) this.volumes.add(id);
    for (const name of await fs.readdir(this.dir('meta'))) {
      if (!name.endsWith('.json')) continue;
      const meta = JSON.parse(await fs.readFile(path.join(this.dir('meta'), name), 'utf8')) as SnapshotMeta;
      // A snapshot is there when its data is: meta without data is a crash leftover.
      if (await exists(this.snapshotDir(meta.snapshotId))) this.snapshots.set(meta.snapshotId, meta);
      else await fs.rm(path.join(this.dir('meta'), name), { force: true });
    }
    this.log.info({ snapshots: this.snapshots.size }, 'volume data ready');
  }

  dockerVolumeName(volumeId: string): string {
    return this.volumeDir(volumeId);
  }

  listVolumeIds(): string[] {
    return [...this.volumes];
  }

  listSnapshotIds(): string[] {
    return [...this.snapshots.keys()];
  }

  async removeAll(keep: Set<string>): Promise<{ dockerVolumes: number }> {
    await removeAllData(this, keep);
    return { dockerVolumes: 0 };
  }

  async createVolume(volumeId: string, opts: { projectId: string; fromSnapshotId?: string; fromVolumeId?: string }): Promise<void> {
    const { keys, shared } = createVolumeLocks(volumeId, opts);
    const started = Date.now();
    await this.locks.withLocks(keys, async () => {
      if (this.volumes.has(volumeId)) throw new DataExistsError('volume', volumeId);
      let source: string | undefined;
      if (opts.fromSnapshotId) source = this.snapshotDir(this.requireSnapshot(opts.fromSnapshotId).snapshotId);
      if (opts.fromVolumeId) source = await this.requireVolumeDir(opts.fromVolumeId);
      const staged = await this.stage(source);
      await fs.rename(staged, this.volumeDir(volumeId));
      this.volumes.add(volumeId);
      this.log.info({ volume_id: volumeId, project_id: opts.projectId, from_snapshot: opts.fromSnapshotId, from_volume: opts.fromVolumeId, ms: Date.now() - started }, 'volume data created');
    }, { shared });
  }

  async deleteVolume(volumeId: string): Promise<void> {
    await this.locks.withLock(volumeId, async () => {
      this.volumes.delete(volumeId);
      if (!(await this.discard(this.volumeDir(volumeId)))) return;
      this.log.info({ volume_id: volumeId }, 'volume data deleted');
    });
  }

  async createSnapshot(snapshotId: string, volumeId: string, opts: { projectId: string }): Promise<void> {
    const started = Date.now();
    await this.locks.withLock(volumeId, async () => {
      const source = await this.requireVolumeDir(volumeId);
      if (this.snapshots.has(snapshotId)) throw new DataExistsError('snapshot', snapshotId);
      const meta: SnapshotMeta = { version: 1, snapshotId, volumeId, projectId: opts.projectId, createdAt: new Date().toISOString() };
      const staged = await this.stage(source);
      await writeFileAtomic(this.metaFile(snapshotId), JSON.stringify(meta, null, 2) + '\n');
      await fs.rename(staged, this.snapshotDir(snapshotId));
      this.snapshots.set(snapshotId, meta);
      this.log.info({ snapshot_id: snapshotId, volume_id: volumeId, project_id: opts.projectId, mode: 'full-copy', ms: Date.now() - started }, 'snapshot data captured');
    });
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    const found = this.snapshots.get(snapshotId);
    if (!found) return;
    const source = cloneSourceKey(snapshotId);
    await this.locks.withLock(source, async () => undefined);
    await this.locks.withLocks([found.volumeId, source], async () => {
      if (!this.snapshots.delete(snapshotId)) return;
      await this.discard(this.snapshotDir(snapshotId));
      await fs.rm(this.metaFile(snapshotId), { force: true });
      this.log.info({ snapshot_id: snapshotId }, 'snapshot data deleted');
    });
  }

  async revertVolume(volumeId: string, snapshotId: string): Promise<void> {
    await this.locks.withLocks([volumeId, this.requireSnapshot(snapshotId).volumeId], async () => {
      const target = await this.requireVolumeDir(volumeId);
      const staged = await this.stage(this.snapshotDir(this.requireSnapshot(snapshotId).snapshotId));
      // Swap with two renames: the volume is at every moment old or new, never partial.
      const old = this.tmpPath();
      await fs.rename(target, old);
      await fs.rename(staged, target);
      await this.files.removeTrees([old]);
      this.log.info({ volume_id: volumeId, snapshot_id: snapshotId }, 'volume data reverted');
    });
  }

  async prepareMount(volumeId: string): Promise<{ dockerVolume: string }> {
    return { dockerVolume: await this.requireVolumeDir(volumeId) };
  }

  async snapshotLayers(snapshotId: string): Promise<string[]> {
    return [this.snapshotDir(this.requireSnapshot(snapshotId).snapshotId)];
  }

  /** No Docker objects to drift from (staging leftovers are cleared by init). */
  async reconcile(): Promise<{ repaired: string[]; orphans: string[] }> {
    return { repaired: [], orphans: [] };
  }

  /** Full copy of `source` (or an empty dir) under tmp/, ready to be renamed into place. */
  private async stage(source?: string): Promise<string> {
    const staged = this.tmpPath();
    await fs.mkdir(staged, { mode: 0o755 });
    await fs.chmod(staged, 0o755);
    try {
      if (source) await this.files.copyTree(source, staged);
    } catch (err) {
      await this.files.removeTrees([staged]);
      throw err;
    }
    return staged;
  }

  /** Renames out of sight, then deletes; false when there was nothing. */
  private async discard(dir: string): Promise<boolean> {
    const doomed = this.tmpPath();
    try {
      await fs.rename(dir, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await this.files.removeTrees([doomed]);
    return true;
  }

  private async cleanTmp(): Promise<void> {
    const tmp = this.dir('tmp');
    await this.files.removeTrees((await fs.readdir(tmp)).map((n) => path.join(tmp, n)));
  }

  private async requireVolumeDir(volumeId: string): Promise<string> {
    const dir = this.volumeDir(volumeId);
    if (!this.volumes.has(volumeId)) throw new DataNotFoundError('volume', volumeId);
    return dir;
  }

  private requireSnapshot(id: string): SnapshotMeta {
    const s = this.snapshots.get(id);
    if (!s) throw new DataNotFoundError('snapshot', id);
    return s;
  }

  private dir(name: string): string {
    return path.join(this.root, name);
  }
  private volumeDir(id: string): string {
    return path.join(this.root, 'volumes', safeId(id));
  }
  private snapshotDir(id: string): string {
    return path.join(this.root, 'snapshots', safeId(id));
  }
  private metaFile(id: string): string {
    return path.join(this.root, 'meta', `${safeId(id)}.json`);
  }
  private tmpPath(): string {
    return path.join(this.root, 'tmp', randomBytes(6).toString('hex'));
  }
}

function safeId(id: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(id) || id.startsWith('.')) throw new VolumeDataError(`unsafe id: ${id}`);
  return id;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
