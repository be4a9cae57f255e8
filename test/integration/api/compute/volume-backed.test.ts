import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, mv, pollUntil, randomName, waitForServer, waitForSnapshot, waitForVolume,
} from '../../../support/compute-helpers';

const VOL = '/volume/v3/{project_id}';
let h: Harness;
let demo: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  demo = await h.login('demo');
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

async function createVolume(size = 1, extra: Record<string, unknown> = {}) {
  const res = await demo.request('POST', `${VOL}/volumes`, { volume: { size, name: randomName('vol'), ...extra } });
  expect(res.status).toBe(202);
  return waitForVolume(demo, res.body.volume.id, ['available']);
}

const bfv = (extra: Record<string, unknown> = {}) => ({
  imageRef: '',
  flavorRef: '1',
  block_device_mapping_v2: [{ uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, ...extra }],
});

test('boot from volume (image -> volume): image "", root volume in-use at /dev/vda mounted on /mnt/vda; attach/detach', async () => {
  const s = await bootServer(demo, bfv());
  expect(s.image).toBe('');
  const [root] = s['os-extended-volumes:volumes_attached'];
  expect(s['os-extended-volumes:volumes_attached']).toHaveLength(1);
  const rootVol = await waitForVolume(demo, root.id, ['in-use']);
  expect(rootVol.attachments[0]).toMatchObject({ server_id: s.id, device: '/dev/vda' });
  expect(rootVol.bootable).toBe('true');
  const at3 = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.3'))).body.server;
  expect(at3['os-extended-volumes:volumes_attached']).toEqual([{ id: root.id, delete_on_termination: false }]);
  const c = (await containerOf(h.app.instanceId, s.id))!;
  expect(c.Mounts.map((m: any) => m.Destination)).toEqual(['/mnt/vda']);
  await dockerExec(c.Id, 'echo root-data > /mnt/vda/f');

  // Attach: the container is re-created with the new mount; what was on the root volume stays.
  const data = await createVolume();
  const attached = await demo.request('POST', `${COMPUTE}/servers/${s.id}/os-volume_attachments`, { volumeAttachment: { volumeId: data.id } });
  expect(attached.status).toBe(200);
  expect(attached.body.volumeAttachment).toEqual({ device: '/dev/vdb', id: data.id, serverId: s.id, volumeId: data.id });
  expect((await waitForVolume(demo, data.id, ['in-use'])).attachments[0]).toMatchObject({ server_id: s.id, device: '/dev/vdb' });
  const c2 = (await containerOf(h.app.instanceId, s.id))!;
  expect(c2.Mounts.map((m: any) => m.Destination).sort()).toEqual(['/mnt/vda', '/mnt/vdb']);
  expect(await dockerExec(c2.Id, 'cat /mnt/vda/f && echo v > /mnt/vdb/g && cat /mnt/vdb/g')).toBe('root-data\nv\n');
  const list = await demo.request('GET', `${COMPUTE}/servers/${s.id}/os-volume_attachments`, undefined, mv('2.89'));
  expect(list.body.volumeAttachments.map((a: any) => a.volumeId).sort()).toEqual([root.id, data.id].sort());
  expect(list.body.volumeAttachments[0]).toHaveProperty('delete_on_termination');
  expect(list.body.volumeAttachments[0]).not.toHaveProperty('id');
  expect(list.body.volumeAttachments.every((a: any) => typeof a.attachment_id === 'string' && a.bdm_uuid)).toBe(true);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}/os-volume_attachments/${data.id}`)).body.volumeAttachment.device).toBe('/dev/vdb');
  // The detail list reads the volumes in its own query: the same ones, in the same order, as the show.
  for (const version of ['2.1', '2.3']) {
    const shown = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv(version))).body.server['os-extended-volumes:volumes_attached'];
    const detail = (await demo.request('GET', `${COMPUTE}/servers/detail`, undefined, mv(version))).body.servers.find((x: any) => x.id === s.id);
    expect(shown.map((v: any) => v.id)).toEqual([root.id, data.id]);
    expect(detail['os-extended-volumes:volumes_attached']).toEqual(shown);
  }

  const inUse = await demo.request('POST', `${COMPUTE}/servers/${s.id}/os-volume_attachments`, { volumeAttachment: { volumeId: data.id } });
  expect(inUse.status).toBe(400);
  const rootDetach = await demo.request('DELETE', `${COMPUTE}/servers/${s.id}/os-volume_attachments/${root.id}`);
  expect(rootDetach.status).toBe(400);
  expect(rootDetach.body.badRequest.message).toBe('Cannot detach a root device volume');
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}/os-volume_attachments/${data.id}`)).status).toBe(202);
  await waitForVolume(demo, data.id, ['available']);
  expect((await containerOf(h.app.instanceId, s.id))!.Mounts.map((m: any) => m.Destination)).toEqual(['/mnt/vda']);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}/os-volume_attachments/${data.id}`)).status).toBe(404);

  // Deleting the server leaves a delete_on_termination=false root volume available.
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
  await waitForVolume(demo, root.id, ['available']);
  for (const v of [root.id, data.id]) expect((await demo.request('DELETE', `${VOL}/volumes/${v}`)).status).toBe(202);
});

test('boot from an existing volume and a blank delete_on_termination volume; delete releases both as Nova does', async () => {
  const rootVol = await createVolume();
  // Nova refuses a root volume Cinder does not call bootable.
  const refused = await demo.request('POST', `${COMPUTE}/servers`, { server: {
    name: randomName('nb'), imageRef: '', flavorRef: '0', networks: 'none',
    block_device_mapping_v2: [{ uuid: rootVol.id, boot_index: 0, source_type: 'volume', destination_type: 'volume' }],
  } }, mv('2.37'));
  expect(refused.status).toBe(400);
  expect(refused.body).toEqual({ badRequest: { code: 400, message: `Block Device ${rootVol.id} is not bootable.` } });
  expect((await demo.request('POST', `${VOL}/volumes/${rootVol.id}/action`, { 'os-set_bootable': { bootable: true } })).status).toBe(200);
  const s = await bootServer(demo, {
    imageRef: '', flavorRef: '0',
    block_device_mapping_v2: [
      { uuid: rootVol.id, boot_index: 0, source_type: 'volume', destination_type: 'volume' },
      { source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
    ],
  });
  const ids = s['os-extended-volumes:volumes_attached'].map((v: any) => v.id);
  expect(ids).toContain(rootVol.id);
  const blankId = ids.find((i: string) => i !== rootVol.id);
  const blank = await waitForVolume(demo, blankId, ['in-use']);
  expect(blank.name).toBe(`${s.id}-blank-vol`);
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
  await waitForVolume(demo, rootVol.id, ['available']);
  await pollUntil(() => demo.request('GET', `${VOL}/volumes/${blankId}`), (r) => r.status === 404, 60_000, 'blank volume deleted');
  await demo.request('DELETE', `${VOL}/volumes/${rootVol.id}`);
});

test('BDM errors with Nova texts', async () => {
  const post = (server: Record<string, unknown>) =>
    demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('bad'), flavorRef: '1', networks: 'none', ...server } }, mv('2.37'));
  const noSize = await post(bfv({ volume_size: undefined }));
  expect(noSize.body.badRequest.message).toBe("Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified");
  const missing = await post({ imageRef: '', block_device_mapping_v2: [{ uuid: '00000000-0000-0000-0000-000000000000', boot_index: '0', source_type: 'volume', destination_type: 'volume' }] });
  expect(missing.body.badRequest.message).toBe('Block Device Mapping is Invalid: failed to get volume 00000000-0000-0000-0000-000000000000.');
  const snap = await post({ imageRef: '', block_device_mapping_v2: [{ uuid: '00000000-0000-0000-0000-000000000000', boot_index: '0', source_type: 'snapshot', destination_type: 'volume' }] });
  expect(snap.body.badRequest.message).toBe('Block Device Mapping is Invalid: failed to get snapshot 00000000-0000-0000-0000-000000000000.');
  const twoRoots = await post({ imageRef: '', block_device_mapping_v2: [bfv().block_device_mapping_v2[0], bfv().block_device_mapping_v2[0]] });
  expect(twoRoots.body.badRequest.message).toContain('Boot sequence');
  const badIndex = await post(bfv({ boot_index: 'first' }));
  expect(badIndex.status).toBe(400);
  const cirros = (await demo.request('GET', `${GLANCE}/images?name=cirros-0.6.2-x86_64-disk`)).body.images[0];
  const small = await post({ imageRef: '', block_device_mapping_v2: [{ uuid: cirros.id, boot_index: 0, source_type: 'image', destination_type: 'volume', volume_size: 1 }] });
  expect(small.status).toBe(202); // min_disk 1 <= volume 1 GiB
  await waitForServer(demo, small.body.server.id, ['ACTIVE']);
  const vols = (await demo.request('GET', `${COMPUTE}/servers/${small.body.server.id}`)).body.server['os-extended-volumes:volumes_attached'];
  await demo.request('DELETE', `${COMPUTE}/servers/${small.body.server.id}`);
  await waitForVolume(demo, vols[0].id, ['available']);
  await demo.request('DELETE', `${VOL}/volumes/${vols[0].id}`);
});

test('a failed volume-backed build removes the volume it created', async () => {
  const img = await demo.request('POST', `${GLANCE}/images`, { name: randomName('broken'), disk_format: 'raw', container_format: 'bare', snapstack_docker_image: 'snapstack/nope:latest' });
  await demo.request('PUT', `${GLANCE}/images/${img.body.id}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' });
  const startedAt = new Date();
  const before = new Set((await demo.request('GET', `${VOL}/volumes`)).body.volumes.map((v: any) => v.id));
  const s = await bootServer(demo, { imageRef: '', flavorRef: '1', block_device_mapping_v2: [{ uuid: img.body.id, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1 }] }, mv('2.37'), ['ERROR']);
  expect(s['os-extended-volumes:volumes_attached']).toEqual([]);
  // Other volumes may still be going away: only new ones count.
  await pollUntil(() => demo.request('GET', `${VOL}/volumes`), (r) => r.body.volumes.every((v: any) => before.has(v.id)), 60_000, 'volume removed');
  // It was made (then deleted) by the build.
  const made = await h.app.db('jobs').where({ kind: 'volume.create' }).where('created_at', '>=', startedAt).select('resource_id');
  expect(made).toHaveLength(1);
  const deleted = await h.app.db('jobs').where({ kind: 'volume.delete', resource_id: made[0].resource_id });
  expect(deleted).toHaveLength(1);
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
});

test('volume-backed createImage (contract 3): snapshots per volume, empty active private image, task_state untouched', async () => {
  const s = await bootServer(demo, bfv());
  const data = await createVolume(2, { description: 'data disk' });
  await demo.request('POST', `${COMPUTE}/servers/${s.id}/os-volume_attachments`, { volumeAttachment: { volumeId: data.id } });
  await waitForVolume(demo, data.id, ['in-use']);
  const rootId = s['os-extended-volumes:volumes_attached'][0].id;

  const name = randomName('vbsnap');
  // A project cannot make its snapshot pass for a workspace one: snapstack_scope is always namespace.
  const res = await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name, metadata: { k: 'v', snapstack_scope: 'workspace' } } });
  expect(res.status).toBe(202);
  const imageUrl = res.headers.get('location')!;
  const imgId = imageUrl.split('/').pop()!;
  const after = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server;
  expect(after).toMatchObject({ status: 'ACTIVE', 'OS-EXT-STS:task_state': null });
  // Made within the request, so its instance action's event is finished by it.
  const action = await demo.request('GET', `${COMPUTE}/servers/${s.id}/os-instance-actions/${res.headers.get('x-compute-request-id')}`, undefined, mv('2.51'));
  expect(action.body.instanceAction).toMatchObject({ action: 'createImage', events: [expect.objectContaining({ event: 'compute_snapshot_instance', result: 'Success' })] });

  const image = (await demo.request('GET', `${GLANCE}/images/${imgId}`)).body;
  expect(image).toMatchObject({
    name, status: 'active', visibility: 'private', owner: demo.projectId, size: 0, disk_format: 'raw', container_format: 'bare',
    min_disk: 1, min_ram: 0, bdm_v2: 'True', root_device_name: '/dev/vda', checksum: 'd41d8cd98f00b204e9800998ecf8427e',
    base_image_ref: '', k: 'v', boot_roles: expect.any(String), owner_project_name: 'demo', snapstack_scope: 'namespace',
  });
  expect(image).not.toHaveProperty('image_type');
  expect(image).not.toHaveProperty('instance_uuid');
  expect((await demo.request('GET', `${GLANCE}/images`)).body.images.map((i: any) => i.id)).toContain(imgId);
  const mapping = JSON.parse(image.block_device_mapping);
  expect(mapping).toHaveLength(2);
  const rootItem = mapping.find((m: any) => m.boot_index === 0);
  expect(rootItem).toEqual({
    source_type: 'snapshot', destination_type: 'volume', snapshot_id: expect.any(String), boot_index: 0, device_name: '/dev/vda',
    delete_on_termination: false, volume_size: 1, disk_bus: 'virtio', device_type: 'disk', guest_format: null, image_id: null,
    volume_id: null, no_device: null, tag: null, volume_type: null, encrypted: null, encryption_secret_uuid: null,
    encryption_format: null, encryption_options: null,
  });
  const dataItem = mapping.find((m: any) => m.device_name === '/dev/vdb');
  expect(dataItem).toMatchObject({ boot_index: null, volume_size: 2, source_type: 'snapshot' });
  const rootSnap = await waitForSnapshot(demo, rootItem.snapshot_id, ['available']);
  expect(rootSnap).toMatchObject({ volume_id: rootId, name: `snapshot for ${name}` });
  const dataSnap = await waitForSnapshot(demo, dataItem.snapshot_id, ['available']);
  expect(dataSnap).toMatchObject({ volume_id: data.id, name: `snapshot for ${name}`, description: 'data disk', size: 2 });

  const modern = await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name: randomName('vb') } }, mv('2.45'));
  expect(modern.status).toBe(202);
  expect(modern.body).toEqual({ image_id: expect.any(String) });

  const proxied = await demo.request('GET', `${COMPUTE}/images/${imgId}`);
  expect(proxied.body.image).toMatchObject({ status: 'ACTIVE', minDisk: 1, progress: 100 });
  expect(proxied.body.image.metadata.bdm_v2).toBe('True');

  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  await waitForVolume(demo, data.id, ['available']);
});
