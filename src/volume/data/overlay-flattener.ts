import * as fs from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABELS, managedLabels } from '../../runtime/docker-engine';
import { createOverlayVolume, removeVolume, runHelper } from './docker-ops';
import { helperCopyCommand } from './layer-files';
import type { LayerRegistry } from './layer-registry';
import { replaceSuffix, type CowPaths, type ManifestStore, type VolumeManifest } from './manifest-store';
import { cloneSourceKey } from './volume-data-driver';
import type { ResourceLocks } from '../../shared/resource-locks';

export interface FlattenerDeps {
  docker: Docker;
  paths: CowPaths;
  store: ManifestStore;
  instanceId: string;
  helperImage: string;
  maxOptions: number;
  log: Logger;
  layers: LayerRegistry;
  /** Volume keys and snapshots' clone-source keys (the driver's), and the turn. */
  locks: ResourceLocks;
}

/** The lock whose holder is the one background flatten under way, across replicas (ResourceLocks). */
export const FLATTEN_TURN = 'flatten:turn';

/** Chains rewritten to the merged layer, and snapshots left as they were because they were being read. */
interface Rewritten {
  volumes: string[];
  snapshots: string[];
  busy: string[];
}

type Rewrite = (suffix: string[], merged: string) => Promise<Rewritten>;

/**
 * Merges a chain of read-only layers into one: a helper container copies the
 * merged view of a temporary read-only overlay volume (lowers only) into a new
 * layer. The copy holds no volume lock: layers are immutable and the ones read
 * are pinned. Then each chain still ending with those layers gets the merged
 * one, one at a time under its own lock (a volume's key, a snapshot's
 * clone-source key, exclusive), re-read there: a chain another replica changed
 * meanwhile is rewritten as it is now, or kept when it no longer ends with them
 * (its old layers are as valid as the merged one, and stay while it needs them).
 * A snapshot being read (a clone, an export, an import holds it shared) is not
 * waited for: it keeps its chain, and a later flatten merges it.
 */
export class OverlayFlattener {
  private readonly active = new Set<string>();

  constructor(private readonly d: FlattenerDeps) {}

  /** True for the temporary Docker volume of a flatten in progress in this process. */
  isActive(dockerVolumeName: string): boolean {
    return this.active.has(dockerVolumeName);
  }

  /**
   * Background: flattens the chain of a volume or snapshot, rewriting every chain that shares
   * the merged layers, one flatten at a time across replicas (FLATTEN_TURN). The caller holds
   * no volume lock. Returns the ids of volumes whose chain changed.
   */
  flatten(id: string): Promise<string[]> {
    return this.d.locks.withLock(FLATTEN_TURN, () => this.flattenChain(id, (suffix, merged) => this.rewriteAll(suffix, merged)));
  }

  /**
   * Before a mount whose options would not fit: the caller holds the volume's lock, so only
   * its chain is rewritten, and without the turn (whose holder may be waiting for that lock).
   */
  async flattenHeld(volume: VolumeManifest): Promise<void> {
    await this.flattenChain(volume.volumeId, async (suffix, merged) => ({
      volumes: (await this.rewriteChain(volume, suffix, merged, () => this.d.store.saveVolume(volume.volumeId))) ? [volume.volumeId] : [], snapshots: [], busy: [],
    }));
  }

  private async flattenChain(id: string, rewrite: Rewrite): Promise<string[]> {
    const changedVolumes = new Set<string>();
    let missed = 0;
    for (;;) {
      const chain = this.d.store.volume(id)?.chain ?? this.d.store.snapshot(id)?.chain;
      if (!chain || chain.length < 2) break;
      // A chain too long for one mount goes in pieces, from the bottom up.
      const suffix = this.fittingSuffix(chain);
      const changed = await this.merge(suffix, rewrite);
      changed.volumes.forEach((v) => changedVolumes.add(v));
      if (changed.busy.includes(id)) break; // being read: left for a later flatten
      if (!changed.volumes.includes(id) && !changed.snapshots.includes(id)) {
        // Its chain changed while the layers were copied: look at it again (twice at most).
        if (++missed > 2) break;
        this.d.log.info({ id, layers: suffix.length }, 'chain changed during its flatten: looking again');
        continue;
      }
      if (suffix.length === chain.length) break;
    }
    return [...changedVolumes];
  }

  private fittingSuffix(chain: string[]): string[] {
    let length = 'lowerdir='.length;
    let start = chain.length;
    while (start > 0) {
      const next = length + this.d.paths.layer(chain[start - 1]).length + 1;
      if (next > this.d.maxOptions && chain.length - start >= 2) break;
      length = next;
      start--;
    }
    return chain.slice(start);
  }

  private async merge(suffix: string[], rewrite: Rewrite): Promise<Rewritten> {
    const { docker, paths, log } = this.d;
    const merged = this.d.layers.newPinned();
    this.d.layers.pin(suffix);
    const name = `snapstack-${this.d.instanceId}-flat-${merged}`;
    const started = Date.now();
    this.active.add(name);
    try {
      await fs.mkdir(paths.layer(merged));
      await createOverlayVolume(docker, {
        name,
        options: `lowerdir=${suffix.map((id) => paths.layer(id)).join(':')}`,
        labels: managedLabels(this.d.instanceId, { [LABELS.role]: 'flatten' }),
      });
      try {
        await runHelper(docker, {
          image: this.d.helperImage,
          instanceId: this.d.instanceId,
          role: 'flatten',
          cmd: helperCopyCommand('/src', '/dst'),
          binds: [`${name}:/src:ro`, `${paths.layer(merged)}:/dst`],
          log,
        });
      } finally {
        await removeVolume(docker, name).catch((err: unknown) => log.warn({ err, docker_volume: name }, 'temporary flatten volume not removed'));
      }
      const changed = await rewrite(suffix, merged);
      log.info({ layers: suffix.length, merged, volumes: changed.volumes, snapshots: changed.snapshots, busy: changed.busy, ms: Date.now() - started }, 'chain flattened');
      return changed;
    } finally {
      this.active.delete(name);
      this.d.layers.unpin([merged, ...suffix]);
      await this.d.layers.collect([merged, ...suffix]);
    }
  }

  /**
   * Every chain ending with `suffix`, each under its own lock; looked for again until none is
   * left unvisited (one another replica made from them meanwhile gets the merged layer too).
   */
  private async rewriteAll(suffix: string[], merged: string): Promise<Rewritten> {
    const { store, locks } = this.d;
    const changed: Rewritten = { volumes: [], snapshots: [], busy: [] };
    const seen = new Set<string>();
    for (;;) {
      const found = store.endingWith(suffix);
      const volumes = found.volumes.filter((id) => !seen.has(`v:${id}`));
      const snapshots = found.snapshots.filter((id) => !seen.has(`s:${id}`));
      if (volumes.length + snapshots.length === 0) return changed;
      for (const id of volumes) {
        seen.add(`v:${id}`);
        const done = await locks.withLock(id, () => this.rewriteChain(store.volume(id), suffix, merged, () => store.saveVolume(id)));
        if (done) changed.volumes.push(id);
      }
      for (const id of snapshots) {
        seen.add(`s:${id}`);
        const held = await locks.withLockIfFree(cloneSourceKey(id), () => this.rewriteChain(store.snapshot(id), suffix, merged, () => store.saveSnapshot(id)));
        if (!held) changed.busy.push(id);
        else if (held.value) changed.snapshots.push(id);
      }
    }
  }

  /**
   * A volume's or snapshot's chain (`m`, gone: undefined) given the merged layer if it still ends
   * with `suffix`, then saved. The caller holds its lock (the volume's key, or the snapshot's
   * clone-source key) and read `m` under it.
   */
  private async rewriteChain(m: { chain: string[] } | undefined, suffix: string[], merged: string, save: () => Promise<void>): Promise<boolean> {
    const next = m && replaceSuffix(m.chain, suffix, merged);
    if (!m || !next) return false;
    m.chain = next;
    await save();
    return true;
  }
}
