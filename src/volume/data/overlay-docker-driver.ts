/**
 * The overlay volume data driver: volumes and snapshots as chains of copy-on-write layers under
 * Docker volumes (see docs/architecture.md). Over 400 lines on purpose: it implements the whole
 * VolumeDataDriver interface, whose operations share one manifest, one layer registry and one
 * lock discipline; the file operations, Docker calls and archives are already in their own files.
 */
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABELS, managedLabels } from '../../runtime/docker-engine';
import { ImageMissing, type ImageDriver } from '../../runtime/image-driver';
import {
  containersUsingVolume,
  sweepDockerLeftovers,
  createOverlayVolume,
  inspectVolumeOptions,
  isMounted,
  pauseRunning,
  removeVolume,
  releaseAll,
  withVolumeContent,
} from './docker-ops';
import { KeyedMutex, SerialQueue } from '../../shared/keyed-mutex';
import { holdLocks, type ResourceLocks } from '../../shared/resource-locks';
import { HelperLayerFileOps, HostLayerFileOps, sameRootAttrs, type LayerFileOps } from './layer-files';
import { LayerRegistry } from './layer-registry';
import { CowPaths, ManifestStore, type SnapshotManifest, type VolumeManifest } from './manifest-store';
import { OverlayArchive, type LayerExport, type LayerImport } from './overlay-archive';
import { FLATTEN_TURN, OverlayFlattener } from './overlay-flattener';
import { cloneSourceKey, createVolumeLocks, type VolumeDataCapabilities, type VolumeDataDriver } from './volume-data-driver';
import { removeAllData } from './remove-all-data';
import { DataBusyError, DataExistsError, DataNotFoundError, VolumeDataError } from './volume-data-errors';
import { bestEffort } from '../../shared/best-effort';

export interface OverlayDockerDriverOptions {
  dataDir: string;
  instanceId: string;
  docker: Docker;
  /** Docker-image work (an image's filesystem in, a volume's content out as an image) goes through it. */
  images: ImageDriver;
  helperImage: string;
  maxChainDepth: number;
  logger: Logger;
  fileOps?: 'host' | 'helper';
  /** Overlay mount data must fit one page (4 KiB); longer chains are flattened first. */
  maxMountOptionsLength?: number;
  /** See VolumeDataDriverOptions. */
  shared?: boolean;
  sweep?: boolean;
  locks?: ResourceLocks;
}

type Capture = { chain: string[]; mode: 'unchanged' | 'frozen' | 'copied'; copy?: string };
type DockerRefresh = 'current' | 'created' | 'recreated' | 'busy';

/**
 * Volumes as overlay mounts of layer chains, exposed as Docker volumes of the
 * local driver (see ARCHITECTURE.md "Data: copy-on-write layers").
 *
 * Snapshot cost: a volume no container runs on is frozen (its upper becomes a
 * read-only layer; nothing is copied). A volume a running container uses is
 * paused while its upper directory is copied: that costs what was written
 * since the volume was last re-based (re-mounted after a freeze), not its size.
 */
export class OverlayDockerDriver implements VolumeDataDriver {
  readonly kind = 'overlay-docker' as const;
  readonly capabilities: VolumeDataCapabilities = { archives: this, imageSnapshots: this, volumeToImage: this, flatten: this };
  private readonly paths: CowPaths;
  private readonly store: ManifestStore;
  private readonly locks: ResourceLocks;
  private readonly queue = new SerialQueue();
  private readonly log: Logger;
  private readonly docker: Docker;
  private readonly maxOptions: number;
  private files!: LayerFileOps;
  private layers!: LayerRegistry;
  private flattener!: OverlayFlattener;
  private archive!: OverlayArchive;
  private initialized = false;

  constructor(private readonly opts: OverlayDockerDriverOptions) {
    if (/[,:]/.test(opts.dataDir)) throw new VolumeDataError(`dataDir must not contain ',' or ':' (overlay options): ${opts.dataDir}`);
    this.paths = new CowPaths(opts.dataDir);
    this.store = new ManifestStore(this.paths, opts.shared ?? false);
    this.locks = opts.locks ?? new KeyedMutex();
    this.docker = opts.docker;
    this.log = opts.logger.child({ component: 'volume-data', driver: this.kind });
    this.maxOptions = opts.maxMountOptionsLength ?? 4000;
  }

  async init(): Promise<void> {
    if (this.initialized) return;
    const p = this.paths;
    for (const dir of [p.layersDir, p.workDirs, p.volumesDir, p.snapshotsDir, p.emptyDir, p.keysDir, p.stagingDir]) await fs.mkdir(dir, { recursive: true });
    // Private to the service's user; the modes of the layers' contents are kept inside.
    for (const dir of [p.root, p.layersDir]) await fs.chmod(dir, 0o700);
    const mode = this.opts.fileOps ?? (process.getuid?.() === 0 ? 'host' : 'helper');
    this.files =
      mode === 'host' ? new HostLayerFileOps() : new HelperLayerFileOps(this.docker, this.opts.helperImage, this.opts.instanceId, p.root, this.log);
    this.layers = new LayerRegistry(p, this.store, this.files, this.log);
    this.flattener = new OverlayFlattener({
      docker: this.docker,
      paths: p,
      store: this.store,
      instanceId: this.opts.instanceId,
      helperImage: this.opts.helperImage,
      maxOptions: this.maxOptions,
      log: this.log,
      layers: this.layers,
      locks: this.locks,
    });
    this.archive = new OverlayArchive({
      paths: p, store: this.store, layers: this.layers, files: this.files, instanceId: this.opts.instanceId, log: this.log, locks: this.locks,
    });
    const helper = { image: this.opts.helperImage };
    if ((await bestEffort(this.log, 'looking for the helper image', helper, () => this.opts.images.exists(this.opts.helperImage))) === false) {
      this.log.warn(helper, 'helper image missing: flattening will fail until scripts/build-base-image.sh runs');
    }
    await this.store.load();
    // Another replica at work on this data directory: its half-made layers are not a crash's.
    if (this.opts.sweep !== false) {
      // Roll forward: an upper whose directories a crash left uncreated gets them now.
      for (const v of this.store.allVolumes()) {
        if (!existsSync(this.paths.layer(v.upper))) await this.makeUpper(v.upper, v.chain[0]);
        await fs.mkdir(this.paths.work(v.upper), { recursive: true });
      }
      await this.layers.sweep();
    }
    this.initialized = true;
    this.log.info({ volumes: this.store.allVolumes().length, snapshots: this.store.allSnapshots().length, fileOps: mode }, 'volume data ready');
  }

  dockerVolumeName(volumeId: string): string {
    return `snapstack-${this.opts.instanceId}-${volumeId}`;
  }

  listVolumeIds(): string[] {
    return this.store.allVolumes().map((v) => v.volumeId);
  }

  listSnapshotIds(): string[] {
    return this.store.allSnapshots().map((s) => s.snapshotId);
  }

  /** Each volume's Docker volume goes with its data; then the reconcile sweeps what no data accounts for (and finished helpers). */
  async removeAll(keep: Set<string>): Promise<{ dockerVolumes: number }> {
    const volumes = await removeAllData(this, keep);
    const { orphans } = await this.reconcile();
    return { dockerVolumes: volumes.length + orphans.length };
  }

  /**
   * Locks the new volume, and a source volume (its capture changes it); a source snapshot is
   * only held shared (cloneSourceKey; its layers pinned): its chain never changes what it reads,
   * so any number of clones of it run at once, and deleteSnapshot waits for them (in every replica).
   */
  async createVolume(volumeId: string, opts: { projectId: string; fromSnapshotId?: string; fromVolumeId?: string }): Promise<void> {
    const { keys, shared } = createVolumeLocks(volumeId, opts);
    const started = Date.now();
    await this.locks.withLocks(keys, async () => {
      if (this.store.volume(volumeId)) throw new DataExistsError('volume', volumeId);
      let capture: Capture = { chain: [], mode: 'unchanged' };
      if (opts.fromSnapshotId) {
        capture.chain = [...this.requireSnapshot(opts.fromSnapshotId).chain];
        this.layers.pin(capture.chain);
      }
      try {
        if (opts.fromVolumeId) capture = await this.capture(this.requireVolume(opts.fromVolumeId));
        await this.cloneInto(volumeId, opts.projectId, capture);
      } finally {
        if (opts.fromSnapshotId) this.layers.unpin(capture.chain);
      }
      this.log.info(
        { volume_id: volumeId, project_id: opts.projectId, from_snapshot: opts.fromSnapshotId, from_volume: opts.fromVolumeId, source_capture: capture.mode, depth: capture.chain.length, ms: Date.now() - started },
        'volume data created',
      );
      this.maybeFlatten(volumeId, capture.chain.length);
    }, { shared });
  }

  /** A new volume over `capture`'s chain: its upper, manifest and Docker volume; undone on failure. */
  private async cloneInto(volumeId: string, projectId: string, capture: Capture): Promise<void> {
    const upper = this.layers.newPinned();
    // Recorded as the Docker volume's chain at once (it is the one about to be made): one manifest write, not two.
    const manifest: VolumeManifest = {
      version: 1, volumeId, projectId, chain: [...capture.chain], upper, dockerChain: [...capture.chain], dockerUpper: upper, createdAt: new Date().toISOString(),
    };
    try {
      await this.makeUpper(upper, capture.chain[0]);
      await this.store.putVolume(manifest);
      if ((await this.refreshDockerVolume(manifest)) === 'busy') {
        throw new DataBusyError(`a Docker volume named for ${volumeId} already exists and containers reference it`, volumeId);
      }
    } catch (err) {
      await bestEffort(this.log, 'removing the manifest of a volume not made', { volume_id: volumeId }, () => this.store.removeVolume(volumeId));
      await bestEffort(this.log, 'removing the Docker volume of a volume not made', { volume_id: volumeId }, () => removeVolume(this.docker, this.dockerVolumeName(volumeId)));
      this.layers.unpin([upper, capture.copy]);
      await this.layers.collect([upper, capture.copy, ...capture.chain]);
      throw err;
    }
    this.layers.unpin([upper, capture.copy]);
  }

  async ensureImageSnapshot(key: string, dockerImage: string): Promise<'made' | 'found'> {
    return this.locks.withLock(key, async () => {
      if (this.store.snapshot(key)) return 'found';
      const started = Date.now();
      const layerId = `${this.opts.instanceId}-fs-${key}`;
      const staging = await this.archive.beginImport();
      try {
        const writer = await staging.stage(layerId);
        const labels = managedLabels(this.opts.instanceId, { [LABELS.role]: 'image-export' });
        await this.opts.images.exportFilesystem(dockerImage, labels, (tar) => writer.fromTar(tar as AsyncIterable<Buffer>)).catch((err: unknown) => {
          if (err instanceof ImageMissing) throw new VolumeDataError(err.message, { cause: err });
          throw err;
        });
        await staging.commit([{ snapshotId: key, projectId: '', volumeId: key, chain: [layerId] }], new Map());
      } catch (err) {
        await staging.abort();
        throw err;
      }
      this.log.info({ snapshot_id: key, docker_image: dockerImage, ms: Date.now() - started }, 'image filesystem layer made');
      return 'made';
    });
  }

  async importAsDockerImage(volumeId: string, ref: string, labels: Record<string, string>): Promise<number> {
    const { dockerVolume } = await this.prepareMount(volumeId);
    const started = Date.now();
    const run = { instanceId: this.opts.instanceId, image: this.opts.helperImage, volume: dockerVolume, log: this.log };
    const { size } = await withVolumeContent(this.docker, run, (tar) => this.opts.images.importFilesystem(tar, ref, managedLabels(this.opts.instanceId, labels)));
    this.log.info({ volume_id: volumeId, docker_image: ref, ms: Date.now() - started }, 'volume content imported as a Docker image');
    return size;
  }

  async deleteVolume(volumeId: string): Promise<void> {
    await this.locks.withLock(volumeId, async () => {
      const name = this.dockerVolumeName(volumeId);
      if ((await removeVolume(this.docker, name)) === 'busy') {
        const users = await containersUsingVolume(this.docker, name);
        throw new DataBusyError(`volume ${volumeId} is used by ${users.length} container(s)`, volumeId, users.map((u) => u.id));
      }
      const v = this.store.volume(volumeId);
      if (!v) return;
      await this.store.removeVolume(volumeId);
      await this.layers.collect([...v.chain, v.upper, ...(v.dockerChain ?? []), v.dockerUpper]);
      this.log.info({ volume_id: volumeId }, 'volume data deleted');
    });
  }

  async createSnapshot(snapshotId: string, volumeId: string, opts: { projectId: string }): Promise<void> {
    const started = Date.now();
    await this.locks.withLock(volumeId, async () => {
      const volume = this.requireVolume(volumeId);
      if (this.store.snapshot(snapshotId)) throw new DataExistsError('snapshot', snapshotId);
      const capture = await this.capture(volume);
      const manifest: SnapshotManifest = {
        version: 1,
        snapshotId,
        volumeId,
        projectId: opts.projectId,
        chain: capture.chain,
        createdAt: new Date().toISOString(),
      };
      try {
        await this.store.putSnapshot(manifest);
      } catch (err) {
        await bestEffort(this.log, 'removing the manifest of a snapshot not made', { snapshot_id: snapshotId, volume_id: volumeId }, () => this.store.removeSnapshot(snapshotId));
        this.layers.unpin([capture.copy]);
        await this.layers.collect([capture.copy]);
        throw err;
      }
      this.layers.unpin([capture.copy]);
      this.log.info(
        { snapshot_id: snapshotId, volume_id: volumeId, project_id: opts.projectId, mode: capture.mode, depth: manifest.chain.length, ms: Date.now() - started },
        'snapshot data captured',
      );
      this.maybeFlatten(volumeId, volume.chain.length);
      if (capture.mode === 'copied') this.maybeFlatten(snapshotId, manifest.chain.length);
    });
  }

  /**
   * Waits for the clones of the snapshot in flight (they hold it shared), first without its
   * volume's lock; later clones find it gone.
   */
  async deleteSnapshot(snapshotId: string): Promise<void> {
    const found = this.store.snapshot(snapshotId);
    if (!found) return;
    const source = cloneSourceKey(snapshotId);
    await this.locks.withLock(source, async () => undefined);
    await this.locks.withLocks([found.volumeId, source], async () => {
      const s = this.store.snapshot(snapshotId);
      if (!s) return;
      await this.store.removeSnapshot(snapshotId);
      await this.layers.collect(s.chain);
      this.log.info({ snapshot_id: snapshotId, volume_id: s.volumeId }, 'snapshot data deleted');
    });
  }

  async revertVolume(volumeId: string, snapshotId: string): Promise<void> {
    const keys = [volumeId, this.requireSnapshot(snapshotId).volumeId];
    await this.locks.withLocks(keys, async () => {
      const volume = this.requireVolume(volumeId);
      const snapshot = this.requireSnapshot(snapshotId);
      const users = await containersUsingVolume(this.docker, this.dockerVolumeName(volumeId));
      if (users.length > 0) {
        throw new DataBusyError(`volume ${volumeId} is referenced by ${users.length} container(s)`, volumeId, users.map((u) => u.id));
      }
      const upper = this.layers.newPinned();
      try {
        await this.makeUpper(upper, snapshot.chain[0]);
        const old = [...volume.chain, volume.upper];
        volume.chain = [...snapshot.chain];
        volume.upper = upper;
        await this.store.saveVolume(volumeId);
        await this.refreshDockerVolume(volume);
        await this.layers.collect(old);
      } finally {
        this.layers.unpin([upper]);
      }
      this.log.info({ volume_id: volumeId, snapshot_id: snapshotId, depth: volume.chain.length }, 'volume data reverted');
    });
  }

  async prepareMount(volumeId: string): Promise<{ dockerVolume: string }> {
    return this.locks.withLock(volumeId, async () => {
      const volume = this.requireVolume(volumeId);
      if ((await this.refreshDockerVolume(volume)) === 'busy') {
        const users = await containersUsingVolume(this.docker, this.dockerVolumeName(volumeId));
        throw new DataBusyError(
          `volume ${volumeId} changed since its Docker volume was made; remove the ${users.length} container(s) that reference it first`,
          volumeId,
          users.map((u) => u.id),
        );
      }
      return { dockerVolume: this.dockerVolumeName(volumeId) };
    });
  }

  async snapshotLayers(snapshotId: string): Promise<string[]> {
    return this.requireSnapshot(snapshotId).chain.map((id) => this.paths.layer(id));
  }

  /** Holds the snapshots shared until the export is released, as a clone does: their deletes (in any replica) wait for it. */
  async openExport(snapshotIds: string[]): Promise<LayerExport> {
    const letGo = await holdLocks(this.locks, [], { shared: snapshotIds.map(cloneSourceKey) });
    try {
      const ex = await this.archive.openExport(snapshotIds);
      return {
        ...ex,
        release: () => {
          ex.release();
          letGo();
        },
      };
    } catch (err) {
      letGo();
      throw err;
    }
  }

  beginImport(): Promise<LayerImport> {
    return this.archive.beginImport();
  }

  async flatten(volumeOrSnapshotId: string): Promise<void> {
    if (!this.store.volume(volumeOrSnapshotId) && !this.store.snapshot(volumeOrSnapshotId)) {
      throw new DataNotFoundError('volume', volumeOrSnapshotId);
    }
    await this.queue.push(() => this.flattenAndRefresh(volumeOrSnapshotId));
  }

  whenIdle(): Promise<void> {
    return this.queue.idle();
  }

  async reconcile(): Promise<{ repaired: string[]; orphans: string[] }> {
    const repaired: string[] = [];
    for (const { volumeId } of this.store.allVolumes()) {
      await this.locks.withLock(volumeId, async () => {
        const v = this.store.volume(volumeId);
        if (!v) return;
        const result = await this.refreshDockerVolume(v);
        if (result === 'created' || result === 'recreated') repaired.push(volumeId);
      });
    }
    // With the flatten turn: no background flatten's temporary volume (any replica's) is then in use.
    const orphans = await this.locks.withLock(FLATTEN_TURN, () => sweepDockerLeftovers(this.docker, this.opts.instanceId, {
      hasVolume: (id) => this.store.volume(id) !== undefined,
      isActiveTemp: (name) => this.flattener.isActive(name),
    }, this.log));
    if (repaired.length || orphans.length) this.log.warn({ repaired, orphans }, 'volume data reconciled');
    return { repaired, orphans };
  }

  /**
   * Makes the volume's current chain available as a layer list that no later
   * write to the volume can change. Frozen (free) when no container runs on it;
   * copied under pause otherwise. The caller holds the volume's lock.
   */
  private async capture(volume: VolumeManifest): Promise<Capture> {
    if (await this.upperUnchanged(volume)) return { chain: [...volume.chain], mode: 'unchanged' };
    const name = this.dockerVolumeName(volume.volumeId);
    const users = await containersUsingVolume(this.docker, name);
    const running = users.filter(isMounted);
    if (running.length > 0) {
      const copy = this.layers.newPinned();
      await fs.mkdir(this.paths.layer(copy));
      const started = Date.now();
      try {
        const paused = await pauseRunning(this.docker, running, this.log, { volume_id: volume.volumeId });
        try {
          await this.files.copyTree(this.paths.layer(volume.upper), this.paths.layer(copy));
        } finally {
          await releaseAll(paused, this.log, { volume_id: volume.volumeId }); // always, and before any cleanup
        }
      } catch (err) {
        this.layers.unpin([copy]);
        await this.layers.collect([copy]);
        throw err;
      }
      this.log.info({ volume_id: volume.volumeId, containers: running.map((c) => c.id), paused_ms: Date.now() - started }, 'live volume captured under pause');
      return { chain: [copy, ...volume.chain], mode: 'copied', copy };
    }
    // Freeze: the upper becomes a read-only layer; a fresh upper goes on top.
    const upper = this.layers.newPinned();
    try {
      await this.makeUpper(upper, volume.upper);
      const frozen = volume.upper;
      volume.chain.unshift(frozen);
      volume.upper = upper;
      await this.store.saveVolume(volume.volumeId);
      // The stale Docker volume names the frozen layer as its upperdir: removing the
      // workdir makes any mount of it fail rather than write into a snapshot.
      await this.files.removeTrees([this.paths.work(frozen)]);
    } finally {
      this.layers.unpin([upper]);
    }
    if (users.length === 0) await this.refreshDockerVolume(volume);
    else this.log.info({ volume_id: volume.volumeId, containers: users.map((u) => u.id) }, 'docker volume stale until prepareMount');
    return { chain: [...volume.chain], mode: 'frozen' };
  }

  /** Nothing written since the last freeze: the chain already is the content. */
  private async upperUnchanged(volume: VolumeManifest): Promise<boolean> {
    if (volume.chain.length === 0) return false;
    try {
      const upper = this.paths.layer(volume.upper);
      if ((await fs.readdir(upper)).length > 0) return false;
      return sameRootAttrs(await fs.stat(upper), await fs.stat(this.paths.layer(volume.chain[0])));
    } catch {
      return false; // unreadable (e.g. chmod 700 by a container while we are not root): assume changed
    }
  }

  /**
   * Brings the Docker volume in line with the manifest. 'busy' when it is stale
   * but a container references it (it cannot be removed then).
   */
  private async refreshDockerVolume(volume: VolumeManifest): Promise<DockerRefresh> {
    let options = this.mountOptions(volume);
    if (options.length > this.maxOptions) {
      this.log.warn({ volume_id: volume.volumeId, depth: volume.chain.length }, 'chain too long for a mount: flattening now');
      await this.flattener.flattenHeld(volume);
      options = this.mountOptions(volume);
      if (options.length > this.maxOptions) throw new VolumeDataError(`mount options of volume ${volume.volumeId} are too long even flattened`);
    }
    const name = this.dockerVolumeName(volume.volumeId);
    const existing = await inspectVolumeOptions(this.docker, name);
    if (existing && existing.options === options) {
      await this.recordDockerChain(volume);
      return 'current';
    }
    if (existing && (await removeVolume(this.docker, name)) === 'busy') return 'busy';
    const labels = managedLabels(this.opts.instanceId, { [LABELS.project]: volume.projectId, [LABELS.volume]: volume.volumeId });
    await createOverlayVolume(this.docker, { name, options, labels });
    await this.recordDockerChain(volume);
    this.log.debug({ volume_id: volume.volumeId, docker_volume: name, depth: volume.chain.length }, existing ? 'docker volume re-created' : 'docker volume created');
    return existing ? 'recreated' : 'created';
  }

  private async recordDockerChain(volume: VolumeManifest): Promise<void> {
    if (volume.dockerUpper === volume.upper && volume.dockerChain?.join() === volume.chain.join()) return;
    const old = [...(volume.dockerChain ?? []), volume.dockerUpper];
    volume.dockerChain = [...volume.chain];
    volume.dockerUpper = volume.upper;
    await this.store.saveVolume(volume.volumeId);
    await this.layers.collect(old);
  }

  private mountOptions(volume: VolumeManifest): string {
    const lowers = volume.chain.length > 0 ? volume.chain.map((id) => this.paths.layer(id)) : [this.paths.emptyDir];
    return `lowerdir=${lowers.join(':')},upperdir=${this.paths.layer(volume.upper)},workdir=${this.paths.work(volume.upper)}`;
  }

  /** Creates an upper and its workdir; its root takes the owner and mode of `template` (the layer below). */
  private async makeUpper(upper: string, templateLayer?: string): Promise<void> {
    const dir = this.paths.layer(upper);
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await fs.mkdir(this.paths.work(upper), { recursive: true, mode: 0o755 });
    if (templateLayer) await this.files.cloneRootAttrs(this.paths.layer(templateLayer), dir);
    else await fs.chmod(dir, 0o755);
  }

  private maybeFlatten(id: string, depth: number): void {
    if (depth <= this.opts.maxChainDepth) return;
    this.log.info({ id, depth, max: this.opts.maxChainDepth }, 'chain too deep: flattening in the background');
    this.queue.push(() => this.flattenAndRefresh(id)).catch((err: unknown) => this.log.error({ err, id }, 'background flatten failed'));
  }

  /** Flattens, then re-creates the Docker volumes now stale whose volume no container references. */
  private async flattenAndRefresh(id: string): Promise<void> {
    const changed = await this.flattener.flatten(id);
    for (const volumeId of changed) {
      await this.locks.withLock(volumeId, async () => {
        const v = this.store.volume(volumeId);
        if (v && (await containersUsingVolume(this.docker, this.dockerVolumeName(volumeId))).length === 0) {
          await this.refreshDockerVolume(v);
        }
      });
    }
  }

  private requireVolume(id: string): VolumeManifest {
    const v = this.store.volume(id);
    if (!v) throw new DataNotFoundError('volume', id);
    return v;
  }

  private requireSnapshot(id: string): SnapshotManifest {
    const s = this.store.snapshot(id);
    if (!s) throw new DataNotFoundError('snapshot', id);
    return s;
  }
}
