/**
 * A quick look at an archive file for listings: manifest.json, then the tar headers only
 * (seeking over the data), so a listing costs a few reads per archive whatever its size.
 * It finds a wrong format or version, missing or resized layers, unexpected entries and a
 * truncated file; a checksum mismatch needs the full read (readArchive) of an import or verify.
 */
import * as fs from 'node:fs/promises';
import { BLOCK, padding } from '../shared/tar-encoding';
import {
  ArchiveInvalid, CHECKSUMS_NAME, MANIFEST_NAME, MAX_MANIFEST_BYTES, parseManifest, storedEntries, type ArchiveManifest,
} from './archive-format';

export interface ScanResult {
  manifest: ArchiveManifest | null;
  /** null when the structure is sound. */
  problem: string | null;
}

interface RawHeader {
  name: string;
  size: number;
  type: string;
  /** Offset of the entry's data. */
  dataOffset: number;
}

function parseOctal(buf: Buffer, offset: number, length: number): number {
  if (buf[offset] & 0x80) {
    // base-256 (GNU) for large values
    let v = 0;
    for (let i = offset + 1; i < offset + length; i++) v = v * 256 + buf[i];
    return v;
  }
  const s = buf.toString('latin1', offset, offset + length).replace(/[\0 ]+.*$/, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cString(buf: Buffer, offset: number, length: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 || end > offset + length ? offset + length : end);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === parseOctal(h, 148, 8);
}

async function readAt(fd: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fd.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** The entry headers of a tar file (PAX path/size applied); throws ArchiveInvalid when broken. */
async function* headers(fd: fs.FileHandle, fileSize: number): AsyncGenerator<RawHeader> {
  let pos = 0;
  let pax: Record<string, string> | null = null;
  for (;;) {
    if (pos + BLOCK > fileSize) {
      throw new ArchiveInvalid(pos === 0 ? 'not a snapstack archive: the file is shorter than one tar header' : 'the archive is truncated: it ends without the end-of-archive blocks');
    }
    const h = await readAt(fd, pos, BLOCK);
    if (h.every((b) => b === 0)) return;
    if (!checksumOk(h)) throw new ArchiveInvalid(`the archive is not a readable tar file (bad header at byte ${pos})`);
    const prefix = h.toString('latin1', 257, 262) === 'ustar' ? cString(h, 345, 155) : '';
    let name = cString(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    let size = parseOctal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const dataOffset = pos + BLOCK;
    if (dataOffset + size > fileSize) throw new ArchiveInvalid(`the archive is truncated: ${name} ends past the end of the file`);
    pos = dataOffset + size + padding(size);
    if (type === 'x') {
      if (size > 1024 * 1024) throw new ArchiveInvalid('the archive has an oversized PAX header');
      pax = {};
      const text = (await readAt(fd, dataOffset, size)).toString('utf8');
      for (const m of text.matchAll(/\d+ ([^=]+)=([^\n]*)\n/g)) pax[m[1]] = m[2];
      continue;
    }
    if (type === 'g') continue;
    if (pax) {
      if (pax.path) name = pax.path;
      if (pax.size) size = Number(pax.size);
      pax = null;
    }
    yield { name, size, type, dataOffset };
  }
}

/** Reads the manifest and checks the archive's structure (not its checksums). */
export async function scanArchive(file: string): Promise<ScanResult> {
  const fd = await fs.open(file, 'r');
  let manifest: ArchiveManifest | null = null;
  try {
    const { size: fileSize } = await fd.stat();
    let expected = new Map<string, number>();
    let checksums = false;
    for await (const h of headers(fd, fileSize)) {
      if (!manifest) {
        if (h.name !== MANIFEST_NAME || h.type !== '0') throw new ArchiveInvalid(`not a snapstack archive: the first entry is ${JSON.stringify(h.name)}, expected ${MANIFEST_NAME}`);
        if (h.size > MAX_MANIFEST_BYTES) throw new ArchiveInvalid(`${MANIFEST_NAME} is larger than ${MAX_MANIFEST_BYTES} bytes`);
        manifest = parseManifest(await readAt(fd, h.dataOffset, h.size));
        expected = storedEntries(manifest);
        continue;
      }
      if (checksums) throw new ArchiveInvalid(`unexpected entry ${JSON.stringify(h.name)} after ${CHECKSUMS_NAME}`);
      if (h.name === CHECKSUMS_NAME) {
        if (expected.size) throw new ArchiveInvalid(`the archive is incomplete: ${[...expected.keys()].join(', ')} missing`);
        checksums = true;
        continue;
      }
      const bytes = expected.get(h.name);
      if (bytes === undefined) throw new ArchiveInvalid(`unexpected entry ${JSON.stringify(h.name)}`);
      if (h.size > bytes) throw new ArchiveInvalid(`${h.name} holds more data than the manifest declares: ${h.size} bytes, declared ${bytes}`);
      if (h.size !== bytes) throw new ArchiveInvalid(`${h.name} is ${h.size} bytes, the manifest declares ${bytes}`);
      expected.delete(h.name);
    }
    if (!manifest) throw new ArchiveInvalid('not a snapstack archive: it is empty');
    if (!checksums) throw new ArchiveInvalid(`the archive is truncated: ${[...expected.keys(), CHECKSUMS_NAME].join(', ')} missing`);
    return { manifest, problem: null };
  } catch (err) {
    if (err instanceof ArchiveInvalid) return { manifest, problem: err.message };
    throw err;
  } finally {
    await fd.close();
  }
}
