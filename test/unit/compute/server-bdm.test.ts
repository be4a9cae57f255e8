import type { ImageRecord } from '../../../src/image/image-api';
import { assignDeviceNames, imageDefinedBdms, mergeBdms, parseBootIndex, parseRequestedBdms, validateBdmList } from '../../../src/compute/server-bdm';

describe('block_device_mapping_v2 parsing', () => {
  test('boot_index: integer or numeric string; negative or None means not bootable', () => {
    expect(parseBootIndex('0')).toBe(0);
    expect(parseBootIndex(1)).toBe(1);
    expect(parseBootIndex(-1)).toBeNull();
    expect(parseBootIndex('None')).toBeNull();
    expect(parseBootIndex(undefined)).toBeNull();
    expect(() => parseBootIndex('first')).toThrow(/boot_index/);
  });

  test("OSC's --boot-from-volume mapping, with Nova's defaults", () => {
    const [b] = parseRequestedBdms([{ uuid: 'img', boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1 }]);
    expect(b).toMatchObject({ source_type: 'image', destination_type: 'volume', boot_index: 0, volume_size: 1, delete_on_termination: false, device_name: null });
    const [v] = parseRequestedBdms([{ uuid: 'vol', boot_index: '0', source_type: 'volume' }]);
    expect(v.destination_type).toBe('volume');
    expect(parseRequestedBdms([{ source_type: 'blank', destination_type: 'volume', volume_size: '2', device_name: 'vdc', delete_on_termination: 'true' }])[0])
      .toMatchObject({ volume_size: 2, device_name: '/dev/vdc', delete_on_termination: true });
    expect(() => parseRequestedBdms([{ source_type: 'volume', destination_type: 'volume' }])).toThrow('Block Device Mapping is Invalid: Missing device UUID.');
  });

  test('list rules: one root, sizes where Nova needs them, unique devices', () => {
    const root = parseRequestedBdms([{ uuid: 'img', boot_index: 0, source_type: 'image', destination_type: 'volume', volume_size: 1 }]);
    expect(() => validateBdmList([...root, ...root])).toThrow(/Boot sequence/);
    expect(() => validateBdmList(parseRequestedBdms([{ uuid: 'img', boot_index: 0, source_type: 'image', destination_type: 'volume' }]))).toThrow(/non-zero size/);
    expect(() => validateBdmList(parseRequestedBdms([{ source_type: 'blank', destination_type: 'volume' }]))).toThrow(/Blank volumes/);
    expect(() => validateBdmList(parseRequestedBdms([
      { uuid: 'a', source_type: 'volume', device_name: 'vdb' }, { uuid: 'b', source_type: 'volume', device_name: '/dev/vdb' },
    ]))).toThrow(/Duplicate device/);
    expect(() => validateBdmList(root)).not.toThrow();
  });

  test('device names: root /dev/vda, then the next free /dev/vdX', () => {
    const bdms = assignDeviceNames(parseRequestedBdms([
      { uuid: 'a', source_type: 'volume', boot_index: 0 },
      { uuid: 'b', source_type: 'volume' },
      { uuid: 'c', source_type: 'volume', device_name: 'vdc' },
      { uuid: 'd', source_type: 'volume' },
    ]));
    expect(bdms.map((b) => b.device_name)).toEqual(['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd']);
  });

  test('merge: request overrides image BDMs by device; an image root drops the request image root', () => {
    const fromImage = parseRequestedBdms([
      { uuid: 's1', source_type: 'snapshot', boot_index: 0, device_name: '/dev/vda' },
      { uuid: 's2', source_type: 'snapshot', device_name: '/dev/vdb' },
    ]);
    const request = parseRequestedBdms([
      { uuid: 'img', source_type: 'image', destination_type: 'local', boot_index: 0 },
      { uuid: 'v', source_type: 'volume', device_name: '/dev/vdb' },
    ]);
    expect(mergeBdms(fromImage, request).map((b) => b.uuid)).toEqual(['s1', 'v']);
    expect(mergeBdms([], request)).toBe(request);
  });

  test('merge: a dropped request image root keeps its larger volume_size (--boot-from-volume N)', () => {
    const fromImage = parseRequestedBdms([{ uuid: 's1', source_type: 'snapshot', boot_index: 0, device_name: '/dev/vda', volume_size: 1 }]);
    const bfv = (size: number) => parseRequestedBdms([{ uuid: 'img', source_type: 'image', destination_type: 'volume', boot_index: '0', volume_size: size }]);
    expect(mergeBdms(fromImage, bfv(30)).map((b) => [b.uuid, b.volume_size])).toEqual([['s1', 30]]);
    expect(mergeBdms(fromImage, bfv(1)).map((b) => [b.uuid, b.volume_size])).toEqual([['s1', 1]]);
    expect(fromImage[0].volume_size).toBe(1);
  });
});

describe('image-defined BDMs (an instance snapshot image)', () => {
  const image = (properties: Record<string, string>) => ({ id: 'img-1', properties } as unknown as ImageRecord);
  const item = (extra: Record<string, unknown>) => ({
    source_type: 'snapshot', destination_type: 'volume', snapshot_id: 'snap-a', boot_index: 0, device_name: '/dev/vda', delete_on_termination: false,
    volume_size: 10, disk_bus: 'virtio', device_type: 'disk', guest_format: null, image_id: null, volume_id: null, no_device: null, tag: null,
    volume_type: null, encrypted: null, encryption_secret_uuid: null, encryption_format: null, encryption_options: null, ...extra,
  });

  test("Nova's block_device_mapping items become BDMs: ids, boot index, devices, sizes, delete_on_termination kept", () => {
    const mapping = [item({}), item({ snapshot_id: 'snap-b', boot_index: null, device_name: '/dev/vdb', volume_size: null, delete_on_termination: true })];
    const bdms = imageDefinedBdms(image({ block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True', root_device_name: '/dev/vda' }));
    expect(bdms.map((b) => [b.source_type, b.destination_type, b.uuid, b.boot_index, b.device_name, b.volume_size, b.delete_on_termination])).toEqual([
      ['snapshot', 'volume', 'snap-a', 0, '/dev/vda', 10, false],
      ['snapshot', 'volume', 'snap-b', null, '/dev/vdb', null, true],
    ]);
  });

  test('only bdm_v2 mappings; no_device items skipped; malformed JSON is a 400', () => {
    const json = JSON.stringify([item({})]);
    expect(imageDefinedBdms(image({ block_device_mapping: json }))).toEqual([]);
    expect(imageDefinedBdms(image({}))).toEqual([]);
    expect(imageDefinedBdms(image({ block_device_mapping: JSON.stringify([item({ no_device: true })]), bdm_v2: 'True' }))).toEqual([]);
    expect(() => imageDefinedBdms(image({ block_device_mapping: '[{', bdm_v2: 'True' }))).toThrow(/Block Device Mapping is Invalid/);
    expect(() => imageDefinedBdms(image({ block_device_mapping: JSON.stringify([item({ snapshot_id: null })]), bdm_v2: 'True' }))).toThrow('Missing device UUID');
  });
});
