/**
 * A small, deterministic tar encoder (ustar headers, PAX records when a field does not fit).
 * Deterministic on purpose: the exact size of a tar is known from its headers before any data
 * is read, so an archive can name each layer's size up front and stream the data once.
 */

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export type TarType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'pax';

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of data following the header (files only). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Symlink target or hard link target. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra PAX records (key -> value), e.g. SCHILY.xattr.* for GNU tar. */
  pax?: Record<string, string>;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', link: '1', symlink: '2', 'character-device': '3', directory: '5', pax: 'x' };

const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

export function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** One PAX record: "<len> <key>=<value>\n", where len counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

/** The PAX records a header needs (fields too long or too large for ustar), or null. */
function paxRecords(h: TarHeader): Buffer | null {
  const records: string[] = [];
  if (Buffer.byteLength(h.name) > 100 || !isAscii(h.name)) records.push(paxRecord('path', h.name));
  if (h.linkname !== undefined && (Buffer.byteLength(h.linkname) > 100 || !isAscii(h.linkname))) records.push(paxRecord('linkpath', h.linkname));
  if (h.size > MAX_OCTAL_11) records.push(paxRecord('size', String(h.size)));
  if (h.uid > MAX_OCTAL_7) records.push(paxRecord('uid', String(h.uid)));
  if (h.gid > MAX_OCTAL_7) records.push(paxRecord('gid', String(h.gid)));
  for (const [k, v] of Object.entries(h.pax ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) records.push(paxRecord(k, v));
  return records.length ? Buffer.from(records.join(''), 'utf8') : null;
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  bytes.copy(buf, offset, 0, Math.min(length, bytes.length));
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  const max = 8 ** (length - 1) - 1;
  const v = Math.max(0, Math.min(max, Math.floor(value)));
  writeString(buf, offset, length - 1, v.toString(8).padStart(length - 1, '0'));
  buf[offset + length - 1] = 0;
}

/** Only the last 100 bytes of a name are kept in the ustar field (PAX carries the full one). */
function truncateName(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length <= 100 && isAscii(name)) return name;
  return bytes.subarray(bytes.length - 100).toString('latin1').replace(/[^\x20-\x7e]/g, '_');
}

function ustar(h: TarHeader): Buffer {
  const buf = Buffer.alloc(BLOCK);
  writeString(buf, 0, 100, truncateName(h.name));
  writeOctal(buf, 100, 8, h.mode & 0o7777);
  writeOctal(buf, 108, 8, h.uid);
  writeOctal(buf, 116, 8, h.gid);
  writeOctal(buf, 124, 12, h.type === 'file' || h.type === 'pax' ? h.size : 0);
  writeOctal(buf, 136, 12, h.mtime);
  buf.fill(0x20, 148, 156);
  buf.write(TYPEFLAG[h.type], 156, 'latin1');
  if (h.linkname !== undefined) writeString(buf, 157, 100, truncateName(h.linkname));
  buf.write('ustar\u000000', 257, 'latin1');
  writeOctal(buf, 329, 8, h.devmajor ?? 0);
  writeOctal(buf, 337, 8, h.devminor ?? 0);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += buf[i];
  writeString(buf, 148, 6, sum.toString(8).padStart(6, '0'));
  buf[154] = 0;
  buf[155] = 0x20;
  return buf;
}

/** Header block(s) of an entry: a PAX header when needed, then the ustar header. */
export function encodeHeader(h: TarHeader): Buffer {
  const records = paxRecords(h);
  const main = ustar(h);
  if (!records) return main;
  const paxName = `PaxHeaders/${truncateName(h.name).slice(-80)}`;
  const paxHeader = ustar({ name: paxName, type: 'pax', mode: 0o644, uid: 0, gid: 0, size: records.length, mtime: h.mtime });
  return Buffer.concat([paxHeader, records, Buffer.alloc(padding(records.length)), main]);
}

/** Bytes an entry takes in the archive: its header block(s), its data and the data's padding. */
export function entrySize(h: TarHeader): number {
  const data = h.type === 'file' ? h.size + padding(h.size) : 0;
  return encodeHeader(h).length + data;
}
