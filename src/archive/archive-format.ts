/**
 * The snapstack archive format, versions 1 and 2 (README "Snapshot archives"): a plain tar of
 *
 *   manifest.json            what the archive holds (this file's ArchiveManifest), first
 *   layers/<layer id>.tar    one inner tar per stored layer, OCI-style whiteouts
 *   images/root.tar          version 2 only: `docker save` of an image-backed snapshot's root disk
 *   checksums.sha256         sha256sum lines for manifest.json, every layer and images/root.tar, last
 *
 * Version 2 is version 1 plus the optional `root_image` entry; an export writes version 1
 * whenever it has no root image, so older Snapstacks (which refuse unknown entries) still read it.
 *
 * Everything here is pure: the manifest's schema and its validation, with messages meant
 * for the person who copied the file.
 */

export const ARCHIVE_FORMAT = 'snapstack-archive';
/** The version an archive with a root image is written in (and the newest this Snapstack reads). */
export const ARCHIVE_VERSION = 2;
/** What an archive without a root image is written in: older Snapstacks read it. */
export const ARCHIVE_VERSION_PLAIN = 1;
export const READABLE_VERSIONS: readonly number[] = [1, 2];
export const ROOT_IMAGE_NAME = 'images/root.tar';
export const MANIFEST_NAME = 'manifest.json';
export const CHECKSUMS_NAME = 'checksums.sha256';
export const LAYER_DIR = 'layers/';
/** A manifest or checksums file larger than this is refused before it is read. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CHECKSUMS_BYTES = 1024 * 1024;

/** OCI layer conventions: a `.wh.<name>` file deletes <name> of the layers below; `.wh..wh..opq` hides a directory's lower content. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type ArchiveKind = 'volume-snapshot' | 'instance-snapshot';

export interface ArchiveLayer {
  /** Global layer id: `<instance id>-<local layer id>` where the layer was made. */
  id: string;
  /** sha256 of layers/<id>.tar */
  sha256: string;
  /** Size of layers/<id>.tar */
  bytes: number;
  /** Entries in layers/<id>.tar (directories, files, links, whiteouts). */
  files: number;
}

export interface ArchiveVolume {
  snapshot_id: string;
  name: string | null;
  description: string | null;
  size_gb: number;
  /** Where the volume was attached in the instance (instance snapshots), else null. */
  device: string | null;
  boot_index: number | null;
  bootable: boolean;
  /** The snapshot's content: layers top first (the first one wins). */
  layers: ArchiveLayer[];
}

export interface ArchiveImage {
  name: string | null;
  min_disk: number;
  min_ram: number;
  flavor_hint: { name: string | null; disk_gb: number; ram_mb: number };
  root_device_name: string | null;
  /** The source image's mapping; snapshot ids are the source's, an import rewrites them. */
  block_device_mapping: Array<Record<string, unknown>>;
  /** Other image properties worth carrying over (strings). */
  properties: Record<string, string>;
}

/** An image-backed instance snapshot's root disk: `docker save` of its Docker image (version 2). */
export interface ArchiveRootImage {
  /** Always images/root.tar */
  file: string;
  sha256: string;
  bytes: number;
  /** The Docker image it was saved from, on the exporting machine (informative). */
  docker_image: string;
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: 1 | 2;
  archive_id: string;
  created_at: string;
  kind: ArchiveKind;
  source: {
    instance_id: string;
    project_id: string;
    project_name: string | null;
    /** The exported volume snapshot, or the exported instance-snapshot image. */
    snapshot_id: string | null;
    image_id: string | null;
    name: string | null;
  };
  image: ArchiveImage | null;
  volumes: ArchiveVolume[];
  /** Incremental archives: the archive they extend, and its layers (not stored here). */
  base: { archive_id: string; layer_ids: string[] } | null;
  /** Version 2: the root disk of an image-backed instance snapshot, always stored whole. */
  root_image?: ArchiveRootImage | null;
}

/** Why an archive cannot be used; the message is the user's. */
export class ArchiveInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveInvalid';
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
const LAYER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const UUIDISH = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isLayerId(id: unknown): id is string {
  return typeof id === 'string' && LAYER_ID.test(id);
}

export function layerEntryName(layerId: string): string {
  return `${LAYER_DIR}${layerId}.tar`;
}

/** Layers stored in the archive (every layer of every volume, minus the base's), in first-seen order. */
export function storedLayers(m: ArchiveManifest): ArchiveLayer[] {
  const base = new Set(m.base?.layer_ids ?? []);
  const seen = new Map<string, ArchiveLayer>();
  for (const v of m.volumes) for (const l of v.layers) if (!base.has(l.id) && !seen.has(l.id)) seen.set(l.id, l);
  return [...seen.values()];
}

/** Layers of the chains that the base provides (incremental archives). */
export function baseLayers(m: ArchiveManifest): ArchiveLayer[] {
  const base = new Set(m.base?.layer_ids ?? []);
  const seen = new Map<string, ArchiveLayer>();
  for (const v of m.volumes) for (const l of v.layers) if (base.has(l.id) && !seen.has(l.id)) seen.set(l.id, l);
  return [...seen.values()];
}

export function totalStoredBytes(m: ArchiveManifest): number {
  return storedLayers(m).reduce((n, l) => n + l.bytes, 0) + (m.root_image?.bytes ?? 0);
}

/** Every data entry the archive stores (layers, then the root image), by entry name, with its declared size. */
export function storedEntries(m: ArchiveManifest): Map<string, number> {
  const out = new Map(storedLayers(m).map((l) => [layerEntryName(l.id), l.bytes] as [string, number]));
  if (m.root_image) out.set(m.root_image.file, m.root_image.bytes);
  return out;
}

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new ArchiveInvalid(`invalid manifest.json: ${message}`);
}

function obj(v: unknown, where: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`${where} must be an object`);
  return v as Obj;
}

function str(o: Obj, key: string, where: string, opts: { nullable?: boolean; pattern?: RegExp; max?: number } = {}): string | null {
  const v = o[key];
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string') fail(`${where}.${key} must be a string${opts.nullable ? ' or null' : ''}`);
  if (opts.max !== undefined && v.length > opts.max) fail(`${where}.${key} is longer than ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) fail(`${where}.${key} has an invalid value ${JSON.stringify(v.slice(0, 80))}`);
  return v;
}

function int(o: Obj, key: string, where: string, opts: { nullable?: boolean; min?: number } = {}): number | null {
  const v = o[key];
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (opts.min ?? 0)) {
    fail(`${where}.${key} must be an integer of at least ${opts.min ?? 0}${opts.nullable ? ' or null' : ''}`);
  }
  return v;
}

function stringMap(v: unknown, where: string): Record<string, string> {
  const o = obj(v, where);
  for (const [k, val] of Object.entries(o)) if (typeof val !== 'string') fail(`${where}.${k} must be a string`);
  return o as Record<string, string>;
}

/**
 * Parses and checks manifest.json: the format and version first (so an archive from a newer
 * Snapstack says so rather than failing on some field), then every field the import uses.
 */
export function parseManifest(raw: Buffer | string): ArchiveManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new ArchiveInvalid('invalid manifest.json: not JSON');
  }
  const m = obj(doc, 'manifest');
  if (m.format !== ARCHIVE_FORMAT) throw new ArchiveInvalid(`not a snapstack archive: manifest.json has format ${JSON.stringify(m.format)}, expected "${ARCHIVE_FORMAT}"`);
  if (typeof m.version !== 'number' || !READABLE_VERSIONS.includes(m.version)) {
    throw new ArchiveInvalid(`unsupported archive format version ${JSON.stringify(m.version)}: this Snapstack reads versions ${READABLE_VERSIONS.join(' and ')}`);
  }
  str(m, 'archive_id', 'manifest', { pattern: UUIDISH });
  const created = str(m, 'created_at', 'manifest', { max: 64 })!;
  if (Number.isNaN(Date.parse(created))) fail('manifest.created_at is not a date');
  if (m.kind !== 'volume-snapshot' && m.kind !== 'instance-snapshot') fail(`manifest.kind must be "volume-snapshot" or "instance-snapshot"`);
  const source = obj(m.source, 'manifest.source');
  str(source, 'instance_id', 'source', { max: 128 });
  str(source, 'project_id', 'source', { max: 128 });
  str(source, 'project_name', 'source', { nullable: true, max: 255 });
  str(source, 'snapshot_id', 'source', { nullable: true, max: 128 });
  str(source, 'image_id', 'source', { nullable: true, max: 128 });
  str(source, 'name', 'source', { nullable: true, max: 255 });

  const hasRoot = m.root_image !== null && m.root_image !== undefined;
  if (hasRoot) {
    if (m.version < 2) fail('manifest.root_image needs format version 2');
    if (m.kind !== 'instance-snapshot') fail('only an instance-snapshot archive has a root_image');
    const r = obj(m.root_image, 'manifest.root_image');
    if (r.file !== ROOT_IMAGE_NAME) fail(`root_image.file must be "${ROOT_IMAGE_NAME}"`);
    str(r, 'sha256', 'root_image', { pattern: SHA256 });
    int(r, 'bytes', 'root_image', { min: 1024 });
    str(r, 'docker_image', 'root_image', { max: 255 });
  }
  // An image-backed instance snapshot may have no volumes: its root disk is the root image.
  if (!Array.isArray(m.volumes) || (m.volumes.length === 0 && !hasRoot)) fail('manifest.volumes must be a non-empty list');
  if (m.volumes.length > 64) fail('manifest.volumes lists more than 64 volumes');
  if (m.kind === 'volume-snapshot' && m.volumes.length !== 1) fail('a volume-snapshot archive holds exactly one volume');
  const layerFacts = new Map<string, string>();
  const snapshotIds = new Set<string>();
  m.volumes.forEach((raw, i) => {
    const where = `volumes[${i}]`;
    const v = obj(raw, where);
    const sid = str(v, 'snapshot_id', where, { max: 128 })!;
    if (snapshotIds.has(sid)) fail(`${where}.snapshot_id ${sid} is listed twice`);
    snapshotIds.add(sid);
    str(v, 'name', where, { nullable: true, max: 255 });
    str(v, 'description', where, { nullable: true, max: 4096 });
    int(v, 'size_gb', where, { min: 1 });
    str(v, 'device', where, { nullable: true, max: 64 });
    int(v, 'boot_index', where, { nullable: true });
    if (typeof v.bootable !== 'boolean') fail(`${where}.bootable must be true or false`);
    if (!Array.isArray(v.layers)) fail(`${where}.layers must be a list`);
    if (v.layers.length > 256) fail(`${where}.layers lists more than 256 layers`);
    const ids = new Set<string>();
    v.layers.forEach((rawLayer, j) => {
      const lw = `${where}.layers[${j}]`;
      const l = obj(rawLayer, lw);
      const id = l.id;
      if (!isLayerId(id)) fail(`${lw}.id must be a layer id (letters, digits, '_', '.', '-')`);
      if (ids.has(id)) fail(`${lw}.id ${id} appears twice in one chain`);
      ids.add(id);
      str(l, 'sha256', lw, { pattern: SHA256 });
      int(l, 'bytes', lw, { min: 1024 });
      int(l, 'files', lw, { min: 1 });
      const facts = JSON.stringify([l.sha256, l.bytes, l.files]);
      const known = layerFacts.get(id);
      if (known !== undefined && known !== facts) fail(`layer ${id} is described differently by two volumes`);
      layerFacts.set(id, facts);
    });
  });

  if (m.image !== null && m.image !== undefined) {
    const img = obj(m.image, 'manifest.image');
    str(img, 'name', 'image', { nullable: true, max: 255 });
    int(img, 'min_disk', 'image');
    int(img, 'min_ram', 'image');
    const hint = obj(img.flavor_hint, 'image.flavor_hint');
    str(hint, 'name', 'image.flavor_hint', { nullable: true, max: 255 });
    int(hint, 'disk_gb', 'image.flavor_hint');
    int(hint, 'ram_mb', 'image.flavor_hint');
    str(img, 'root_device_name', 'image', { nullable: true, max: 64 });
    if (!Array.isArray(img.block_device_mapping)) fail('image.block_device_mapping must be a list');
    img.block_device_mapping.forEach((b, i) => {
      const item = obj(b, `image.block_device_mapping[${i}]`);
      if (item.snapshot_id !== undefined && item.snapshot_id !== null && !snapshotIds.has(String(item.snapshot_id))) {
        fail(`image.block_device_mapping[${i}] names snapshot ${String(item.snapshot_id)}, which the archive does not hold`);
      }
    });
    stringMap(img.properties, 'image.properties');
  } else if (m.kind === 'instance-snapshot') {
    fail('an instance-snapshot archive needs manifest.image');
  }
  if (m.kind === 'volume-snapshot' && m.image) fail('a volume-snapshot archive has no image');

  if (m.base !== null && m.base !== undefined) {
    const base = obj(m.base, 'manifest.base');
    str(base, 'archive_id', 'base', { pattern: UUIDISH });
    if (base.archive_id === m.archive_id) fail('an archive cannot be its own base');
    if (!Array.isArray(base.layer_ids) || !base.layer_ids.every(isLayerId)) fail('base.layer_ids must be a list of layer ids');
  }
  return { ...m, image: m.image ?? null, base: m.base ?? null, root_image: m.root_image ?? null } as unknown as ArchiveManifest;
}

/** checksums.sha256: `<hex>  <name>` lines, as sha256sum writes and checks them. */
export function formatChecksums(entries: Array<{ name: string; sha256: string }>): string {
  return entries.map((e) => `${e.sha256}  ${e.name}\n`).join('');
}

export function parseChecksums(raw: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  const text = raw.toString('utf8');
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new ArchiveInvalid(`invalid checksums.sha256: line ${i + 1} is not "<sha256>  <name>"`);
    if (out.has(m[2])) throw new ArchiveInvalid(`invalid checksums.sha256: ${m[2]} is listed twice`);
    out.set(m[2], m[1]);
  }
  return out;
}
