// Builds snapstack archives by hand with tar-stream, valid or broken on purpose, for the
// tests of what an import refuses.
import { createHash, randomUUID } from 'crypto';
import { pack as tarPack, type Header } from 'tar-stream';
import type { ArchiveManifest } from '../../src/archive/archive-format';

type PackHeader = Partial<Header> & { name: string };

export interface CraftEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  linkname?: string;
  data?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  pax?: Record<string, string>;
}

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** A tar of `entries`, in order. */
export async function tarOf(entries: CraftEntry[]): Promise<Buffer> {
  const p = tarPack();
  const done = collect(p as unknown as NodeJS.ReadableStream);
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const header: PackHeader = {
      name: e.name, type: e.type ?? 'file', mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: new Date(1_700_000_000_000),
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (e.pax) header.pax = e.pax;
    if (e.type === 'character-device' || e.type === 'block-device') Object.assign(header, { devmajor: 1, devminor: 3 });
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data === undefined) p.entry(header, cb);
      else p.entry(header, data, cb);
    });
  }
  p.finalize();
  return done;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface CraftLayer {
  id: string;
  entries: CraftEntry[];
}

export interface CraftOptions {
  layers: CraftLayer[];
  kind?: ArchiveManifest['kind'];
  /** Edits the computed manifest before it is written. */
  manifest?: (m: ArchiveManifest) => void;
  /** Edits the computed checksums lines. */
  checksums?: (lines: Array<[string, string]>) => void;
  /** Entries written between the layers and checksums.sha256. */
  extra?: CraftEntry[];
  /** Layer tars replaced after the manifest was computed (data the manifest does not describe). */
  replaceLayer?: Record<string, Buffer>;
  omitChecksums?: boolean;
  base?: ArchiveManifest['base'];
  /** Layers listed in the volume's chain but provided by the base. */
  baseLayers?: Array<{ id: string; sha256: string; bytes: number; files: number }>;
  /** An image-backed instance snapshot (version 2): images/root.tar with these bytes, checksums correct. */
  rootImage?: Buffer;
}

/** A volume-snapshot archive holding `layers` (top first) for one volume. */
export async function craftArchive(o: CraftOptions): Promise<{ buffer: Buffer; manifest: ArchiveManifest }> {
  const tars = new Map<string, Buffer>();
  for (const l of o.layers) tars.set(l.id, await tarOf(l.entries));
  const manifest: ArchiveManifest = {
    format: 'snapstack-archive', version: 1, archive_id: randomUUID(), created_at: new Date().toISOString(),
    kind: o.kind ?? 'volume-snapshot',
    source: { instance_id: 'crafted', project_id: 'p', project_name: 'p', snapshot_id: 'snap-1', image_id: null, name: 'crafted' },
    image: null,
    volumes: [{
      snapshot_id: 'snap-1', name: 'crafted', description: null, size_gb: 1, device: null, boot_index: null, bootable: false,
      layers: [
        ...o.layers.map((l) => ({ id: l.id, sha256: sha256(tars.get(l.id)!), bytes: tars.get(l.id)!.length, files: l.entries.length })),
        ...(o.baseLayers ?? []),
      ],
    }],
    base: o.base ?? null,
  };
  if (o.rootImage) {
    Object.assign(manifest, {
      version: 2, kind: 'instance-snapshot',
      image: { name: 'crafted', min_disk: 0, min_ram: 0, flavor_hint: { name: null, disk_gb: 1, ram_mb: 64 }, root_device_name: '/dev/vda', block_device_mapping: [], properties: {} },
      root_image: { file: 'images/root.tar', sha256: sha256(o.rootImage), bytes: o.rootImage.length, docker_image: 'snapstack/snap-crafted:latest' },
    });
    if (!o.layers.length) manifest.volumes = [];
  }
  o.manifest?.(manifest);
  const manifestJson = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  for (const [id, buf] of Object.entries(o.replaceLayer ?? {})) tars.set(id, buf);
  const lines: Array<[string, string]> = [['manifest.json', sha256(manifestJson)], ...[...tars].map(([id, b]) => [`layers/${id}.tar`, sha256(b)] as [string, string])];
  if (o.rootImage) lines.push(['images/root.tar', sha256(o.rootImage)]);
  o.checksums?.(lines);
  const entries: CraftEntry[] = [
    { name: 'manifest.json', data: manifestJson },
    ...[...tars].map(([id, b]) => ({ name: `layers/${id}.tar`, data: b })),
    ...(o.rootImage ? [{ name: 'images/root.tar', data: o.rootImage }] : []),
    ...(o.extra ?? []),
  ];
  if (!o.omitChecksums) entries.push({ name: 'checksums.sha256', data: lines.map(([n, s]) => `${s}  ${n}\n`).join('') });
  return { buffer: await tarOf(entries), manifest };
}

/** A small valid layer: a root, a directory, files, a symlink and a hard link inside. */
export function plainLayer(id: string, extra: CraftEntry[] = []): CraftLayer {
  return {
    id,
    entries: [
      { name: './', type: 'directory' },
      { name: 'dir/', type: 'directory' },
      { name: 'dir/a.txt', data: 'hello\n' },
      { name: 'dir/link', type: 'symlink', linkname: 'a.txt' },
      { name: 'hard', type: 'link', linkname: 'dir/a.txt' },
      ...extra,
    ],
  };
}
