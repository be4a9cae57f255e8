// The writer and the reader on fake layers (no volume data driver): what one writes the other
// reads back entry for entry, plain `tar` and `sha256sum` read it too, and the reader refuses
// each kind of broken or hostile archive with its own message.
import { execFileSync } from 'child_process';
import { randomUUID } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Readable } from 'stream';
import { ArchiveInvalid, type ArchiveManifest } from '../../../src/archive/archive-format';
import { IMPORT_MODE_MASK, readArchive, type LayerSink } from '../../../src/archive/archive-reader';
import { planLayerTar, writeArchive, type LayerToWrite } from '../../../src/archive/archive-writer';
import { createLogger } from '../../../src/logger';
import type { LayerEntry } from '../../../src/volume/data/volume-data-driver';
import { craftArchive, plainLayer, sha256, tarOf } from '../../support/archive-craft';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-archive-unit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const meta = { mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000, size: 0 };
const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);

function fakeLayer(id: string, entries: LayerEntry[], data: Record<string, Buffer>): LayerToWrite {
  return { id, entries, open: (e) => Readable.from([data[e.path]]) };
}

const top: LayerEntry[] = [
  { ...meta, path: '', type: 'directory', mode: 0o1777, uid: 7, gid: 7 },
  { ...meta, path: 'd', type: 'directory' },
  { ...meta, path: 'd', type: 'opaque' },
  { ...meta, path: 'd/new', type: 'file', mode: 0o640, uid: 1000, gid: 1000, size: 4 },
  { ...meta, path: 'gone', type: 'whiteout' },
  { ...meta, path: `long/${'n'.repeat(120)}`, type: 'file', size: big.length },
  { ...meta, path: 'long', type: 'directory' },
  { ...meta, path: 'ln', type: 'symlink', target: 'd/new' },
  { ...meta, path: 'hl', type: 'hardlink', target: 'd/new' },
];
// Entries in the order a walk gives them (parents first).
const topOrdered = [top[0], top[1], top[2], top[3], top[4], top[6], top[5], top[7], top[8]];
const bottom: LayerEntry[] = [
  { ...meta, path: '', type: 'directory' },
  { ...meta, path: 'gone', type: 'file', size: 5 },
  { ...meta, path: 'd', type: 'directory' },
  { ...meta, path: 'd/old', type: 'file', size: 3 },
];

function manifestFor(layers: Array<{ id: string }>): ArchiveManifest {
  return {
    format: 'snapstack-archive', version: 1, archive_id: randomUUID(), created_at: new Date().toISOString(), kind: 'volume-snapshot',
    source: { instance_id: 'unit', project_id: 'p', project_name: 'p', snapshot_id: 's1', image_id: null, name: 's1' },
    image: null,
    volumes: [{ snapshot_id: 's1', name: 's1', description: null, size_gb: 1, device: null, boot_index: null, bootable: false,
      layers: layers.map((l) => ({ id: l.id, sha256: '', bytes: 0, files: 0 })) }],
    base: null,
  };
}

class RecordingSink implements LayerSink {
  entries: LayerEntry[] = [];
  data = new Map<string, Buffer>();
  finished = false;
  async add(entry: LayerEntry, data?: AsyncIterable<Buffer>): Promise<void> {
    this.entries.push(entry);
    if (data) {
      const chunks: Buffer[] = [];
      for await (const c of data) chunks.push(c);
      this.data.set(entry.path, Buffer.concat(chunks));
    }
  }
  async finish(): Promise<void> {
    this.finished = true;
  }
}

async function readFile(file: string, sinks = new Map<string, RecordingSink>()) {
  return readArchive(fs.createReadStream(file), {
    layerSink: async (l) => {
      const s = new RecordingSink();
      sinks.set(l.id, s);
      return s;
    },
  });
}

async function readBuffer(buf: Buffer) {
  return readArchive(Readable.from([buf]), { layerSink: async () => new RecordingSink() });
}

describe('archive writer and reader', () => {
  let file: string;
  let written: Awaited<ReturnType<typeof writeArchive>>;

  beforeAll(async () => {
    file = path.join(dir, 'roundtrip.tar');
    const layers = new Map([
      ['i1-top', fakeLayer('i1-top', topOrdered, { 'd/new': Buffer.from('new\n'), [`long/${'n'.repeat(120)}`]: big })],
      ['i1-bottom', fakeLayer('i1-bottom', bottom, { gone: Buffer.from('gone\n'), 'd/old': Buffer.from('old') })],
    ]);
    const progress: number[] = [];
    written = await writeArchive(file, manifestFor([{ id: 'i1-top' }, { id: 'i1-bottom' }]), layers, { log: createLogger('silent'), onProgress: (p) => progress.push(p.written) });
    expect(progress[progress.length - 1]).toBe(fs.statSync(file).size);
  });

  it('writes sizes it planned, and leaves no partial file', () => {
    expect(written.bytes).toBe(fs.statSync(file).size);
    expect(fs.existsSync(`${file}.partial`)).toBe(false);
    expect(written.manifest.volumes[0].layers[0]).toMatchObject({ bytes: planLayerTar(topOrdered).bytes, files: topOrdered.length });
  });

  it('is a plain tar: manifest first, layers, checksums last; sha256sum agrees', () => {
    const listing = execFileSync('tar', ['-tvf', file]).toString().trim().split('\n');
    expect(listing.map((l) => l.split(/\s+/).pop())).toEqual(['manifest.json', 'layers/i1-top.tar', 'layers/i1-bottom.tar', 'checksums.sha256']);
    const out = path.join(dir, 'x');
    fs.mkdirSync(out);
    execFileSync('tar', ['-xf', file, '-C', out]);
    expect(execFileSync('sha256sum', ['-c', 'checksums.sha256'], { cwd: out }).toString()).toMatch(/manifest.json: OK/);
    const inner = execFileSync('tar', ['-tvf', path.join(out, 'layers', 'i1-top.tar')]).toString();
    expect(inner).toContain('d/.wh..wh..opq');
    expect(inner).toContain('.wh.gone');
    expect(inner).toContain(`long/${'n'.repeat(120)}`);
    expect(inner).toContain('ln -> d/new');
    expect(inner).toContain('hl link to d/new');
    expect(inner).not.toMatch(/^c/m);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.volumes[0].layers[0].sha256).toBe(sha256(fs.readFileSync(path.join(out, 'layers', 'i1-top.tar'))));
  });

  it('reads back every entry and byte', async () => {
    const sinks = new Map<string, RecordingSink>();
    const { manifest, digests } = await readFile(file, sinks);
    expect(manifest.archive_id).toBe(written.manifest.archive_id);
    expect(digests).toEqual(written.digests);
    const topSink = sinks.get('i1-top')!;
    expect(topSink.finished).toBe(true);
    // Read back as imported: no setuid/setgid, no group/world write (but on sticky directories).
    const imported = (entries: typeof topOrdered) => entries.map((e) => ({ ...e, mode: e.type === 'directory' && (e.mode & 0o1000) ? e.mode & ~0o6000 : e.mode & ~IMPORT_MODE_MASK }));
    expect(topSink.entries).toEqual(imported(topOrdered));
    expect(topSink.data.get(`long/${'n'.repeat(120)}`)!.equals(big)).toBe(true);
    expect(sinks.get('i1-bottom')!.entries).toEqual(imported(bottom));
  });
});

describe('archive reader refusals', () => {
  const ok = () => craftArchive({ layers: [plainLayer('x-1')] });

  it('accepts a crafted valid archive', async () => {
    const { buffer } = await ok();
    await expect(readBuffer(buffer)).resolves.toMatchObject({ manifest: { kind: 'volume-snapshot' } });
  });

  const cases: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ['an unknown format version', async () => (await craftArchive({ layers: [plainLayer('x-1')], manifest: (m: any) => (m.version = 9) })).buffer,
      /unsupported archive format version 9/],
    ['a checksum mismatch in a layer', async () => {
      const { buffer } = await ok();
      const at = buffer.indexOf('hello\n');
      const bad = Buffer.from(buffer);
      bad[at] = 'j'.charCodeAt(0);
      return bad;
    }, /checksum mismatch: layers\/x-1.tar has sha256 [0-9a-f]{64}, the manifest declares/],
    ['a checksums.sha256 that disagrees', async () => (await craftArchive({ layers: [plainLayer('x-1')], checksums: (l) => (l[1][1] = 'f'.repeat(64)) })).buffer,
      /checksum mismatch: layers\/x-1.tar .* checksums.sha256 says f{64}/],
    ['a truncated file', async () => (await ok()).buffer.subarray(0, 1700), /truncated/],
    ['a file cut in the middle of a layer', async () => {
      const { buffer } = await craftArchive({ layers: [plainLayer('x-1', [{ name: 'big', data: Buffer.alloc(100_000, 3) }])] });
      return buffer.subarray(0, 60_000);
    }, /truncated/],
    ['a file cut after the layers', async () => (await craftArchive({ layers: [plainLayer('x-1')], omitChecksums: true })).buffer, /truncated: checksums.sha256 missing/],
    ['an absolute path', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: '/etc/cron.d/evil', data: 'x' }])] })).buffer, /absolute path/],
    ['a path with ..', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'dir/../../evil', data: 'x' }])] })).buffer, /climbs out with '\.\.'/],
    ['a symlink climbing out from the root', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'etc', type: 'symlink', linkname: '/../etc' }])] })).buffer,
      /symlink "etc" -> "\/..\/etc" points outside the volume/],
    ['a write through an absolute symlink', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/cron.d', data: 'x' }])] })).buffer,
      /lies under the symlink "etc"/],
    ['a symlink climbing out', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'dir/up', type: 'symlink', linkname: '../../..' }])] })).buffer,
      /symlink "dir\/up" -> "..\/..\/.." points outside the volume/],
    ['a hard link out of the volume', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'pw', type: 'link', linkname: '../../etc/shadow' }])] })).buffer,
      /hard link "pw" -> "..\/..\/etc\/shadow" points outside the volume/],
    ['a hard link to an absolute path', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'pw', type: 'link', linkname: '/etc/shadow' }])] })).buffer,
      /hard link "pw" -> "\/etc\/shadow" points outside the volume/],
    ['a write through a symlink', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'dir/link/x', data: 'x' }])] })).buffer,
      /lies under the symlink "dir\/link"/],
    ['a device file', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'mem', type: 'character-device' }])] })).buffer, /"mem" is a device file/],
    ['a block device', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'sda', type: 'block-device' }])] })).buffer, /"sda" is a device file/],
    ['more data than the manifest declares (layer bytes)', async () => {
      const layer = plainLayer('x-1');
      const bigger = await tarOf([...layer.entries, { name: 'extra', data: Buffer.alloc(4096, 1) }]);
      return (await craftArchive({ layers: [layer], replaceLayer: { 'x-1': bigger } })).buffer;
    }, /layers\/x-1.tar holds more data than the manifest declares/],
    ['more entries than the manifest declares', async () => (await craftArchive({ layers: [plainLayer('x-1')], manifest: (m) => (m.volumes[0].layers[0].files = 2) })).buffer,
      /more entries than the manifest declares \(2\)/],
    ['an undeclared layer', async () => (await craftArchive({ layers: [plainLayer('x-1')], extra: [{ name: 'layers/x-2.tar', data: 'x' }] })).buffer,
      /layers\/x-2.tar is not a layer the manifest declares/],
    ['an unexpected entry', async () => (await craftArchive({ layers: [plainLayer('x-1')], extra: [{ name: 'run.sh', data: 'x' }] })).buffer, /unexpected entry "run.sh"/],
    ['extended attributes', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'f', data: 'x', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }])] })).buffer,
      /carries extended attributes/],
    ['a non-empty whiteout', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: '.wh.x', data: 'x' }])] })).buffer, /must be an empty file \(whiteout\)/],
    ['a whiteout beside what it deletes', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'dir/.wh.a.txt', data: '' }])] })).buffer,
      /already holds/],
    ['a duplicate entry', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'dir/a.txt', data: 'again' }])] })).buffer, /already holds/],
    ['a tar with another first entry', async () => tarOf([{ name: 'hello.txt', data: 'hi' }]), /not a snapstack archive: the first entry is "hello.txt"/],
    ['something that is not a tar', async () => Buffer.alloc(4096, 0x41), /not a readable tar file/],
  ];

  it.each(cases)('refuses %s', async (_what, make, message) => {
    const err = await readBuffer(await make()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveInvalid);
    expect((err as Error).message).toMatch(message);
  });
});
