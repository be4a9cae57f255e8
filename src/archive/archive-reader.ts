/**
 * Reads an archive as a stream and checks everything on the way: structure, sizes, checksums,
 * and every entry of every layer (paths inside the volume, links inside it, no devices). The
 * entries of a stored layer go to the sink the caller gives (a staging writer, or none to only
 * verify); a caller registers nothing until readArchive has returned.
 *
 * Over 400 lines on purpose: one streaming pass whose checks depend on each other's state (the
 * manifest read first bounds every later entry); kept in one file so the order of checks is one
 * read.
 */
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { extract as tarExtract, type Header as Headers } from 'tar-stream';
import type { LayerEntry } from '../volume/volume-api';
import {
  ArchiveInvalid, CHECKSUMS_NAME, LAYER_DIR, MANIFEST_NAME, MAX_CHECKSUMS_BYTES, MAX_MANIFEST_BYTES, OPAQUE_MARKER,
  WHITEOUT_PREFIX, layerEntryName, parseChecksums, parseManifest, storedLayers, type ArchiveLayer, type ArchiveManifest, type ArchiveRootImage,
} from './archive-format';
import { baseName, normalizeEntryPath, parentOf, resolveInside } from './archive-paths';

/** Where a stored layer's entries go (LayerWriter fits). */
export interface LayerSink {
  add(entry: LayerEntry, data?: AsyncIterable<Buffer>): Promise<void>;
  finish(): Promise<void>;
}

export interface ReadArchiveOptions {
  /** Called once manifest.json is valid, before any layer is read (e.g. to check the base is here). */
  onManifest?(manifest: ArchiveManifest): Promise<void> | void;
  /** The sink of a stored layer; null (or no option) only verifies it. */
  layerSink?(layer: ArchiveLayer): Promise<LayerSink | null>;
  /** Where images/root.tar's bytes go (e.g. a staging file); null (or no option) only verifies it. */
  rootImageSink?(root: ArchiveRootImage): Promise<Writable | null>;
  onProgress?(read: number): void;
}

export interface ReadResult {
  manifest: ArchiveManifest;
  /** sha256 of every stored layer (verified against the manifest and checksums.sha256). */
  digests: Map<string, string>;
}

type TarEntryStream = Readable & { header: Headers };

async function readSmall(stream: AsyncIterable<Buffer>, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += c.length;
    if (n > max) throw new ArchiveInvalid(`${what} is larger than ${max} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * What a parse error means to the user. tar-stream throws plain Errors; anything else (a
 * caller's own fault from onManifest, a failing sink) passes through unchanged.
 */
function corrupt(err: unknown): unknown {
  if (err instanceof ArchiveInvalid) return err;
  if (!(err instanceof Error) || err.constructor !== Error || 'code' in err) return err;
  const msg = err.message;
  if (/unexpected end/i.test(msg)) return new ArchiveInvalid('the archive is truncated: it ends in the middle of an entry');
  return new ArchiveInvalid(`the archive is not a readable tar file (${msg})`);
}

interface Sink {
  write(chunk: Buffer): boolean;
  end(): unknown;
  destroy(err?: Error): unknown;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
  destroyed?: boolean;
}

/**
 * Copies `src` into a tar extractor with backpressure; resolves with the error that stopped
 * it (or null). Never rejects: the consumer side reports what went wrong first.
 */
async function feed(src: AsyncIterable<Buffer>, dest: Sink, onChunk: (c: Buffer) => void): Promise<unknown> {
  try {
    for await (const chunk of src) {
      if (dest.destroyed) return null;
      onChunk(chunk);
      if (!dest.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            dest.off('drain', done);
            dest.off('close', done);
            resolve();
          };
          dest.once('drain', done);
          dest.once('close', done);
        });
      }
    }
    if (!dest.destroyed) dest.end();
    return null;
  } catch (err) {
    // The source failed (e.g. an outer entry cut short): the extractor must not wait for more.
    if (!dest.destroyed) dest.destroy(err instanceof Error ? err : new Error(String(err)));
    return err;
  }
}

/** Resolves when the extractor has parsed everything written to it (or failed). */
function settled(ex: Sink): Promise<unknown> {
  return new Promise((resolve) => {
    ex.once('finish', () => resolve(null));
    ex.once('error', (err) => resolve(err));
    ex.once('close', () => resolve(null));
  });
}

/** Reads and checks a whole archive. Throws ArchiveInvalid with the first problem found. */
export async function readArchive(input: Readable, opts: ReadArchiveOptions = {}): Promise<ReadResult> {
  const outer = tarExtract();
  let read = 0;
  const outerDone = settled(outer as unknown as Sink);
  const feeding = feed(input, outer as unknown as Sink, (c) => {
    read += c.length;
    opts.onProgress?.(read);
  });
  let manifest: ArchiveManifest | null = null;
  let manifestSha = '';
  let expected = new Map<string, ArchiveLayer>();
  const digests = new Map<string, string>();
  let checksumsSeen = false;
  let rootSha: string | null = null;
  let outerError: unknown = null;
  outer.on('error', (err: unknown) => { outerError ??= err; });
  try {
    for await (const raw of outer as AsyncIterable<TarEntryStream>) {
      const h = raw.header;
      const name = h.name;
      if (checksumsSeen) throw new ArchiveInvalid(`unexpected entry ${JSON.stringify(name)} after ${CHECKSUMS_NAME}`);
      if (!manifest) {
        if (name !== MANIFEST_NAME || h.type !== 'file') {
          throw new ArchiveInvalid(`not a snapstack archive: the first entry is ${JSON.stringify(name)}, expected ${MANIFEST_NAME}`);
        }
        if (h.size! > MAX_MANIFEST_BYTES) throw new ArchiveInvalid(`${MANIFEST_NAME} is larger than ${MAX_MANIFEST_BYTES} bytes`);
        const body = await readSmall(raw, MAX_MANIFEST_BYTES, MANIFEST_NAME);
        manifestSha = createHash('sha256').update(body).digest('hex');
        manifest = parseManifest(body);
        expected = new Map(storedLayers(manifest).map((l) => [layerEntryName(l.id), l]));
        await opts.onManifest?.(manifest);
        continue;
      }
      if (name === CHECKSUMS_NAME) {
        const missing = [...expected.keys()].filter((n) => !digests.has(expected.get(n)!.id));
        if (manifest.root_image && rootSha === null) missing.push(manifest.root_image.file);
        if (missing.length) throw new ArchiveInvalid(`the archive is incomplete: ${missing.join(', ')} missing before ${CHECKSUMS_NAME}`);
        if (h.type !== 'file') throw new ArchiveInvalid(`${CHECKSUMS_NAME} is not a regular file`);
        const sums = parseChecksums(await readSmall(raw, MAX_CHECKSUMS_BYTES, CHECKSUMS_NAME));
        verifyChecksums(sums, manifestSha, expected, digests, manifest.root_image && rootSha ? { name: manifest.root_image.file, sha256: rootSha } : null);
        checksumsSeen = true;
        continue;
      }
      const root = manifest.root_image;
      if (root && name === root.file) {
        if (rootSha !== null) throw new ArchiveInvalid(`${name} appears twice`);
        if (h.type !== 'file') throw new ArchiveInvalid(`${name} is not a regular file`);
        if (h.size! > root.bytes) throw new ArchiveInvalid(`${name} holds more data than the manifest declares: ${h.size} bytes, declared ${root.bytes}`);
        if (h.size! < root.bytes) throw new ArchiveInvalid(`${name} is ${h.size} bytes, the manifest declares ${root.bytes}`);
        rootSha = await readRootImage(raw, root, (await opts.rootImageSink?.(root)) ?? null);
        continue;
      }
      const layer = expected.get(name);
      if (!layer) {
        if (name.startsWith(LAYER_DIR)) {
          const known = [...digests.keys()].some((id) => layerEntryName(id) === name);
          throw new ArchiveInvalid(known ? `${name} appears twice` : `${name} is not a layer the manifest declares`);
        }
        throw new ArchiveInvalid(`unexpected entry ${JSON.stringify(name)} (an archive holds ${MANIFEST_NAME}, ${LAYER_DIR}*.tar, `
          + `${manifest.root_image ? `${manifest.root_image.file} ` : ''}and ${CHECKSUMS_NAME})`);
      }
      if (digests.has(layer.id)) throw new ArchiveInvalid(`${name} appears twice`);
      if (h.type !== 'file') throw new ArchiveInvalid(`${name} is not a regular file`);
      if (h.size! > layer.bytes) throw new ArchiveInvalid(`${name} holds more data than the manifest declares: ${h.size} bytes, declared ${layer.bytes}`);
      if (h.size! < layer.bytes) throw new ArchiveInvalid(`${name} is ${h.size} bytes, the manifest declares ${layer.bytes}`);
      const sink = (await opts.layerSink?.(layer)) ?? null;
      const sha = await readLayer(raw, layer, sink);
      if (sha !== layer.sha256) throw new ArchiveInvalid(`checksum mismatch: ${name} has sha256 ${sha}, the manifest declares ${layer.sha256}`);
      digests.set(layer.id, sha);
    }
    const ended = (await feeding) ?? (await outerDone);
    if (ended) throw corrupt(ended);
  } catch (err) {
    outer.destroy();
    input.destroy();
    await feeding;
    if (!manifest && read < 512 && !(err instanceof ArchiveInvalid)) throw new ArchiveInvalid('not a snapstack archive: the file is shorter than one tar header');
    // A sink's own error (e.g. a premature close) when the outer tar was cut: the cut is the reason.
    const mapped = corrupt(err);
    throw !(mapped instanceof ArchiveInvalid) && outerError ? corrupt(outerError) : mapped;
  }
  if (!manifest) throw new ArchiveInvalid('not a snapstack archive: it is empty');
  if (!checksumsSeen) {
    const missing = [...expected.keys()].filter((n) => !digests.has(expected.get(n)!.id));
    if (manifest.root_image && rootSha === null) missing.push(manifest.root_image.file);
    throw new ArchiveInvalid(`the archive is truncated: ${[...missing, CHECKSUMS_NAME].join(', ')} missing`);
  }
  return { manifest, digests };
}

/** Resolves once `w` can take more (drained) or is gone. */
function drained(w: Sink): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      w.off('error', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
    w.once('error', done);
  });
}

/**
 * Streams images/root.tar into `sink` (with backpressure) while hashing it and reading it as a
 * `docker save` tar (RootImageChecker); returns its sha256. A checksum mismatch is reported
 * before what the content gets wrong.
 */
async function readRootImage(stream: Readable, root: ArchiveRootImage, sink: Writable | null): Promise<string> {
  const hash = createHash('sha256');
  const inner = tarExtract();
  const innerSink = inner as unknown as Sink;
  const checker = new RootImageChecker();
  let problem: unknown = null;
  inner.on('error', (err: unknown) => { problem ??= err; });
  const parsing = (async () => {
    try {
      for await (const raw of inner as AsyncIterable<TarEntryStream>) await checker.entry(raw);
      checker.finish();
    } catch (err) {
      problem ??= err;
      inner.destroy();
    }
  })();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      if (sink && !sink.write(chunk)) await drained(sink as unknown as Sink);
      if (!innerSink.destroyed && !innerSink.write(chunk)) await drained(innerSink);
    }
    if (!innerSink.destroyed) innerSink.end();
    await parsing;
    if (sink) await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (err) {
    sink?.destroy();
    stream.destroy();
    inner.destroy();
    await parsing;
    throw err;
  }
  const sha = hash.digest('hex');
  if (sha !== root.sha256) throw new ArchiveInvalid(`checksum mismatch: ${root.file} has sha256 ${sha}, the manifest declares ${root.sha256}`);
  if (problem) {
    const why = problem instanceof ArchiveInvalid ? problem.message : `it is not a readable tar file (${problem instanceof Error ? problem.message : String(problem)})`;
    throw new ArchiveInvalid(`${root.file} is not a root image Snapstack loads: ${why}`);
  }
  return sha;
}

/** What Docker's loader reads of a `docker save` tar (the rest, config and layers, it checks itself). */
const IMAGE_META = new Set(['manifest.json', 'repositories', 'index.json']);
const MAX_IMAGE_META_BYTES = 1024 * 1024;
/** OCI annotations Docker's loader turns into image names. */
const NAME_ANNOTATIONS = ['io.containerd.image.name', 'org.opencontainers.image.ref.name'];

/**
 * Checks images/root.tar is one image saved by id: `docker load` honours the names a tar
 * carries (manifest.json RepoTags, the legacy repositories file, OCI name annotations) and
 * would move tags of this machine, so a root image that names any is refused. The import
 * names it snapstack/snap-<new image id> itself.
 */
export class RootImageChecker {
  private readonly meta = new Map<string, Buffer>();

  async entry(raw: TarEntryStream): Promise<void> {
    const name = raw.header.name.replace(/^(\.\/)+/, '');
    if (IMAGE_META.has(name) && raw.header.type === 'file') {
      if (this.meta.has(name)) throw new ArchiveInvalid(`${name} appears twice`);
      this.meta.set(name, await readSmall(raw, MAX_IMAGE_META_BYTES, name));
    } else {
      for await (const _ of raw) void _;
    }
  }

  finish(): void {
    const json = (name: string): unknown => {
      try {
        return JSON.parse(this.meta.get(name)!.toString('utf8'));
      } catch {
        throw new ArchiveInvalid(`its ${name} is not JSON`);
      }
    };
    if (!this.meta.has('manifest.json')) throw new ArchiveInvalid('it holds no manifest.json (not a `docker save` tar)');
    const manifest = json('manifest.json');
    if (!Array.isArray(manifest) || manifest.length !== 1) throw new ArchiveInvalid('its manifest.json must list exactly one image');
    const m = manifest[0] as { Config?: unknown; Layers?: unknown; RepoTags?: unknown };
    if (typeof m !== 'object' || m === null || typeof m.Config !== 'string' || !Array.isArray(m.Layers) || !m.Layers.every((l) => typeof l === 'string')) {
      throw new ArchiveInvalid('its manifest.json does not describe an image (Config, Layers)');
    }
    const tags = m.RepoTags ?? [];
    if (!Array.isArray(tags) || tags.length) {
      throw new ArchiveInvalid(`it names the image tag(s) ${JSON.stringify(tags)}; an imported root image names none (loading it would move tags of this machine)`);
    }
    if (this.meta.has('repositories')) {
      const repos = json('repositories');
      if (typeof repos !== 'object' || repos === null || Object.keys(repos).length) {
        throw new ArchiveInvalid('its repositories file names image tags; an imported root image names none (loading it would move tags of this machine)');
      }
    }
    if (this.meta.has('index.json')) {
      const index = json('index.json') as { manifests?: Array<{ annotations?: Record<string, unknown> }> };
      for (const d of Array.isArray(index?.manifests) ? index.manifests : []) {
        const named = NAME_ANNOTATIONS.filter((k) => d?.annotations && k in d.annotations);
        if (named.length) throw new ArchiveInvalid(`its index.json names the image (${named.join(', ')}); an imported root image names none`);
      }
    }
  }
}

function verifyChecksums(
  sums: Map<string, string>, manifestSha: string, expected: Map<string, ArchiveLayer>, digests: Map<string, string>,
  root: { name: string; sha256: string } | null,
): void {
  const want = sums.get(MANIFEST_NAME);
  if (!want) throw new ArchiveInvalid(`${CHECKSUMS_NAME} does not list ${MANIFEST_NAME}`);
  if (want !== manifestSha) throw new ArchiveInvalid(`checksum mismatch: ${MANIFEST_NAME} has sha256 ${manifestSha}, ${CHECKSUMS_NAME} says ${want}`);
  for (const [name, layer] of expected) {
    const listed = sums.get(name);
    if (!listed) throw new ArchiveInvalid(`${CHECKSUMS_NAME} does not list ${name}`);
    const actual = digests.get(layer.id)!;
    if (listed !== actual) throw new ArchiveInvalid(`checksum mismatch: ${name} has sha256 ${actual}, ${CHECKSUMS_NAME} says ${listed}`);
  }
  if (root) {
    const listed = sums.get(root.name);
    if (!listed) throw new ArchiveInvalid(`${CHECKSUMS_NAME} does not list ${root.name}`);
    if (listed !== root.sha256) throw new ArchiveInvalid(`checksum mismatch: ${root.name} has sha256 ${root.sha256}, ${CHECKSUMS_NAME} says ${listed}`);
  }
  for (const name of sums.keys()) {
    if (name !== MANIFEST_NAME && !expected.has(name) && name !== root?.name) throw new ArchiveInvalid(`${CHECKSUMS_NAME} lists ${name}, which the archive does not hold`);
  }
}

/** Streams one layer's tar through the checks into `sink`; returns its sha256. */
async function readLayer(stream: Readable, layer: ArchiveLayer, sink: LayerSink | null): Promise<string> {
  const hash = createHash('sha256');
  const inner = tarExtract();
  const innerDone = settled(inner as unknown as Sink);
  const feeding = feed(stream as AsyncIterable<Buffer>, inner as unknown as Sink, (c) => hash.update(c));
  const checker = new LayerChecker(layer);
  // The extractor's own failure (an entry cut short) explains a sink's "premature close".
  let parseError: unknown = null;
  inner.on('error', (err: unknown) => { parseError ??= err; });
  try {
    for await (const raw of inner as AsyncIterable<TarEntryStream>) {
      const entry = checker.check(raw.header);
      if (entry === null) {
        raw.resume();
        continue;
      }
      if (sink) await sink.add(entry, entry.type === 'file' ? (raw as AsyncIterable<Buffer>) : undefined);
      else for await (const _ of raw) void _;
    }
    const ended = (await feeding) ?? (await innerDone);
    if (ended) throw ended;
    checker.finish();
    if (sink) await sink.finish();
  } catch (err) {
    inner.destroy();
    stream.destroy();
    const fed = await feeding;
    const cause = err instanceof ArchiveInvalid ? err : fed ?? parseError ?? err;
    if (cause instanceof ArchiveInvalid) throw new ArchiveInvalid(`layer ${layer.id}: ${cause.message}`);
    const mapped = corrupt(cause);
    throw mapped instanceof ArchiveInvalid ? new ArchiveInvalid(`layer ${layer.id}: ${mapped.message}`) : mapped;
  }
  return hash.digest('hex');
}

/** Mode bits an imported entry loses: setuid, setgid, group and world write. */
export const IMPORT_MODE_MASK = 0o6022;

/**
 * The mode an imported entry keeps. A sticky directory open to all (a root file system's /tmp,
 * 1777) stays so: the sticky bit already keeps each user to their own files, a root file system
 * needs it, and the layer tree above it is the service's alone (0700).
 */
export function importedMode(mode: number, type: Headers['type']): number {
  const m = mode & 0o7777;
  if (type === 'directory' && (m & 0o1000)) return m & ~0o6000;
  return m & ~IMPORT_MODE_MASK;
}

/**
 * Turns tar headers of one layer into LayerEntries, refusing what a volume may not hold.
 * Parents come before children (a path under a symlink or a file is refused), each path once.
 */
export class LayerChecker {
  private readonly kinds = new Map<string, 'dir' | 'file' | 'symlink' | 'whiteout'>();
  private readonly links = new Map<string, string>();
  private readonly dirs = new Map<string, LayerEntry>();
  private readonly opaque = new Set<string>();
  private count = 0;

  constructor(private readonly layer: Pick<ArchiveLayer, 'id' | 'files'>) {}

  /** The entry to write, or null for nothing to write. Throws ArchiveInvalid. */
  check(h: Headers): LayerEntry | null {
    if (++this.count > this.layer.files) {
      throw new ArchiveInvalid(`more entries than the manifest declares (${this.layer.files})`);
    }
    const name = h.name;
    for (const key of Object.keys(h.pax ?? {})) {
      if (/xattr/i.test(key)) throw new ArchiveInvalid(`${JSON.stringify(name)} carries extended attributes (${key}), which archives do not hold`);
    }
    const p = normalizeEntryPath(name);
    const meta = {
      // No setuid/setgid and no group/world write on imported data (the rest of the mode is kept).
      mode: importedMode(h.mode ?? 0o644, h.type),
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
      size: 0,
    };
    switch (h.type) {
      case 'character-device':
      case 'block-device':
        throw new ArchiveInvalid(`${JSON.stringify(name)} is a device file; archives hold none (whiteouts are .wh. files)`);
      case 'fifo':
        throw new ArchiveInvalid(`${JSON.stringify(name)} is a named pipe, which archives do not hold`);
      case 'file':
      case 'contiguous-file':
      case 'directory':
      case 'symlink':
      case 'link':
        break;
      default:
        throw new ArchiveInvalid(`${JSON.stringify(name)} has an unsupported entry type ${String(h.type)}`);
    }
    if (p === '') {
      if (h.type !== 'directory') throw new ArchiveInvalid(`the layer's root ${JSON.stringify(name)} is not a directory`);
      if (this.kinds.has('') || this.count !== 1) throw new ArchiveInvalid('the root directory must be the first entry, once');
      this.kinds.set('', 'dir');
      const root: LayerEntry = { ...meta, path: '', type: 'directory' };
      this.dirs.set('', root);
      return root;
    }
    const parent = parentOf(p);
    const base = baseName(p);
    if (this.kinds.get(parent) !== 'dir' && parent !== '') {
      const k = this.kinds.get(parent);
      throw new ArchiveInvalid(k === 'symlink'
        ? `${JSON.stringify(name)} lies under the symlink ${JSON.stringify(parent)}`
        : k ? `${JSON.stringify(name)} lies under ${JSON.stringify(parent)}, which is not a directory`
          : `${JSON.stringify(name)} comes before its directory ${JSON.stringify(parent)}`);
    }
    if (base === OPAQUE_MARKER) {
      if (h.type !== 'file' || h.size !== 0) throw new ArchiveInvalid(`${JSON.stringify(name)} must be an empty file (opaque directory marker)`);
      if (this.opaque.has(parent)) throw new ArchiveInvalid(`${JSON.stringify(name)} appears twice`);
      this.opaque.add(parent);
      const dir = this.dirs.get(parent) ?? { ...meta, path: parent, type: 'directory' as const };
      return { ...dir, path: parent, type: 'opaque' };
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const target = base.slice(WHITEOUT_PREFIX.length);
      if (target.startsWith(WHITEOUT_PREFIX)) throw new ArchiveInvalid(`${JSON.stringify(name)} is an unsupported whiteout marker`);
      if (target === '' || target === '.' || target === '..') throw new ArchiveInvalid(`${JSON.stringify(name)} is not a valid whiteout`);
      if (h.type !== 'file' || h.size !== 0) throw new ArchiveInvalid(`${JSON.stringify(name)} must be an empty file (whiteout)`);
      const wp = parent ? `${parent}/${target}` : target;
      this.claim(wp, 'whiteout', name);
      return { ...meta, path: wp, type: 'whiteout' };
    }
    switch (h.type) {
      case 'directory': {
        this.claim(p, 'dir', name);
        const e: LayerEntry = { ...meta, path: p, type: 'directory' };
        this.dirs.set(p, e);
        return e;
      }
      case 'symlink': {
        const target = h.linkname ?? '';
        if (target === '') throw new ArchiveInvalid(`symlink ${JSON.stringify(name)} has no target`);
        if (Buffer.byteLength(target) > 4096 || target.includes('\0')) throw new ArchiveInvalid(`symlink ${JSON.stringify(name)} has an invalid target`);
        this.claim(p, 'symlink', name);
        this.links.set(p, target);
        return { ...meta, path: p, type: 'symlink', target };
      }
      case 'link': {
        const raw = h.linkname ?? '';
        if (raw.startsWith('/')) throw new ArchiveInvalid(`hard link ${JSON.stringify(name)} -> ${JSON.stringify(raw)} points outside the volume (absolute target)`);
        let target: string;
        try {
          target = normalizeEntryPath(raw, 'hard link target');
        } catch {
          throw new ArchiveInvalid(`hard link ${JSON.stringify(name)} -> ${JSON.stringify(raw)} points outside the volume`);
        }
        if (this.kinds.get(target) !== 'file') {
          throw new ArchiveInvalid(`hard link ${JSON.stringify(name)} -> ${JSON.stringify(raw)} does not name a file earlier in the layer`);
        }
        this.claim(p, 'file', name);
        return { ...meta, path: p, type: 'hardlink', target };
      }
      default: {
        this.claim(p, 'file', name);
        return { ...meta, path: p, type: 'file', size: h.size ?? 0 };
      }
    }
  }

  /** After the last entry: the count matches and every symlink stays inside the volume. */
  finish(): void {
    if (this.count !== this.layer.files) throw new ArchiveInvalid(`${this.count} entries, the manifest declares ${this.layer.files}`);
    for (const [p, target] of this.links) {
      if (resolveInside(p, target, this.links) === null) {
        throw new ArchiveInvalid(`symlink ${JSON.stringify(p)} -> ${JSON.stringify(target)} points outside the volume`);
      }
    }
  }

  private claim(p: string, kind: 'dir' | 'file' | 'symlink' | 'whiteout', name: string): void {
    if (this.kinds.has(p)) throw new ArchiveInvalid(`${JSON.stringify(name)} names ${JSON.stringify(p)}, which the layer already holds`);
    this.kinds.set(p, kind);
  }
}
