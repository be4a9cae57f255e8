// How `snapstack snapshot list` tells snapshots apart from what the APIs return.
import { imageScope, isInstanceSnapshot, volumeSnapshotScope } from '../../../src/cli/commands/snapshot-list';

const PROJECT = 'os-extended-snapshot-attributes:project_id';

describe('snapshot list: Kind and Scope', () => {
  it('a volume snapshot is workspace when the pseudo-project owns it; its metadata counts only when the owner is hidden', () => {
    expect(volumeSnapshotScope({ [PROJECT]: 'workspace', metadata: { snapstack_scope: 'workspace' } })).toBe('workspace');
    expect(volumeSnapshotScope({ [PROJECT]: 'p1', metadata: {} })).toBe('namespace');
    // A project writing the metadata on its own snapshot does not make it a workspace one.
    expect(volumeSnapshotScope({ [PROJECT]: 'p1', metadata: { snapstack_scope: 'workspace' } })).toBe('namespace');
    // Clouds that hide the owner from members (real Cinder's policy): the metadata.
    expect(volumeSnapshotScope({ metadata: { snapstack_scope: 'workspace' } })).toBe('workspace');
    expect(volumeSnapshotScope({})).toBe('namespace');
  });

  it('an image likewise: its owner, else its snapstack_scope property', () => {
    expect(imageScope({ owner: 'workspace', snapstack_scope: 'workspace' })).toBe('workspace');
    expect(imageScope({ owner: 'p1', snapstack_scope: 'namespace' })).toBe('namespace');
    expect(imageScope({ owner: 'p1', snapstack_scope: 'workspace' })).toBe('namespace');
    expect(imageScope({ owner: null, snapstack_scope: 'workspace' })).toBe('workspace');
    expect(imageScope({ owner: 'p1' })).toBe('namespace');
  });

  it('instance snapshots: image-backed (image_type) or a mapping of volume snapshots; seeded images are not', () => {
    expect(isInstanceSnapshot({ image_type: 'snapshot' })).toBe(true);
    expect(isInstanceSnapshot({ bdm_v2: 'True', block_device_mapping: JSON.stringify([{ source_type: 'snapshot', snapshot_id: 's' }]) })).toBe(true);
    expect(isInstanceSnapshot({ block_device_mapping: JSON.stringify([{ source_type: 'image' }]) })).toBe(false);
    expect(isInstanceSnapshot({ block_device_mapping: 'not json' })).toBe(false);
    expect(isInstanceSnapshot({ name: 'busybox', snapstack_docker_image: 'snapstack/busybox:latest' })).toBe(false);
  });
});
