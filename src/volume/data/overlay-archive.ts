/**
 * The overlay driver's side of archives (src/archive): layers out as neutral entries, layers
 * in through a staging directory, and the global ids that let an incremental archive name the
 * layers another machine already has.
 *
 * A layer's global id is `<instance id>-<local id>` where it was made; an imported layer keeps
 * the id it arrived with (k/<local id>.json), so a chain exported, imported and re-exported
 * keeps its ids everywhere. Layers are immutable, so an id names the same bytes wherever it is.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { LayerWriter, canKeepOverlayAttributes, openLayerFile, walkLayer, type LayerEntry } from './layer-archive';
import type { LayerFileOps } from './layer-files';
import type { LayerRegistry } from './layer-registry';
import { writeFileAtomic, type CowPaths, type ManifestStore, type SnapshotManifest } from './manifest-store';
import { DataExistsError, DataNotFoundError, VolumeDataError } from './volume-data-errors';
import { bestEffort } from '../../shared/best-effort';
import { holdLocks, type ResourceLocks } from '../../shared/resource-locks';
import { cloneSourceKey } from './volume-data-driver';

export interface ExportedLayer {
  /** Global id (see above). */
  id: string;
  localId: string;
  /** The layer's archive digest, when known (recorded by an earlier export or the import). */
  sha256?: string;
}

/** Snapshots' layers held for reading: none of them is collected until release(). */
export interface LayerExport {
  /** Each snapshot's layers, top first. */
  chains: Map<string, ExportedLayer[]>;
  entries(layerId: string): Promise<LayerEntry[]>;
  open(layerId: string, entry: LayerEntry): Readable;
  /** Remembers a layer's archive digest, so a later incremental import can check its base. */
  recordDigest(layerId: string, sha256: string): Promise<void>;
  release(): void;
}

export interface ImportedSnapshotData {
  snapshotId: string;
  projectId: string;
  /** Recorded as the snapshot's volume (imported snapshots have no volume here). */
  volumeId: string;
  /** Global layer ids, top first: staged ones or ones findExisting returned. */
  chain: string[];
}

/** One import: stage, then commit or abort. Nothing outside the staging directory changes before commit. */
export interface LayerImport {
  /**
   * Layers among `layerIds` already on this machine in a snapshot or volume of one of
   * `projectIds` (an incremental archive's base), with their digest when known. Pinned
   * until commit or abort.
   */
  findExisting(layerIds: string[], projectIds: string[]): Promise<Map<string, { sha256?: string }>>;
  /** A writer for a new layer, staged under the data directory. */
  stage(layerId: string): Promise<LayerWriter>;
  /** Moves the staged layers into place and records the snapshots: all or nothing. */
  commit(snapshots: ImportedSnapshotData[], digests: Map<string, string>): Promise<void>;
  /** Removes what was staged; idempotent, and a no-op after commit. */
  abort(): Promise<void>;
}

interface KeyFile {
  id: string;
  sha256?: string;
}

export interface OverlayArchiveDeps {
  paths: CowPaths;
  store: ManifestStore;
  layers: LayerRegistry;
  files: LayerFileOps;
  instanceId: string;
  log: Logger;
  /** The driver's: an import holds what it reuses through them (see findExisting). */
  locks: ResourceLocks;
}

/** A manifest that references a reused layer: holding it keeps the layer (see findExisting). */
type Holder = { kind: 'snapshot' | 'volume'; id: string };

export class OverlayArchive {
  constructor(private readonly d: OverlayArchiveDeps) {}

  private capable: Promise<boolean> | null = null;

  private async requireRoot(): Promise<void> {
    if (this.d.files.mode !== 'host') {
      throw new VolumeDataError('archives need Snapstack to run as root: layers hold files, whiteouts and attributes only root reads and writes faithfully');
    }
    this.capable ??= canKeepOverlayAttributes(this.d.paths.stagingDir);
    if (!(await this.capable)) {
      throw new VolumeDataError('archives need the trusted.* extended attributes of overlay (CAP_SYS_ADMIN): in a container, add cap_add: [SYS_ADMIN]');
    }
  }

  async openExport(snapshotIds: string[]): Promise<LayerExport> {
    await this.requireRoot();
    const manifests: SnapshotManifest[] = snapshotIds.map((id) => {
      const s = this.d.store.snapshot(id);
      if (!s) throw new DataNotFoundError('snapshot', id);
      return s;
    });
    // Pinned synchronously with the chains read: a flatten or delete cannot take them meanwhile.
    const pinned = [...new Set(manifests.flatMap((s) => s.chain))];
    this.d.layers.pin(pinned);
    let released = false;
    try {
      const byGlobal = new Map<string, ExportedLayer>();
      const chains = new Map<string, ExportedLayer[]>();
      for (const s of manifests) {
        const chain: ExportedLayer[] = [];
        for (const localId of s.chain) {
          const key = await this.keyOf(localId);
          const layer: ExportedLayer = { id: key.id, localId, sha256: key.sha256 };
          byGlobal.set(layer.id, layer);
          chain.push(layer);
        }
        chains.set(s.snapshotId, chain);
      }
      const dirOf = (layerId: string): string => {
        const l = byGlobal.get(layerId);
        if (!l) throw new VolumeDataError(`layer ${layerId} is not part of this export`);
        return this.d.paths.layer(l.localId);
      };
      return {
        chains,
        entries: (layerId) => walkLayer(dirOf(layerId)),
        open: (layerId, entry) => openLayerFile(dirOf(layerId), entry),
        recordDigest: async (layerId, sha256) => {
          const l = byGlobal.get(layerId);
          if (!l || l.sha256 === sha256) return;
          l.sha256 = sha256;
          await writeFileAtomic(this.d.paths.key(l.localId), JSON.stringify({ id: l.id, sha256 } satisfies KeyFile) + '\n');
        },
        release: () => {
          if (released) return;
          released = true;
          this.d.layers.unpin(pinned);
          void this.d.layers.collect(pinned).catch((err: unknown) => this.d.log.warn({ err }, 'layer collection after export failed'));
        },
      };
    } catch (err) {
      this.d.layers.unpin(pinned);
      throw err;
    }
  }

  async beginImport(): Promise<LayerImport> {
    await this.requireRoot();
    const root = path.join(this.d.paths.stagingDir, randomBytes(6).toString('hex'));
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    const staged = new Map<string, { dir: string; writer: LayerWriter }>();
    const existing = new Map<string, string>(); // global id -> local id (pinned)
    let state: 'open' | 'committed' | 'aborted' = 'open';
    const { paths, store, layers, log } = this.d;

    const holds: Array<() => void> = [];
    const unpinExisting = () => {
      layers.unpin([...existing.values()]);
      holds.splice(0).forEach((letGo) => letGo());
    };

    const abort = async () => {
      if (state !== 'open') return;
      state = 'aborted';
      for (const [id, s] of staged) await bestEffort(log, 'aborting a staged layer', { layer: id }, () => s.writer.abort());
      await fs.rm(root, { recursive: true, force: true });
      unpinExisting();
    };

    return {
      /**
       * Each reused layer is held through a manifest that references it, until commit or abort:
       * a snapshot's clone-source key shared (its delete and a flatten of it wait, in every
       * replica, as for a clone), or, for a layer only a volume's chain has, that volume's key
       * shared. Taken in one acquisition, then checked again: a holder gone or changed before
       * it was held is looked for again, and a layer then held by nothing is not found.
       */
      findExisting: async (layerIds, projectIds) => {
        if (state !== 'open') throw new VolumeDataError('this import is over');
        for (let attempt = 1; ; attempt++) {
          const found = await this.findHeld(new Set(layerIds), new Set(projectIds));
          const keys = [...new Set([...found.values()].map(({ holder }) => (holder.kind === 'snapshot' ? cloneSourceKey(holder.id) : holder.id)))];
          const letGo = keys.length > 0 ? await holdLocks(this.d.locks, [], { shared: keys }) : () => undefined;
          if (state !== 'open') {
            letGo(); // aborted while it waited
            throw new VolumeDataError('this import is over');
          }
          const lost = [...found].filter(([, f]) => !this.stillHolds(f.holder, f.localId)).map(([id]) => id);
          if (lost.length > 0 && attempt < 3) {
            letGo();
            continue;
          }
          holds.push(letGo);
          const out = new Map<string, { sha256?: string }>();
          for (const [id, f] of found) {
            if (lost.includes(id)) continue;
            out.set(id, { sha256: f.sha256 });
            if (!existing.has(id)) {
              existing.set(id, f.localId);
              layers.pin([f.localId]);
            }
          }
          return out;
        }
      },

      stage: async (layerId) => {
        if (state !== 'open') throw new VolumeDataError('this import is over');
        if (staged.has(layerId)) throw new VolumeDataError(`layer ${layerId} is staged twice`);
        const dir = path.join(root, String(staged.size));
        await fs.mkdir(dir, { mode: 0o755 });
        const writer = new LayerWriter(dir);
        staged.set(layerId, { dir, writer });
        return writer;
      },

      commit: async (snapshots, digests) => {
        if (state !== 'open') throw new VolumeDataError('this import is over');
        for (const s of snapshots) if (store.snapshot(s.snapshotId)) throw new DataExistsError('snapshot', s.snapshotId);
        const localOf = new Map(existing);
        const moved: string[] = [];
        const written: string[] = [];
        try {
          for (const [layerId, s] of staged) {
            const localId = layers.newPinned();
            moved.push(localId);
            await fs.rename(s.dir, paths.layer(localId));
            await writeFileAtomic(paths.key(localId), JSON.stringify({ id: layerId, sha256: digests.get(layerId) } satisfies KeyFile) + '\n');
            localOf.set(layerId, localId);
          }
          for (const s of snapshots) {
            const chain = s.chain.map((id) => {
              const local = localOf.get(id);
              if (!local) throw new VolumeDataError(`layer ${id} is neither staged nor present`);
              return local;
            });
            written.push(s.snapshotId);
            await store.putSnapshot({ version: 1, snapshotId: s.snapshotId, volumeId: s.volumeId, projectId: s.projectId, chain, createdAt: new Date().toISOString() });
          }
        } catch (err) {
          for (const id of written) await bestEffort(log, 'removing the manifest of a snapshot not imported', { snapshot_id: id }, () => store.removeSnapshot(id));
          layers.unpin(moved);
          await bestEffort(log, 'collecting the layers of an import not made', { layers: moved }, () => layers.collect(moved));
          await abort();
          throw err;
        }
        state = 'committed';
        layers.unpin(moved);
        unpinExisting();
        await fs.rm(root, { recursive: true, force: true });
        log.info({ snapshots: snapshots.map((s) => s.snapshotId), layers_new: moved.length, layers_reused: existing.size }, 'archive layers imported');
      },

      abort,
    };
  }

  /** The wanted layers the projects' manifests reference: local id, digest, and one manifest holding it (a snapshot when one does). */
  private async findHeld(wanted: Set<string>, projects: Set<string>): Promise<Map<string, { localId: string; sha256?: string; holder: Holder }>> {
    const holders = new Map<string, Holder>();
    for (const v of this.d.store.allVolumes()) if (projects.has(v.projectId)) v.chain.forEach((l) => holders.set(l, { kind: 'volume', id: v.volumeId }));
    for (const s of this.d.store.allSnapshots()) if (projects.has(s.projectId)) s.chain.forEach((l) => holders.set(l, { kind: 'snapshot', id: s.snapshotId }));
    const found = new Map<string, { localId: string; sha256?: string; holder: Holder }>();
    for (const [localId, holder] of holders) {
      const key = await this.keyOf(localId);
      if (!wanted.has(key.id) || found.has(key.id) || !existsSync(this.d.paths.layer(localId))) continue;
      found.set(key.id, { localId, sha256: key.sha256, holder });
    }
    return found;
  }

  /** The holder, read again, still references the layer, and the layer is there. */
  private stillHolds(holder: Holder, localId: string): boolean {
    const m = holder.kind === 'snapshot' ? this.d.store.snapshot(holder.id) : this.d.store.volume(holder.id);
    return !!m && m.chain.includes(localId) && existsSync(this.d.paths.layer(localId));
  }

  /** A local layer's global id and known digest. */
  private async keyOf(localId: string): Promise<KeyFile> {
    try {
      const key = JSON.parse(await fs.readFile(this.d.paths.key(localId), 'utf8')) as KeyFile;
      if (typeof key.id === 'string') return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return { id: `${this.d.instanceId}-${localId}` };
  }
}
