import { imageView } from '../../../src/image/image-views';
import { isoMicros, isoSecondsZ, keystoneTime } from '../../../src/shared/time-format';
import type { ImageRecord } from '../../../src/image/image-api';

const image = (properties: Record<string, string>): ImageRecord => ({
  id: 'i1', name: 'n', status: 'active', visibility: 'private', protected: false, osHidden: false, owner: 'p', size: 1, virtualSize: null,
  minDisk: 0, minRam: 0, diskFormat: 'raw', containerFormat: 'bare', checksum: null, osHashAlgo: null, osHashValue: null,
  properties, tags: ['t'], createdAt: new Date(Date.UTC(2026, 10, 30, 8, 1, 2, 345)), updatedAt: new Date(0),
});

describe('Glance image view', () => {
  test('properties come first, the core fields after them and over any of the same name', () => {
    const view = imageView(image(JSON.parse('{"zz": "1", "name": "shadowed", "hw_disk_bus": "virtio", "schema": "x"}')));
    const keys = Object.keys(view);
    expect(keys.slice(0, 4)).toEqual(['zz', 'name', 'hw_disk_bus', 'schema']);
    expect(keys).toContain('file');
    expect(view).toMatchObject({ zz: '1', hw_disk_bus: 'virtio', name: 'n', schema: '/v2/schemas/image', created_at: '2026-11-30T08:01:02Z' });
    expect(keys.filter((k) => k === 'name')).toHaveLength(1);
  });

  test('a property named __proto__ is an own key of the view, as in Glance, and no prototype', () => {
    const view = imageView(image(JSON.parse('{"__proto__": "p"}')));
    expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(view)).__proto__).toBe('p');
    expect(Object.keys(view)[0]).toBe('__proto__');
  });

  test('no properties: the core fields alone', () => {
    expect(Object.keys(imageView(image({})))[0]).toBe('id');
  });
});

describe('service date texts', () => {
  const d = new Date(Date.UTC(2026, 10, 30, 8, 1, 2, 345));
  test('Nova and Glance: seconds and Z; Cinder: microseconds, no zone; Keystone: microseconds and Z', () => {
    expect(isoSecondsZ(d)).toBe('2026-11-30T08:01:02Z');
    expect(isoMicros(d)).toBe('2026-11-30T08:01:02.345000');
    expect(keystoneTime(d)).toBe('2026-11-30T08:01:02.345000Z');
  });
});
