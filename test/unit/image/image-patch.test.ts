import { applyImagePatch } from '../../../src/image/image-patch';
import { imageKeyset, parseImageListQuery } from '../../../src/image/image-listing';
import type { ImageRecord } from '../../../src/image/image-api';

const image = (over: Partial<ImageRecord> = {}): ImageRecord => ({
  id: 'i1', name: 'n', status: 'active', visibility: 'private', protected: false, osHidden: false, owner: 'p', size: 1, virtualSize: null,
  minDisk: 0, minRam: 0, diskFormat: 'raw', containerFormat: 'bare', checksum: null, osHashAlgo: null, osHashValue: null,
  properties: { foo: 'bar' }, tags: [], createdAt: new Date(0), updatedAt: new Date(0), ...over,
});
const user = { projectId: 'p', isAdmin: false };

describe('Glance JSON patch', () => {
  test('add on an existing attribute replaces it; properties are strings', () => {
    const c = applyImagePatch(image(), [{ op: 'add', path: '/name', value: 'x' }, { op: 'add', path: '/foo', value: 'baz' }, { op: 'add', path: '/min_disk', value: 3 }], user);
    expect(c).toMatchObject({ name: 'x', min_disk: 3, properties: { foo: 'baz' } });
    expect(() => applyImagePatch(image(), [{ op: 'add', path: '/foo', value: 1 }], user)).toThrow(/is not of type 'string'/);
  });

  test('replace/remove of a missing property: 409; read-only and reserved: 403; formats only while queued', () => {
    const status = (ops: unknown) => { try { applyImagePatch(image(), ops, user); return 200; } catch (e: any) { return e.status; } };
    expect(status([{ op: 'replace', path: '/nope', value: 'x' }])).toBe(409);
    expect(status([{ op: 'remove', path: '/nope' }])).toBe(409);
    expect(status([{ op: 'replace', path: '/checksum', value: 'x' }])).toBe(403);
    expect(status([{ op: 'add', path: '/deleted', value: 'x' }])).toBe(403);
    expect(status([{ op: 'add', path: '/visibility', value: 'public' }])).toBe(403);
    expect(status([{ op: 'add', path: '/disk_format', value: 'qcow2' }])).toBe(403);
    expect(status([{ op: 'move', path: '/name', from: '/foo' }])).toBe(400);
    expect(status([{ op: 'add', path: '/a/b', value: 'x' }])).toBe(400);
    expect(status({ op: 'add' })).toBe(400);
  });
});

describe('listing', () => {
  test('defaults: limit unset, os_hidden false, newest first; bad values are 400', () => {
    expect(parseImageListQuery({})).toMatchObject({ osHidden: false, sort: [{ key: 'created_at', dir: 'desc' }] });
    expect(parseImageListQuery({ limit: '5000' }).limit).toBe(1000);
    expect(parseImageListQuery({ sort: 'name:asc,size' }).sort).toEqual([{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' }]);
    expect(parseImageListQuery({ tag: ['a', 'b'] }).tags).toEqual(['a', 'b']);
    expect(() => parseImageListQuery({ limit: '-1' })).toThrow();
    expect(() => parseImageListQuery({ sort: 'name', sort_key: 'name' })).toThrow();
    expect(() => parseImageListQuery({ os_hidden: 'maybe' })).toThrow();
  });

  test('the SQL order: the asked keys, then id in the last key\'s direction; nullable columns flagged', () => {
    expect(imageKeyset([{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' }])).toEqual({
      alias: 'i', nulls: 'low',
      keys: [{ column: 'name', dir: 'asc', nullable: true }, { column: 'size', dir: 'desc', nullable: true }, { column: 'id', dir: 'desc' }],
    });
    expect(imageKeyset([{ key: 'id', dir: 'asc' }]).keys).toEqual([{ column: 'id', dir: 'asc', nullable: false }]);
  });
});
