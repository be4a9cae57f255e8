/**
 * Layers in and out of the overlay form, for archives. A layer on disk holds overlay
 * specifics (whiteouts are char devices 0:0, an opaque directory carries the xattr
 * trusted.overlay.opaque=y); outside, a layer is a list of neutral entries in which a
 * whiteout and an opaque marker are entries of their own. Reading walks the tree with lstat
 * and asks GNU tar for the directories' overlay xattrs (Node has no xattr API); writing feeds
 * GNU tar a stream it extracts as root (owners, modes, times, hard links, devices, xattrs).
 * Both need root, like HostLayerFileOps.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { END_OF_ARCHIVE, encodeHeader, padding } from '../../shared/tar-encoding';
import { VolumeDataError } from './volume-data-errors';

export type LayerEntryType = 'directory' | 'file' | 'symlink' | 'hardlink' | 'whiteout' | 'opaque';

/** One entry of a layer, independent of how overlay stores it. */
export interface LayerEntry {
  /** Relative to the layer's root ('' is the root); for 'opaque', the directory made opaque. */
  path: string;
  type: LayerEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of a 'file'; 0 otherwise. */
  size: number;
  /** A symlink's target, or the path of the first name of a hard-linked file. */
  target?: string;
}

/** Why a layer cannot leave this machine as an archive (message for the user). */
export class LayerNotExportable extends VolumeDataError {}

const OVERLAY_XATTR = 'SCHILY.xattr.trusted.overlay.';
/** GNU tar (Debian's `tar`): it reads and writes trusted.overlay.* xattrs and device nodes. */
const GNU_TAR = 'tar';

/** Every entry of the layer at `dir`, parents before children, names sorted: deterministic. */
export async function walkLayer(dir: string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const dirs: string[] = [];
  const firstName = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    const abs = rel ? path.join(dir, rel) : dir;
    const st = await fs.lstat(abs);
    const base = { path: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), size: 0 };
    if (rel && !isUtf8Name(rel)) throw new LayerNotExportable(`${JSON.stringify(rel)} does not have a UTF-8 name`);
    if (st.isDirectory()) {
      entries.push({ ...base, type: 'directory' });
      dirs.push(rel);
      const names = (await fs.readdir(abs)).sort(byBytes);
      for (const name of names) {
        if (name.startsWith('.wh.')) throw new LayerNotExportable(`${JSON.stringify(join(rel, name))}: names starting with ".wh." are reserved for whiteouts in archives`);
        await visit(join(rel, name));
      }
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? firstName.get(key) : undefined;
      if (first !== undefined) entries.push({ ...base, type: 'hardlink', target: first });
      else {
        if (st.nlink > 1) firstName.set(key, rel);
        entries.push({ ...base, type: 'file', size: st.size });
      }
    } else if (st.isSymbolicLink()) {
      entries.push({ ...base, type: 'symlink', target: await fs.readlink(abs) });
    } else if (st.isCharacterDevice() && st.rdev === 0) {
      entries.push({ ...base, type: 'whiteout' });
    } else if (st.isSocket()) {
      // A socket is a rendezvous of a running process, not data: it has no place in an archive.
    } else {
      const kind = st.isCharacterDevice() || st.isBlockDevice() ? 'a device file' : st.isFIFO() ? 'a named pipe' : 'of an unsupported type';
      throw new LayerNotExportable(`${JSON.stringify(rel)} is ${kind}, which archives do not carry`);
    }
  };
  await visit('');
  const xattrs = await directoryOverlayXattrs(dir, dirs);
  const out: LayerEntry[] = [];
  for (const e of entries) {
    out.push(e);
    if (e.type !== 'directory') continue;
    const attrs = xattrs.get(e.path);
    if (!attrs) continue;
    // redirect (a renamed directory) and metacopy (data elsewhere) change what the layer
    // means; uuid, origin, impure, nlink are bookkeeping an archive can drop.
    const other = Object.keys(attrs).filter((k) => k === 'redirect' || k === 'metacopy');
    if (other.length) {
      throw new LayerNotExportable(`directory ${JSON.stringify(e.path || '/')} carries overlay attributes (${other.join(', ')}) that archives cannot represent; flatten the snapshot first`);
    }
    if (attrs.opaque === 'y') out.push({ ...e, type: 'opaque' });
  }
  return out;
}

function join(parent: string, name: string): string {
  return parent ? `${parent}/${name}` : name;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function isUtf8Name(name: string): boolean {
  return !name.includes('\uFFFD');
}

/** trusted.overlay.* xattrs of the given directories (relative paths), read through GNU tar. */
async function directoryOverlayXattrs(dir: string, dirs: string[]): Promise<Map<string, Record<string, string>>> {
  const found = new Map<string, Record<string, string>>();
  const child = spawn(
    GNU_TAR,
    ['--create', '--file=-', '--format=posix', '--xattrs', '--xattrs-include=trusted.overlay.*', '--numeric-owner',
      `--directory=${dir}`, '--no-recursion', '--null', '--verbatim-files-from', '--files-from=-'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(dirs.map((d) => `./${d}\0`).join(''));
  const ex = tarExtract();
  const parsed = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const rel = header.name.replace(/^\.\/?/, '').replace(/\/$/, '');
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(header.pax ?? {})) if (k.startsWith(OVERLAY_XATTR)) attrs[k.slice(OVERLAY_XATTR.length)] = String(v);
      if (Object.keys(attrs).length) found.set(rel, attrs);
      stream.on('end', next);
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  child.stdout.pipe(ex);
  const [code] = await Promise.all([exited, parsed]);
  if (code !== 0) throw new VolumeDataError(`reading overlay attributes with ${GNU_TAR} failed (exit ${code}): ${stderr.trim()}`);
  return found;
}

/** The bytes of a 'file' entry. */
export function openLayerFile(dir: string, entry: LayerEntry): Readable {
  return createReadStream(path.join(dir, entry.path), { highWaterMark: 1024 * 1024 });
}

/**
 * Writes entries into a directory in overlay form: whiteouts become char devices 0:0 and an
 * opaque entry re-declares its directory with trusted.overlay.opaque=y. The caller checks the
 * entries first (paths inside, links inside, no duplicates); GNU tar only writes them.
 */
export class LayerWriter {
  private readonly child;
  private readonly exited: Promise<number>;
  private stderr = '';
  private failed: Error | null = null;
  private readonly dirs = new Map<string, LayerEntry>();

  constructor(readonly dir: string) {
    this.child = spawn(
      GNU_TAR,
      ['--extract', '--file=-', '--same-permissions', '--same-owner', '--numeric-owner', '--xattrs', '--xattrs-include=trusted.overlay.*',
        '--no-unquote', '--warning=no-timestamp', `--directory=${dir}`],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-4000)));
    this.child.stdin!.on('error', (err) => (this.failed ??= err));
    this.exited = new Promise<number>((resolve) => {
      this.child.on('error', (err) => {
        this.failed ??= err;
        resolve(-1);
      });
      this.child.on('close', (code) => resolve(code ?? -1));
    });
  }

  /** Adds one entry; `data` (files only) must yield exactly `entry.size` bytes. */
  async add(entry: LayerEntry, data?: AsyncIterable<Buffer>): Promise<void> {
    const name = entry.path === '' ? './' : entry.path;
    const common = { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, size: 0 };
    switch (entry.type) {
      case 'directory':
        this.dirs.set(entry.path, entry);
        await this.write(encodeHeader({ ...common, name: entry.path === '' ? './' : `${name}/`, type: 'directory' }));
        return;
      case 'opaque': {
        const d = this.dirs.get(entry.path) ?? entry;
        await this.write(encodeHeader({
          mode: d.mode, uid: d.uid, gid: d.gid, mtime: d.mtime, size: 0, name: entry.path === '' ? './' : `${name}/`, type: 'directory',
          pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' },
        }));
        return;
      }
      case 'whiteout':
        await this.write(encodeHeader({ ...common, name, type: 'character-device', devmajor: 0, devminor: 0 }));
        return;
      case 'symlink':
        await this.write(encodeHeader({ ...common, name, type: 'symlink', linkname: entry.target! }));
        return;
      case 'hardlink':
        await this.write(encodeHeader({ ...common, name, type: 'link', linkname: entry.target! }));
        return;
      case 'file': {
        await this.write(encodeHeader({ ...common, name, type: 'file', size: entry.size }));
        let n = 0;
        if (data) {
          for await (const chunk of data) {
            n += chunk.length;
            if (n > entry.size) throw new VolumeDataError(`${entry.path}: more data than its header declares`);
            await this.write(chunk);
          }
        }
        if (n !== entry.size) throw new VolumeDataError(`${entry.path}: ${n} bytes of data, its header declares ${entry.size}`);
        const pad = padding(entry.size);
        if (pad) await this.write(Buffer.alloc(pad));
        return;
      }
    }
  }

  /** Ends the stream and waits for GNU tar; throws when it failed. */
  async finish(): Promise<void> {
    await this.write(END_OF_ARCHIVE);
    this.child.stdin!.end();
    const code = await this.exited;
    if (this.failed || code !== 0) {
      throw new VolumeDataError(`writing the layer with ${GNU_TAR} failed (exit ${code}): ${this.stderr.trim() || this.failed?.message}`);
    }
  }

  /**
   * Instead of add() and finish(): extracts a whole tar stream made elsewhere (e.g. `docker
   * export`) and waits for GNU tar; throws when it failed.
   */
  async fromTar(source: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of source) await this.write(Buffer.from(chunk));
    this.child.stdin!.end();
    const code = await this.exited;
    if (this.failed || code !== 0) {
      throw new VolumeDataError(`extracting the layer with ${GNU_TAR} failed (exit ${code}): ${this.stderr.trim() || this.failed?.message}`);
    }
  }

  /** Stops GNU tar; the caller removes the directory. */
  async abort(): Promise<void> {
    this.child.stdin!.destroy();
    this.child.kill('SIGKILL');
    await this.exited;
  }

  private write(buf: Buffer): Promise<void> {
    if (this.failed) return Promise.reject(new VolumeDataError(`writing the layer failed: ${this.stderr.trim() || this.failed.message}`));
    const stdin = this.child.stdin!;
    if (stdin.write(buf)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        stdin.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        stdin.off('drain', onDrain);
        reject(err);
      };
      stdin.once('drain', onDrain);
      stdin.once('error', onError);
    });
  }
}

/**
 * Whether this process can write and read trusted.* xattrs under `scratch` (root with
 * CAP_SYS_ADMIN). Without it an opaque directory would silently lose its marker.
 */
export async function canKeepOverlayAttributes(scratch: string): Promise<boolean> {
  const dir = await fs.mkdtemp(path.join(scratch, 'probe-'));
  try {
    const w = new LayerWriter(dir);
    const e: LayerEntry = { path: 'x', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 };
    await w.add(e);
    await w.add({ ...e, type: 'opaque' });
    // A writer that cannot finish is the probe's answer: the attributes are not kept.
    if (!(await w.finish().then(() => true, () => false))) return false;
    // Attributes that cannot be read back are the same answer (a probe, not a failure).
    const read = await directoryOverlayXattrs(dir, ['x']).then((attrs) => attrs, () => null);
    return read?.get('x')?.opaque === 'y';
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
