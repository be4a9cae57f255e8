import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Where copy-on-write state lives, under `<dataDir>/cow/`. Layer ids are 8 hex
 * characters so a chain's overlay mount options stay well under one page.
 */
export class CowPaths {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = path.join(path.resolve(dataDir), 'cow');
  }
  get layersDir(): string {
    return path.join(this.root, 'l');
  }
  get workDirs(): string {
    return path.join(this.root, 'w');
  }
  get volumesDir(): string {
    return path.join(this.root, 'volumes');
  }
  get snapshotsDir(): string {
    return path.join(this.root, 'snapshots');
  }
  /** Shared, never-written lowerdir for volumes whose chain is empty (overlay needs one lowerdir). */
  get emptyDir(): string {
    return path.join(this.root, 'empty');
  }
  /** Archive ids of imported layers (k/<layer id>.json), see overlay-archive.ts. */
  get keysDir(): string {
    return path.join(this.root, 'k');
  }
  /** Where archive imports stage layers before they are moved into l/ (emptied at start). */
  get stagingDir(): string {
    return path.join(this.root, 'staging');
  }
  layer(id: string): string {
    return path.join(this.layersDir, id);
  }
  work(id: string): string {
    return path.join(this.workDirs, id);
  }
  key(id: string): string {
    return path.join(this.keysDir, `${id}.json`);
  }
  /** A layer id unused on disk; callers pin or reference it before awaiting anything. */
  newLayerId(taken: (id: string) => boolean): string {
    for (;;) {
      const id = randomBytes(4).toString('hex');
      if (!taken(id) && !existsSync(this.layer(id)) && !existsSync(this.work(id)) && !existsSync(this.key(id))) return id;
    }
  }
}

export interface VolumeManifest {
  version: 1;
  volumeId: string;
  projectId: string;
  /** Read-only layers, top first. Empty for a volume never frozen. */
  chain: string[];
  /** The writable layer (overlay upperdir; its workdir is w/<upper>). */
  upper: string;
  /** What the Docker volume was last created with; its layers stay alive while it may be mounted. */
  dockerChain?: string[];
  dockerUpper?: string;
  createdAt: string;
}

export interface SnapshotManifest {
  version: 1;
  snapshotId: string;
  volumeId: string;
  projectId: string;
  /** Read-only layers, top first. */
  chain: string[];
  createdAt: string;
}

/**
 * Manifests in memory (the truth while running) mirrored to JSON files with
 * atomic writes. Mutations happen synchronously on the in-memory objects; a
 * save writes whatever the object holds when its turn comes, and writes to one
 * file are queued, so the file always ends with the latest state.
 */
export class ManifestStore {
  private readonly volumes = new Map<string, VolumeManifest>();
  private readonly snapshots = new Map<string, SnapshotManifest>();
  private readonly writes = new Map<string, Promise<void>>();

  /** shared: other processes (replicas) write these files too, so reads check the files first. */
  constructor(private readonly paths: CowPaths, private readonly shared = false) {}

  /** Each file's modification time when this process last read or wrote it (shared mode). */
  private readonly seen = new Map<string, number>();

  /**
   * Shared mode: the manifest as its file holds it now. The in-memory object is kept while its
   * file is unchanged since this process read or wrote it, or while a write of it is queued
   * here (so an object being changed in place is never swapped under its caller).
   */
  private fresh<T>(kind: 'volumes' | 'snapshots', id: string, map: Map<string, T>): T | undefined {
    if (!this.shared) return map.get(id);
    const file = this.file(kind, id);
    if (this.writes.has(file)) return map.get(id);
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      map.delete(id);
      this.seen.delete(file);
      return undefined;
    }
    if (this.seen.get(file) === mtime && map.has(id)) return map.get(id);
    try {
      const value = JSON.parse(readFileSync(file, 'utf8')) as T;
      map.set(id, value);
      this.seen.set(file, mtime);
      return value;
    } catch {
      return map.get(id); // mid-rename or unreadable: what this process knew
    }
  }

  /** Shared mode: every manifest file, read again where it changed (see fresh). */
  private sync(): void {
    if (!this.shared) return;
    for (const [kind, map] of [['volumes', this.volumes], ['snapshots', this.snapshots]] as const) {
      const dir = kind === 'volumes' ? this.paths.volumesDir : this.paths.snapshotsDir;
      let names: string[] = [];
      try {
        names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
      } catch { /* no folder yet */ }
      const ids = new Set(names.map((n) => n.slice(0, -'.json'.length)));
      for (const id of [...map.keys()]) if (!ids.has(id)) this.fresh(kind, id, map as Map<string, unknown>);
      for (const id of ids) this.fresh(kind, id, map as Map<string, unknown>);
    }
  }

  async load(): Promise<void> {
    this.volumes.clear();
    this.snapshots.clear();
    for (const m of await readDir<VolumeManifest>(this.paths.volumesDir)) this.volumes.set(m.volumeId, m);
    for (const m of await readDir<SnapshotManifest>(this.paths.snapshotsDir)) this.snapshots.set(m.snapshotId, m);
  }

  volume(id: string): VolumeManifest | undefined {
    return this.fresh('volumes', id, this.volumes);
  }
  snapshot(id: string): SnapshotManifest | undefined {
    return this.fresh('snapshots', id, this.snapshots);
  }
  allVolumes(): VolumeManifest[] {
    this.sync();
    return [...this.volumes.values()];
  }
  allSnapshots(): SnapshotManifest[] {
    this.sync();
    return [...this.snapshots.values()];
  }

  putVolume(m: VolumeManifest): Promise<void> {
    this.volumes.set(m.volumeId, m);
    return this.saveVolume(m.volumeId);
  }
  putSnapshot(m: SnapshotManifest): Promise<void> {
    this.snapshots.set(m.snapshotId, m);
    return this.saveSnapshot(m.snapshotId);
  }
  saveVolume(id: string): Promise<void> {
    return this.enqueue(this.file('volumes', id), () => this.volumes.get(id));
  }
  saveSnapshot(id: string): Promise<void> {
    return this.enqueue(this.file('snapshots', id), () => this.snapshots.get(id));
  }
  removeVolume(id: string): Promise<void> {
    this.volumes.delete(id);
    return this.saveVolume(id);
  }
  removeSnapshot(id: string): Promise<void> {
    this.snapshots.delete(id);
    return this.saveSnapshot(id);
  }

  /** Every layer some manifest needs: chains, uppers, and what Docker volumes were created with. */
  referencedLayers(): Set<string> {
    this.sync();
    const refs = new Set<string>();
    for (const v of this.volumes.values()) {
      v.chain.forEach((l) => refs.add(l));
      refs.add(v.upper);
      v.dockerChain?.forEach((l) => refs.add(l));
      if (v.dockerUpper) refs.add(v.dockerUpper);
    }
    for (const s of this.snapshots.values()) s.chain.forEach((l) => refs.add(l));
    return refs;
  }

  /** The volumes and snapshots whose chain ends with `suffix` now (a flatten's candidates for its merged layer). */
  endingWith(suffix: string[]): { volumes: string[]; snapshots: string[] } {
    this.sync();
    return {
      volumes: [...this.volumes.values()].filter((v) => endsWithLayers(v.chain, suffix)).map((v) => v.volumeId),
      snapshots: [...this.snapshots.values()].filter((s) => endsWithLayers(s.chain, suffix)).map((s) => s.snapshotId),
    };
  }

  /** Resolves when every queued write has landed. */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  private file(kind: 'volumes' | 'snapshots', id: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || id.startsWith('.')) throw new Error(`unsafe id for a file name: ${id}`);
    return path.join(kind === 'volumes' ? this.paths.volumesDir : this.paths.snapshotsDir, `${id}.json`);
  }

  private enqueue(file: string, current: () => object | undefined): Promise<void> {
    const previous = this.writes.get(file) ?? Promise.resolve();
    const next = previous.then(async () => {
      const value = current();
      if (value === undefined) await fs.rm(file, { force: true });
      else await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
      if (this.shared) {
        if (value === undefined) this.seen.delete(file);
        else this.seen.set(file, (await fs.stat(file)).mtimeMs);
      }
    });
    // The caller gets the write's error through `next`; the queue only waits for it to settle.
    const tail = next.then(() => undefined, () => undefined);
    this.writes.set(file, tail);
    void tail.then(() => {
      if (this.writes.get(file) === tail) this.writes.delete(file);
    });
    return next;
  }
}

/** Whether `chain`'s last layers are `suffix`. */
function endsWithLayers(chain: string[], suffix: string[]): boolean {
  const start = chain.length - suffix.length;
  return start >= 0 && suffix.every((layer, i) => chain[start + i] === layer);
}

/** `chain` with `suffix` (its last layers) replaced by `merged`; null when it does not end with `suffix`. */
export function replaceSuffix(chain: string[], suffix: string[], merged: string): string[] | null {
  return endsWithLayers(chain, suffix) ? [...chain.slice(0, chain.length - suffix.length), merged] : null;
}

/** tmp file + fsync + rename + fsync(dir): a crash leaves the old or the new file, never half of one. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function readDir<T>(dir: string): Promise<T[]> {
  const out: T[] = [];
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    if (name.endsWith('.tmp')) await fs.rm(file, { force: true }); // a write cut short by a crash
    else if (name.endsWith('.json')) out.push(JSON.parse(await fs.readFile(file, 'utf8')) as T);
  }
  return out;
}
