/**
 * Writes an archive file in one pass over the data, with memory flat in the data's size.
 *
 * The inner tar of a layer is encoded deterministically from the layer's entries, so its
 * exact size is known before any byte is read (the outer tar needs sizes up front). Its
 * sha256 is only known once streamed: manifest.json goes first with placeholder digests of
 * the same length, and is overwritten in place once the layers are written. The file is
 * written as `<name>.partial` and renamed when complete, so a listed archive is never half one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { LayerEntry } from '../volume/volume-api';
import { BLOCK, END_OF_ARCHIVE, TarHeader, encodeHeader, entrySize, padding } from '../shared/tar-encoding';
import {
  CHECKSUMS_NAME, MANIFEST_NAME, OPAQUE_MARKER, WHITEOUT_PREFIX, formatChecksums, layerEntryName, storedLayers,
  type ArchiveManifest,
} from './archive-format';
import { baseName, parentOf } from './archive-paths';
import type { Logger } from '../logger';
import { bestEffort } from '../shared/best-effort';

/** A layer to store: its entries (already walked) and how to read a file's bytes. */
export interface LayerToWrite {
  id: string;
  entries: LayerEntry[];
  open(entry: LayerEntry): Readable;
}

export interface WriteProgress {
  written: number;
  total: number;
}

export interface WrittenArchive {
  file: string;
  bytes: number;
  manifest: ArchiveManifest;
  /** sha256 of every stored layer's tar. */
  digests: Map<string, string>;
}

const PLACEHOLDER = '0'.repeat(64);
const FLUSH_AT = 1024 * 1024;
export const PARTIAL_SUFFIX = '.partial';

/** The inner-tar header of a layer entry (OCI form: whiteouts and opaque markers are empty files). */
export function layerTarHeader(e: LayerEntry): TarHeader {
  const base = { mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: Math.max(0, e.mtime), size: 0 };
  switch (e.type) {
    case 'directory':
      return { ...base, name: e.path === '' ? './' : `${e.path}/`, type: 'directory' };
    case 'opaque':
      return { ...base, mode: 0o644, name: e.path === '' ? OPAQUE_MARKER : `${e.path}/${OPAQUE_MARKER}`, type: 'file' };
    case 'whiteout': {
      const parent = parentOf(e.path);
      const name = `${WHITEOUT_PREFIX}${baseName(e.path)}`;
      return { ...base, name: parent ? `${parent}/${name}` : name, type: 'file' };
    }
    case 'symlink':
      return { ...base, name: e.path, type: 'symlink', linkname: e.target };
    case 'hardlink':
      return { ...base, name: e.path, type: 'link', linkname: e.target };
    case 'file':
      return { ...base, name: e.path, type: 'file', size: e.size };
  }
}

/** Exact size of a layer's tar, and its number of entries, from the entries alone. */
export function planLayerTar(entries: LayerEntry[]): { bytes: number; files: number } {
  let bytes = END_OF_ARCHIVE.length;
  for (const e of entries) bytes += entrySize(layerTarHeader(e));
  return { bytes, files: entries.length };
}

/** Sequential writes through a file handle, small pieces gathered into large writes. */
class FileSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  position = 0;

  constructor(private readonly handle: fs.FileHandle) {}

  async write(buf: Buffer): Promise<void> {
    this.position += buf.length;
    if (buf.length >= FLUSH_AT) {
      await this.flush();
      await this.handle.write(buf);
      return;
    }
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.pendingBytes) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(data);
  }
}

function manifestJson(m: ArchiveManifest): Buffer {
  return Buffer.from(JSON.stringify(m, null, 2) + '\n', 'utf8');
}

/**
 * Writes `file`. `manifest` lists every volume's layers; for the stored ones (not in the base)
 * bytes and files are filled in here, and sha256 once streamed. `layers` gives the stored ones.
 */
export async function writeArchive(
  file: string,
  manifest: ArchiveManifest,
  layers: Map<string, LayerToWrite>,
  opts: { log: Logger; onProgress?: (p: WriteProgress) => void; mtime?: number; rootImagePath?: string },
): Promise<WrittenArchive> {
  const root = manifest.root_image ?? null;
  if (root && !opts.rootImagePath) throw new Error('the manifest has a root_image but no file to write it from');
  const mtime = opts.mtime ?? Math.floor(Date.parse(manifest.created_at) / 1000);
  const stored = storedLayers(manifest);
  const plans = new Map<string, { bytes: number; files: number }>();
  for (const l of stored) {
    const layer = layers.get(l.id);
    if (!layer) throw new Error(`layer ${l.id} has no entries to write`);
    plans.set(l.id, planLayerTar(layer.entries));
  }
  const fill = (m: ArchiveManifest, digests: Map<string, string>): ArchiveManifest => ({
    ...m,
    volumes: m.volumes.map((v) => ({
      ...v,
      layers: v.layers.map((l) => {
        const plan = plans.get(l.id);
        return plan ? { ...l, bytes: plan.bytes, files: plan.files, sha256: digests.get(l.id) ?? PLACEHOLDER } : l;
      }),
    })),
  });
  const draft = manifestJson(fill(manifest, new Map()));
  const checksumsFor = (sha: (id: string) => string, manifestSha: string) => Buffer.from(formatChecksums([
    { name: MANIFEST_NAME, sha256: manifestSha },
    ...stored.map((l) => ({ name: layerEntryName(l.id), sha256: sha(l.id) })),
    ...(root ? [{ name: root.file, sha256: root.sha256 }] : []),
  ]));
  const checksumsLength = checksumsFor(() => PLACEHOLDER, PLACEHOLDER).length;
  const total = BLOCK + draft.length + padding(draft.length)
    + [...plans.values()].reduce((n, p) => n + BLOCK + p.bytes + padding(p.bytes), 0)
    + (root ? BLOCK + root.bytes + padding(root.bytes) : 0)
    + BLOCK + checksumsLength + padding(checksumsLength) + END_OF_ARCHIVE.length;

  const partial = `${file}${PARTIAL_SUFFIX}`;
  const handle = await fs.open(partial, 'wx', 0o644);
  let closed = false;
  const out = new FileSink(handle);
  const digests = new Map<string, string>();
  let lastReport = 0;
  const report = (force = false) => {
    if (!opts.onProgress) return;
    if (force || out.position - lastReport >= 8 * 1024 * 1024) {
      lastReport = out.position;
      opts.onProgress({ written: out.position, total });
    }
  };
  try {
    const outer = (name: string, size: number) => encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime });
    const manifestHeader = outer(MANIFEST_NAME, draft.length);
    await out.write(manifestHeader);
    const manifestOffset = out.position;
    await out.write(draft);
    await out.write(Buffer.alloc(padding(draft.length)));

    for (const l of stored) {
      const layer = layers.get(l.id)!;
      const plan = plans.get(l.id)!;
      await out.write(outer(layerEntryName(l.id), plan.bytes));
      const hash = createHash('sha256');
      let n = 0;
      const emit = async (buf: Buffer) => {
        hash.update(buf);
        n += buf.length;
        await out.write(buf);
        report();
      };
      for (const e of layer.entries) {
        await emit(encodeHeader(layerTarHeader(e)));
        if (e.type !== 'file') continue;
        let read = 0;
        for await (const chunk of layer.open(e) as AsyncIterable<Buffer>) {
          read += chunk.length;
          if (read > e.size) throw new Error(`${e.path} grew while it was archived (layers are read-only)`);
          await emit(chunk);
        }
        if (read !== e.size) throw new Error(`${e.path} shrank while it was archived (layers are read-only)`);
        const pad = padding(e.size);
        if (pad) await emit(Buffer.alloc(pad));
      }
      await emit(END_OF_ARCHIVE);
      if (n !== plan.bytes) throw new Error(`layer ${l.id}: wrote ${n} bytes, planned ${plan.bytes}`);
      await out.write(Buffer.alloc(padding(n)));
      digests.set(l.id, hash.digest('hex'));
    }

    if (root) {
      // Already hashed and sized when it was saved (the manifest carries both): checked again on the way.
      await out.write(outer(root.file, root.bytes));
      const hash = createHash('sha256');
      let n = 0;
      for await (const chunk of createReadStream(opts.rootImagePath!) as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n > root.bytes) throw new Error(`${root.file} grew while it was archived`);
        hash.update(chunk);
        await out.write(chunk);
        report();
      }
      if (n !== root.bytes || hash.digest('hex') !== root.sha256) throw new Error(`${root.file} changed while it was archived`);
      await out.write(Buffer.alloc(padding(n)));
    }

    const final = fill(manifest, digests);
    const finalJson = manifestJson(final);
    if (finalJson.length !== draft.length) throw new Error('manifest changed size between draft and final');
    const manifestSha = createHash('sha256').update(finalJson).digest('hex');
    const checksums = checksumsFor((id) => digests.get(id)!, manifestSha);
    await out.write(outer(CHECKSUMS_NAME, checksums.length));
    await out.write(checksums);
    await out.write(Buffer.alloc(padding(checksums.length)));
    await out.write(END_OF_ARCHIVE);
    await out.flush();
    if (out.position !== total) throw new Error(`archive is ${out.position} bytes, planned ${total}`);
    await handle.write(finalJson, 0, finalJson.length, manifestOffset);
    await handle.sync();
    await handle.close();
    closed = true;
    report(true); // the last moment an export can still fail (fault injection's mid-way point)
    await fs.rename(partial, file);
    await syncDir(path.dirname(file));
    report(true);
    return { file, bytes: out.position, manifest: final, digests };
  } catch (err) {
    if (!closed) await bestEffort(opts.log, 'closing a failed archive', { file: partial }, () => handle.close());
    await fs.rm(partial, { force: true });
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
