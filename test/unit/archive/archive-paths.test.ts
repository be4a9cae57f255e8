import { ArchiveInvalid } from '../../../src/archive/archive-format';
import { normalizeEntryPath, resolveInside } from '../../../src/archive/archive-paths';

describe('normalizeEntryPath', () => {
  it.each([
    ['./', ''],
    ['.', ''],
    ['a', 'a'],
    ['./a/b/', 'a/b'],
    ['a//b/./c', 'a/b/c'],
    ['dir with space/ünïcode', 'dir with space/ünïcode'],
  ])('%j -> %j', (name, expected) => {
    expect(normalizeEntryPath(name)).toBe(expected);
  });

  it.each([
    ['/etc/passwd', /absolute path/],
    ['../x', /climbs out/],
    ['a/../../x', /climbs out/],
    ['a/..', /climbs out/],
    ['a\0b', /NUL/],
    [`a/${'x'.repeat(256)}`, /longer than 255/],
    ['x'.repeat(5000), /longer than 4096/],
  ])('refuses %j', (name, message) => {
    expect(() => normalizeEntryPath(name)).toThrow(ArchiveInvalid);
    expect(() => normalizeEntryPath(name)).toThrow(message);
  });
});

describe('resolveInside', () => {
  const none = new Map<string, string>();

  it.each([
    ['a', 'b', 'b'],
    ['d/l', '../x', 'x'],
    ['d/e/l', '../../x', 'x'],
    ['d/l', '.', 'd'],
    ['d/l', './f/../g', 'd/g'],
    // A root file system's links: absolute targets name the volume's own files.
    ['bin/arch', '/bin/busybox', 'bin/busybox'],
    ['l', '/etc/passwd', 'etc/passwd'],
    ['usr/lib/x', '/lib/../lib/x', 'lib/x'],
  ])('%s -> %s stays inside (%s)', (link, target, resolved) => {
    expect(resolveInside(link, target, none)).toBe(resolved);
  });

  it.each([
    ['l', '/..'],
    ['l', '..'],
    ['d/l', '../../x'],
    ['d/l', '../d/../../x'],
  ])('%s -> %s escapes', (link, target) => {
    expect(resolveInside(link, target, none)).toBeNull();
  });

  it('follows the layer\'s own links met on the way', () => {
    // r -> . is harmless alone; e -> r/.. climbs out through it.
    const links = new Map([['r', '.'], ['e', 'r/..']]);
    expect(resolveInside('r', '.', links)).toBe('');
    expect(resolveInside('e', 'r/..', links)).toBeNull();
    const deep = new Map([['d/up', '..'], ['x', 'd/up/y']]);
    expect(resolveInside('x', 'd/up/y', deep)).toBe('y');
    const out = new Map([['d/up', '../..'], ['x', 'd/up/y']]);
    expect(resolveInside('x', 'd/up/y', out)).toBeNull();
  });

  it('a link to a link that escapes escapes', () => {
    const links = new Map([['a', 'b'], ['b', '../out']]);
    expect(resolveInside('a', 'b', links)).toBeNull();
  });

  it('loops are refused', () => {
    const links = new Map([['a', 'b/x'], ['b', 'a/x']]);
    expect(resolveInside('c', 'a/x/y', links)).toBeNull();
  });
});
