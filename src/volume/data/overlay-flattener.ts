import * as fs from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABELS, managedLabels } from '../../runtime/docker-engine';
import { createOverlayVolume, removeVolume, runHelper } from './docker-ops';
import { helperCopyCommand } from './layer-files';
import type { LayerRegistry } from './layer-registry';
import type { CowPaths, ManifestStore } from './manifest-store';

export interface FlattenerDeps {
  docker: Docker;
  paths: CowPaths;
  store: ManifestStore;
  instanceId: string;
  helperImage: string;
  maxOptions: number;
  log: Logger;
  layers: LayerRegistry;
}

/**
 * Merges a chain of read-only layers into one: a helper container copies the
 * merged view of a temporary read-only overlay volume (lowers only) into a new
 * layer. Layers are immutable, so the result is valid for every chain ending
 * with the same layers; those chains all get it, in one synchronous rewrite.
 * Takes no volume lock: it never changes what any volume or snapshot reads.
 */
export class OverlayFlattener {
  private readonly active = new Set<string>();

  constructor(private readonly d: FlattenerDeps) {}

  /** True for the temporary Docker volume of a flatten in progress. */
  isActive(dockerVolumeName: string): boolean {
    return this.active.has(dockerVolumeName);
  }

  /** Flattens the chain of a volume or snapshot to one layer; returns the ids of volumes whose chain changed. */
  async flatten(id: string): Promise<string[]> {
    const changedVolumes = new Set<string>();
    for (;;) {
      const chain = this.d.store.volume(id)?.chain ?? this.d.store.snapshot(id)?.chain;
      if (!chain || chain.length < 2) break;
      // A chain too long for one mount goes in pieces, from the bottom up.
      const suffix = this.fittingSuffix(chain);
      const changed = await this.merge(suffix);
      changed.volumes.forEach((v) => changedVolumes.add(v));
      if (suffix.length === chain.length || changed.volumes.length + changed.snapshots.length === 0) break;
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

  private async merge(suffix: string[]): Promise<{ volumes: string[]; snapshots: string[] }> {
    const { docker, paths, store, log } = this.d;
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
      const changed = store.replaceChainSuffix(suffix, merged);
      await Promise.all([...changed.volumes.map((v) => store.saveVolume(v)), ...changed.snapshots.map((s) => store.saveSnapshot(s))]);
      log.info({ layers: suffix.length, merged, volumes: changed.volumes, snapshots: changed.snapshots, ms: Date.now() - started }, 'chain flattened');
      return changed;
    } finally {
      this.active.delete(name);
      this.d.layers.unpin([merged, ...suffix]);
      await this.d.layers.collect([merged, ...suffix]);
    }
  }
}
