import { ArchiveInvalid, parseChecksums, parseManifest, storedLayers, type ArchiveManifest } from '../../../src/archive/archive-format';

const sha = (c: string) => c.repeat(64);

function manifest(edit: (m: any) => void = () => undefined): string {
  const m: any = {
    format: 'snapstack-archive', version: 1, archive_id: '6f1c2a50-0000-4000-8000-000000000001', created_at: '2026-11-23T14:00:00.000Z',
    kind: 'instance-snapshot',
    source: { instance_id: 'abcd0123', project_id: 'p1', project_name: 'demo', snapshot_id: null, image_id: 'img-1', name: 'web' },
    image: {
      name: 'web', min_disk: 1, min_ram: 0, flavor_hint: { name: null, disk_gb: 1, ram_mb: 0 }, root_device_name: '/dev/vda',
      block_device_mapping: [{ source_type: 'snapshot', snapshot_id: 's-root', boot_index: 0 }, { source_type: 'snapshot', snapshot_id: 's-data' }],
      properties: { os_distro: 'busybox' },
    },
    volumes: [
      { snapshot_id: 's-root', name: 'root', description: null, size_gb: 1, device: '/dev/vda', boot_index: 0, bootable: true,
        layers: [{ id: 'abcd0123-00000001', sha256: sha('a'), bytes: 2048, files: 3 }, { id: 'abcd0123-00000002', sha256: sha('b'), bytes: 4096, files: 5 }] },
      { snapshot_id: 's-data', name: 'data', description: 'x', size_gb: 2, device: '/dev/vdb', boot_index: null, bootable: false,
        layers: [{ id: 'abcd0123-00000003', sha256: sha('c'), bytes: 1536, files: 1 }, { id: 'abcd0123-00000002', sha256: sha('b'), bytes: 4096, files: 5 }] },
    ],
    base: null,
  };
  edit(m);
  return JSON.stringify(m);
}

describe('parseManifest', () => {
  it('accepts a valid instance-snapshot manifest', () => {
    const m = parseManifest(manifest());
    expect(m.volumes).toHaveLength(2);
    // A layer shared by two chains is stored once.
    expect(storedLayers(m).map((l) => l.id)).toEqual(['abcd0123-00000001', 'abcd0123-00000002', 'abcd0123-00000003']);
  });

  it('an incremental archive stores only the layers its base lacks', () => {
    const m = parseManifest(manifest((x) => (x.base = { archive_id: 'earlier', layer_ids: ['abcd0123-00000002'] })));
    expect(storedLayers(m).map((l) => l.id)).toEqual(['abcd0123-00000001', 'abcd0123-00000003']);
  });

  it.each<[string, (m: any) => void, RegExp]>([
    ['an unknown version', (m) => (m.version = 3), /unsupported archive format version 3: this Snapstack reads versions 1 and 2/],
    ['a root image in version 1', (m) => (m.root_image = { file: 'images/root.tar', sha256: '0'.repeat(64), bytes: 2048, docker_image: 'x' }), /root_image needs format version 2/],
    ['another format', (m) => (m.format = 'oci'), /not a snapstack archive/],
    ['a bad digest', (m) => (m.volumes[0].layers[0].sha256 = 'xyz'), /volumes\[0\]\.layers\[0\]\.sha256 has an invalid value/],
    ['a layer id with a slash', (m) => (m.volumes[0].layers[0].id = '../etc'), /layers\[0\]\.id must be a layer id/],
    ['a layer described twice differently', (m) => (m.volumes[1].layers[1].bytes = 8192), /described differently/],
    ['a repeated layer in one chain', (m) => m.volumes[0].layers.push(m.volumes[0].layers[0]), /appears twice in one chain/],
    ['no volumes', (m) => (m.volumes = []), /non-empty list/],
    ['a mapping to an unknown snapshot', (m) => (m.image.block_device_mapping[0].snapshot_id = 'elsewhere'), /names snapshot elsewhere/],
    ['an instance snapshot without image', (m) => (m.image = null), /needs manifest.image/],
    ['a size of zero', (m) => (m.volumes[0].size_gb = 0), /size_gb must be an integer of at least 1/],
    ['its own base', (m) => (m.base = { archive_id: m.archive_id, layer_ids: [] }), /its own base/],
  ])('refuses %s', (_what, edit, message) => {
    expect(() => parseManifest(manifest(edit))).toThrow(ArchiveInvalid);
    expect(() => parseManifest(manifest(edit))).toThrow(message);
  });

  it('refuses what is not JSON', () => {
    expect(() => parseManifest('{nope')).toThrow('invalid manifest.json: not JSON');
  });

  it('checks the version before anything else', () => {
    expect(() => parseManifest(JSON.stringify({ format: 'snapstack-archive', version: 7 }))).toThrow(/version 7/);
  });

  it('types line up with ArchiveManifest', () => {
    const m: ArchiveManifest = parseManifest(manifest());
    expect(m.image?.flavor_hint.disk_gb).toBe(1);
  });
});

describe('parseChecksums', () => {
  it('reads sha256sum output', () => {
    const sums = parseChecksums(Buffer.from(`${sha('a')}  manifest.json\n${sha('b')} *layers/x.tar\n`));
    expect(sums.get('manifest.json')).toBe(sha('a'));
    expect(sums.get('layers/x.tar')).toBe(sha('b'));
  });

  it('refuses a malformed line', () => {
    expect(() => parseChecksums(Buffer.from('zz  manifest.json\n'))).toThrow(/line 1/);
  });
});
