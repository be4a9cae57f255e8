import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { LayerFileOps } from './layer-files';
import type { CowPaths, ManifestStore } from './manifest-store';
import { orNullIfGone } from '../../shared/best-effort';

/**
 * Layer lifetimes. A layer lives while a manifest references it (reference
 * counts are derived from all manifests, never stored) or while an operation
 * in flight has pinned it (created, not yet recorded; or being read by a flatten).
 * Collection is targeted: only the candidates an operation just released are
 * examined, so a layer another operation is still building is never taken.
 */
export class LayerRegistry {
  private readonly pins = new Map<string, number>();
  /** Candidates that were pinned when examined: looked at again on the next collection. */
  private readonly deferred = new Set<string>();

  constructor(
    private readonly paths: CowPaths,
    private readonly store: ManifestStore,
    private readonly files: LayerFileOps,
    private readonly log: Logger,
  ) {}

  /** A fresh layer id, pinned; the caller unpins it once a manifest references it (or on failure). */
  newPinned(): string {
    const refs = this.store.referencedLayers();
    const id = this.paths.newLayerId((x) => refs.has(x) || this.pins.has(x));
    this.pin([id]);
    return id;
  }

  pin(ids: Array<string | undefined>): void {
    for (const id of ids) if (id) this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  unpin(ids: Array<string | undefined>): void {
    for (const id of ids) {
      if (!id) continue;
      const n = (this.pins.get(id) ?? 0) - 1;
      if (n > 0) this.pins.set(id, n);
      else this.pins.delete(id);
    }
  }

  /** Deletes those of `candidates` that no manifest and no operation in flight needs. */
  async collect(candidates: Array<string | undefined>): Promise<void> {
    const refs = this.store.referencedLayers();
    const garbage: string[] = [];
    for (const id of new Set([...candidates, ...this.deferred])) {
      if (!id) continue;
      if (refs.has(id)) this.deferred.delete(id);
      else if (this.pins.has(id)) this.deferred.add(id);
      else {
        garbage.push(id);
        this.deferred.delete(id);
      }
    }
    if (garbage.length === 0) return;
    await this.files.removeTrees(garbage.flatMap((id) => [this.paths.layer(id), this.paths.work(id), this.paths.key(id)]));
    this.log.debug({ layers: garbage }, 'layers collected');
  }

  /** At start only (nothing in flight): removes layers and workdirs no manifest needs, e.g. after a crash. */
  async sweep(): Promise<void> {
    const refs = this.store.referencedLayers();
    const uppers = new Set(this.store.allVolumes().map((v) => v.upper));
    const stray = [
      ...(await fs.readdir(this.paths.layersDir)).filter((id) => !refs.has(id)).map((id) => this.paths.layer(id)),
      ...(await fs.readdir(this.paths.workDirs)).filter((id) => !uppers.has(id)).map((id) => this.paths.work(id)),
      ...((await orNullIfGone(fs.readdir(this.paths.keysDir))) ?? [])
        .filter((name) => !refs.has(name.replace(/\.json$/, '')))
        .map((name) => path.join(this.paths.keysDir, name)),
      // Imports a crash interrupted: nothing was registered from them.
      ...((await orNullIfGone(fs.readdir(this.paths.stagingDir))) ?? []).map((name) => path.join(this.paths.stagingDir, name)),
    ];
    if (stray.length === 0) return;
    await this.files.removeTrees(stray);
    this.log.info({ removed: stray.length }, 'stray layer directories removed');
  }
}
