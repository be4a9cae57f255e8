/**
 * Cinder volumes from Glance images (imageRef), on real Docker: the image's root filesystem
 * becomes one read-only layer, made once and shared by every volume from it; the volume is
 * bootable and carries volume_image_metadata; Cinder's refusals; the image's deletion leaves
 * its volumes intact. Also Nova's image -> volume boot on the same path.
 */
import fs from 'fs';
import path from 'path';
import { startHarness, Harness, Session } from '../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, mv, pollUntil, randomName, waitForImage, waitForServerGone, waitForVolume,
} from '../../support/compute-helpers';
import { lowerDirsOf, VOL } from '../../support/launch-helpers';

jest.setTimeout(240_000);

let h: Harness;
let demo: Session;
let alt: Session;
let busybox: any;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt] = await Promise.all([h.login('demo'), h.login('alt_demo')]);
  busybox = await busyboxImage(demo);
});
afterAll(async () => { await h?.stop(); });

const createFromImage = (s: Session, imageRef: string, size: unknown = 1) =>
  s.request('POST', `${VOL}/volumes`, { volume: { size, name: randomName('fromimg'), imageRef } });

/** Boots a throwaway server on the volume and runs `script` in it. */
async function readVolume(volumeId: string, script: string): Promise<string> {
  const s = await bootServer(demo, {
    imageRef: '', flavorRef: '1',
    block_device_mapping_v2: [{ uuid: volumeId, boot_index: 0, source_type: 'volume', destination_type: 'volume' }],
  });
  try {
    return await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, script);
  } finally {
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
    await waitForServerGone(demo, s.id);
  }
}

const imageLayerManifest = (imageId: string) => path.join(h.dataDir, 'cow', 'snapshots', `image-${imageId}.json`);

test('a volume from an image: bootable, volume_image_metadata, the image\'s files; the layer is made once and shared', async () => {
  const res = await createFromImage(demo, busybox.id);
  expect(res.status).toBe(202);
  expect(res.body.volume).toMatchObject({ bootable: 'true', status: 'creating' });
  // Cinder's os-vol-image-meta extension extends show and the detailed list, not create.
  expect(res.body.volume).not.toHaveProperty('volume_image_metadata');
  const first = await waitForVolume(demo, res.body.volume.id, ['available']);
  expect(first.volume_image_metadata).toMatchObject({
    image_id: busybox.id, image_name: 'busybox', container_format: busybox.container_format, disk_format: busybox.disk_format,
    min_disk: '0', min_ram: '0', size: String(busybox.size), checksum: busybox.checksum,
  });
  expect(fs.existsSync(imageLayerManifest(busybox.id))).toBe(true);
  const layer = JSON.parse(fs.readFileSync(imageLayerManifest(busybox.id), 'utf8')).chain;
  expect(layer).toHaveLength(1);

  // By name too (Cinder's _image_uuid_from_ref), from another project: same layer, no new one.
  const second = await createFromImage(alt, 'busybox');
  expect(second.status).toBe(202);
  const secondVol = await waitForVolume(alt, second.body.volume.id, ['available']);
  expect(secondVol.volume_image_metadata.image_id).toBe(busybox.id);
  expect(JSON.parse(fs.readFileSync(imageLayerManifest(busybox.id), 'utf8')).chain).toEqual(layer);
  const layers = await lowerDirsOf(`snapstack-${h.app.instanceId}-${second.body.volume.id}`);
  expect(layers).toEqual([path.join(h.dataDir, 'cow', 'l', layer[0])]);

  // The busybox root filesystem is the volume's content; writes stay in this volume.
  expect(await readVolume(first.id, 'test -x /mnt/vda/bin/busybox && echo yes; echo mine > /mnt/vda/root/mine; cat /mnt/vda/root/mine')).toBe('yes\nmine\n');
  expect((await alt.request('GET', `${VOL}/volumes/${secondVol.id}`)).body.volume.bootable).toBe('true');

  // A volume from its snapshot, and a clone, carry its image metadata (Cinder copies the glance metadata).
  await waitForVolume(demo, first.id, ['available']);
  const snap = await demo.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: first.id, name: randomName('imgsnap') } });
  await pollUntil(async () => (await demo.request('GET', `${VOL}/snapshots/${snap.body.snapshot.id}`)).body.snapshot.status, (st) => st === 'available', 60_000, 'snapshot available');
  const fromSnap = await demo.request('POST', `${VOL}/volumes`, { volume: { snapshot_id: snap.body.snapshot.id } });
  const clone = await demo.request('POST', `${VOL}/volumes`, { volume: { source_volid: first.id } });
  for (const made of [fromSnap, clone]) {
    const v = await waitForVolume(demo, made.body.volume.id, ['available']);
    expect(v).toMatchObject({ bootable: 'true', volume_image_metadata: first.volume_image_metadata });
    expect((await demo.request('DELETE', `${VOL}/volumes/${v.id}`)).status).toBe(202);
  }
  await pollUntil(async () => (await demo.request('DELETE', `${VOL}/snapshots/${snap.body.snapshot.id}`)).status, (st) => st === 202, 60_000, 'snapshot deletable');
  await pollUntil(async () => (await demo.request('GET', `${VOL}/snapshots/${snap.body.snapshot.id}`)).status, (st) => st === 404, 60_000, 'snapshot gone');
  for (const [s, id] of [[demo, first.id], [alt, secondVol.id]] as const) {
    await waitForVolume(s, id, ['available']);
    expect((await s.request('DELETE', `${VOL}/volumes/${id}`)).status).toBe(202);
  }
});

test('Cinder\'s refusals: unknown image, inactive image, min_disk and image size over the volume size', async () => {
  const bad = await createFromImage(demo, 'no-such-image');
  expect(bad.status).toBe(400);
  expect(bad.body).toEqual({ badRequest: { code: 400, message: 'Invalid image identifier or unable to access requested image.' } });

  const queued = (await demo.request('POST', `${GLANCE}/images`, { name: randomName('q'), disk_format: 'raw', container_format: 'bare', min_disk: 3 })).body;
  const inactive = await createFromImage(demo, queued.id);
  expect(inactive.body).toEqual({ badRequest: { code: 400, message: `Invalid input received: Image ${queued.id} is not active.` } });

  // An image with uploaded bytes (no Docker image behind it): min_disk is checked; the volume is empty.
  const upload = await demo.request('PUT', `${GLANCE}/images/${queued.id}/file`, Buffer.from('not a filesystem'), { 'Content-Type': 'application/octet-stream' });
  expect(upload.status).toBe(204);
  await waitForImage(demo, queued.id, ['active']);
  const small = await createFromImage(demo, queued.id, 1);
  expect(small.body).toEqual({ badRequest: { code: 400, message: 'Invalid input received: Volume size 1GB cannot be smaller than the image minDisk size 3GB.' } });
  const fits = await createFromImage(demo, queued.id, 3);
  expect(fits.status).toBe(202);
  const vol = await waitForVolume(demo, fits.body.volume.id, ['available']);
  expect(vol.volume_image_metadata.image_id).toBe(queued.id);
  expect((await demo.request('DELETE', `${VOL}/volumes/${vol.id}`)).status).toBe(202);

  const noSize = await demo.request('POST', `${VOL}/volumes`, { volume: { imageRef: busybox.id } });
  expect(noSize.body.badRequest.message).toBe("Invalid input received: Volume size 'None' must be an integer and greater than 0");
  // Another project's private image is not found.
  const privateToAlt = await createFromImage(alt, queued.id, 3);
  expect(privateToAlt.body.badRequest.message).toBe('Invalid image identifier or unable to access requested image.');
  await demo.request('DELETE', `${GLANCE}/images/${queued.id}`);
});

test('deleting the image keeps its volumes intact; boot from image -> volume puts the image\'s files in the root volume', async () => {
  // A private image with a Docker image of its own: an image-backed server's snapshot.
  const src = await bootServer(demo, { imageRef: busybox.id, flavorRef: '1' });
  await dockerExec((await containerOf(h.app.instanceId, src.id))!.Id, 'echo golden > /root/golden');
  const snap = await demo.request('POST', `${COMPUTE}/servers/${src.id}/action`, { createImage: { name: randomName('golden') } }, mv('2.45'));
  const imageId = snap.body.image_id;
  await waitForImage(demo, imageId, ['active']);
  await demo.request('DELETE', `${COMPUTE}/servers/${src.id}`);

  const res = await createFromImage(demo, imageId);
  const vol = await waitForVolume(demo, res.body.volume.id, ['available']);
  expect((await demo.request('DELETE', `${GLANCE}/images/${imageId}`)).status).toBe(204);
  await pollUntil(async () => fs.existsSync(imageLayerManifest(imageId)), (exists) => !exists, 10_000, 'image layer dropped');
  expect(await readVolume(vol.id, 'cat /mnt/vda/root/golden')).toBe('golden\n');

  // Nova: source image, destination volume, delete_on_termination.
  const bfv = await bootServer(demo, {
    imageRef: '', flavorRef: '1',
    block_device_mapping_v2: [{ uuid: busybox.id, boot_index: 0, source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
  });
  const rootId = bfv['os-extended-volumes:volumes_attached'][0].id;
  const root = await waitForVolume(demo, rootId, ['in-use']);
  expect(root).toMatchObject({ bootable: 'true', volume_image_metadata: expect.objectContaining({ image_id: busybox.id }) });
  expect(await dockerExec((await containerOf(h.app.instanceId, bfv.id))!.Id, 'test -x /mnt/vda/bin/busybox && echo yes')).toBe('yes\n');
  await demo.request('DELETE', `${COMPUTE}/servers/${bfv.id}`);
  await pollUntil(() => demo.request('GET', `${VOL}/volumes/${rootId}`), (r) => r.status === 404, 60_000, 'root volume deleted');
  await waitForVolume(demo, vol.id, ['available']);
  expect((await demo.request('DELETE', `${VOL}/volumes/${vol.id}`)).status).toBe(202);
});

test('volume to image (os-volume_upload_image): servers and new volumes start from it', async () => {
  const res = await createFromImage(demo, busybox.id);
  const vol = await waitForVolume(demo, res.body.volume.id, ['available']);
  expect(await readVolume(vol.id, 'echo uploaded > /mnt/vda/root/up; echo ok')).toBe('ok\n');
  await waitForVolume(demo, vol.id, ['available']);

  const missing = await demo.request('POST', `${VOL}/volumes/${vol.id}/action`, { 'os-volume_upload_image': {} });
  expect(missing.body).toEqual({ badRequest: { code: 400, message: 'No image_name was specified in request.' } });
  const name = randomName('up');
  const up = await demo.request('POST', `${VOL}/volumes/${vol.id}/action`, { 'os-volume_upload_image': { image_name: name, visibility: 'private' } }, { 'OpenStack-API-Version': 'volume 3.1' });
  expect(up.status).toBe(202);
  expect(up.body['os-volume_upload_image']).toMatchObject({
    id: vol.id, status: 'uploading', size: 1, image_name: name, disk_format: 'raw', container_format: 'bare', visibility: 'private', protected: false,
    volume_type: expect.objectContaining({ name: '__DEFAULT__' }),
  });
  const imageId = up.body['os-volume_upload_image'].image_id;
  expect((await demo.request('GET', `${VOL}/volumes/${vol.id}`)).body.volume.status).toBe('uploading');
  const image = await waitForImage(demo, imageId, ['active']);
  expect(image).toMatchObject({ name, visibility: 'private', owner: demo.projectId });
  await waitForVolume(demo, vol.id, ['available']);

  const s = await bootServer(demo, { imageRef: imageId, flavorRef: '1' });
  expect(await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'cat /root/up')).toBe('uploaded\n');
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  const again = await createFromImage(demo, imageId);
  const copy = await waitForVolume(demo, again.body.volume.id, ['available']);
  expect(await readVolume(copy.id, 'cat /mnt/vda/root/up')).toBe('uploaded\n');
  await waitForServerGone(demo, s.id);
  for (const id of [vol.id, copy.id]) {
    await waitForVolume(demo, id, ['available']);
    expect((await demo.request('DELETE', `${VOL}/volumes/${id}`)).status).toBe(202);
  }
  expect((await demo.request('DELETE', `${GLANCE}/images/${imageId}`)).status).toBe(204);
});
