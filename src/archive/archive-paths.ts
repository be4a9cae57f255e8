/**
 * Path safety of layer entries: names stay inside the volume, links point inside it. A volume
 * can be a server's root file system (made from an image, booted from), where `/bin/sh` means
 * the volume's own bin/sh: an absolute symlink target is resolved from the volume's root. A
 * relative one that climbs above the root with `..` is refused. Links are never followed on
 * the host: GNU tar writes them last, and an entry under a link is refused (archive-reader).
 */
import { ArchiveInvalid } from './archive-format';

const MAX_PATH_BYTES = 4096;
const MAX_NAME_BYTES = 255;
const MAX_SYMLINK_HOPS = 40;

/**
 * The canonical relative path of a tar entry name ('' is the volume's root). Refuses absolute
 * names, `..` segments, NUL bytes and over-long names; tolerates `./`, `a//b` and a trailing `/`.
 */
export function normalizeEntryPath(name: string, what = 'entry'): string {
  if (name.includes('\0')) throw new ArchiveInvalid(`${what} ${JSON.stringify(name)} has a NUL byte in its name`);
  if (name.startsWith('/')) throw new ArchiveInvalid(`${what} ${JSON.stringify(name)} has an absolute path`);
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) throw new ArchiveInvalid(`${what} name is longer than ${MAX_PATH_BYTES} bytes`);
  const segments: string[] = [];
  for (const s of name.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') throw new ArchiveInvalid(`${what} ${JSON.stringify(name)} climbs out with '..'`);
    if (Buffer.byteLength(s) > MAX_NAME_BYTES) throw new ArchiveInvalid(`${what} ${JSON.stringify(name)} has a name longer than ${MAX_NAME_BYTES} bytes`);
    segments.push(s);
  }
  return segments.join('/');
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * Where a symlink at `linkPath` with `target` leads, resolved inside the volume: an absolute
 * target from the volume's root, `..` at the root escapes, and symlinks met on the way (`links`,
 * the layer's own) are followed. Returns null when the link escapes (`..` above the root) or loops.
 */
export function resolveInside(linkPath: string, target: string, links: ReadonlyMap<string, string>): string | null {
  if (target.includes('\0')) return null;
  let hops = 0;
  const walk = (base: string[], rel: string): string[] | null => {
    const out = [...base];
    const parts = rel.split('/');
    for (let i = 0; i < parts.length; i++) {
      const s = parts[i];
      if (s === '' || s === '.') continue;
      if (s === '..') {
        if (out.length === 0) return null;
        out.pop();
        continue;
      }
      out.push(s);
      const link = links.get(out.join('/'));
      // Follow a link met mid-path (the last component is the link's own target, not followed).
      if (link !== undefined && i < parts.length - 1) {
        if (++hops > MAX_SYMLINK_HOPS) return null;
        out.pop();
        const resolved = walk(link.startsWith('/') ? [] : out, link);
        if (!resolved) return null;
        out.length = 0;
        out.push(...resolved);
      }
    }
    return out;
  };
  const resolved = walk(target.startsWith('/') ? [] : parentOf(linkPath).split('/').filter(Boolean), target);
  if (!resolved) return null;
  // A final component that is itself a link must resolve inside too.
  const final = resolved.join('/');
  const next = links.get(final);
  if (next !== undefined && final !== linkPath) {
    if (++hops > MAX_SYMLINK_HOPS) return null;
    return resolveInside(final, next, new Map([...links].filter(([k]) => k !== final)));
  }
  return final;
}

/** Names a file may not have in a layer because the OCI form gives them a meaning. */
export function isReservedName(name: string): boolean {
  return name.startsWith('.wh.');
}
