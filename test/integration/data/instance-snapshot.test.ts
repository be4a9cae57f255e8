/**
 * Instance snapshots capture real data: written inside the server (docker exec) before the
 * snapshot, changed after, and read back from volumes made from the snapshots.
 */
import { startHarness, Harness, Session } from '../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, mv, pollUntil, randomName, waitForImage, waitForServer, waitForSnapshot, waitForVolume,
} from '../../support/compute-helpers';

const VOL = '/volume/v3/{project_id}';

async function volumeFromSnapshot(s: Session, snapshotId: string): Promise<string> {
  await waitForSnapshot(s, snapshotId, ['available']);
  const res = await s.request('POST', `${VOL}/volumes`, { volume: { snapshot_id: snapshotId, name: randomName('restored') } });
  expect(res.status).toBe(202);
  await waitForVolume(s, res.body.volume.id, ['available']);
  return res.body.volume.id;
}

/** Boots a throwaway server on the given volumes (first = root) and runs `script` in it. */
async function readThrough(h: Harness, s: Session, volumeIds: string[], script: string): Promise<string> {
  // Nova boots only from a volume Cinder calls bootable.
  expect((await s.request('POST', `${VOL}/volumes/${volumeIds[0]}/action`, { 'os-set_bootable': { bootable: true } })).status).toBe(200);
  const reader = await bootServer(s, {
    imageRef: '', flavorRef: '0',
    block_device_mapping_v2: volumeIds.map((id, i) => ({ uuid: id, boot_index: i === 0 ? 0 : -1, source_type: 'volume', destination_type: 'volume', delete_on_termination: true })),
  });
  const c = (await containerOf(h.app.instanceId, reader.id))!;
  try {
    return await dockerExec(c.Id, script);
  } finally {
    await s.request('DELETE', `${COMPUTE}/servers/${reader.id}`);
  }
}

describe('pause consistency (default)', () => {
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

  test('volume-backed: root and data volumes captured as they were at createImage', async () => {
    const s = await bootServer(demo, {
      imageRef: '', flavorRef: '1',
      block_device_mapping_v2: [
        { uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1 },
        { source_type: 'blank', destination_type: 'volume', volume_size: 1 },
      ],
    });
    const c = (await containerOf(h.app.instanceId, s.id))!;
    await dockerExec(c.Id, 'echo root-before > /mnt/vda/root.txt; echo data-before > /mnt/vdb/data.txt; echo gone > /mnt/vdb/deleted.txt');

    const res = await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name: randomName('snap') } }, mv('2.45'));
    expect(res.status).toBe(202);
    await dockerExec(c.Id, 'echo root-after > /mnt/vda/root.txt; echo data-after > /mnt/vdb/data.txt; rm /mnt/vdb/deleted.txt; echo new > /mnt/vdb/new.txt');
    expect((await containerOf(h.app.instanceId, s.id))!.State).toBe('running');

    const image = (await demo.request('GET', `${GLANCE}/images/${res.body.image_id}`)).body;
    const mapping = JSON.parse(image.block_device_mapping);
    const rootVol = await volumeFromSnapshot(demo, mapping.find((m: any) => m.device_name === '/dev/vda').snapshot_id);
    const dataVol = await volumeFromSnapshot(demo, mapping.find((m: any) => m.device_name === '/dev/vdb').snapshot_id);
    const out = await readThrough(h, demo, [rootVol, dataVol], 'cat /mnt/vda/root.txt /mnt/vdb/data.txt /mnt/vdb/deleted.txt; ls /mnt/vdb');
    expect(out).toBe('root-before\ndata-before\ngone\ndata.txt\ndeleted.txt\n');
    // The server itself kept its newer data.
    expect(await dockerExec(c.Id, 'cat /mnt/vda/root.txt /mnt/vdb/data.txt')).toBe('root-after\ndata-after\n');
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  });

  test('all volumes at one instant: a writer updating both disks is caught consistently', async () => {
    const s = await bootServer(demo, {
      imageRef: '', flavorRef: '1',
      block_device_mapping_v2: [
        { uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
        { source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
      ],
    });
    const c = (await containerOf(h.app.instanceId, s.id))!;
    await dockerExec(c.Id, "setsid sh -c 'i=0; while :; do i=$((i+1)); echo $i > /mnt/vda/t; mv /mnt/vda/t /mnt/vda/n; echo $i > /mnt/vdb/t; mv /mnt/vdb/t /mnt/vdb/n; done' >/dev/null 2>&1 &");
    await dockerExec(c.Id, 'sleep 1; cat /mnt/vdb/n');
    const res = await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name: randomName('consistent') } }, mv('2.45'));
    const mapping = JSON.parse((await demo.request('GET', `${GLANCE}/images/${res.body.image_id}`)).body.block_device_mapping);
    const a = await volumeFromSnapshot(demo, mapping.find((m: any) => m.device_name === '/dev/vda').snapshot_id);
    const b = await volumeFromSnapshot(demo, mapping.find((m: any) => m.device_name === '/dev/vdb').snapshot_id);
    const [na, nb] = (await readThrough(h, demo, [a, b], 'cat /mnt/vda/n /mnt/vdb/n')).trim().split('\n').map(Number);
    expect(na).toBeGreaterThan(0);
    // Each disk is updated atomically (rename), vda first: paused between the two, vdb may lag by one, never more.
    expect(na - nb).toBeGreaterThanOrEqual(0);
    expect(na - nb).toBeLessThanOrEqual(1);
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  });

  test('pauses are counted: forced snapshots of two volumes of one running server and a createImage at once all succeed', async () => {
    const s = await bootServer(demo, {
      imageRef: '', flavorRef: '1',
      block_device_mapping_v2: [
        { uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
        { source_type: 'blank', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
      ],
    });
    const c = (await containerOf(h.app.instanceId, s.id))!;
    await dockerExec(c.Id, 'echo a > /mnt/vda/a; echo b > /mnt/vdb/b');
    const attached = (await demo.request('GET', `${COMPUTE}/servers/${s.id}/os-volume_attachments`)).body.volumeAttachments.map((a: any) => a.volumeId);
    expect(attached).toHaveLength(2);
    for (let round = 0; round < 2; round++) {
      const [x, y, img] = await Promise.all([
        ...attached.map((v: string) => demo.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: v, force: true, name: randomName('live') } })),
        demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name: randomName('meet') } }, mv('2.45')),
      ]);
      expect([x.status, y.status, img.status]).toEqual([202, 202, 202]);
      for (const snap of [x, y]) await waitForSnapshot(demo, snap.body.snapshot.id, ['available']);
      expect((await waitForImage(demo, img.body.image_id, ['active'])).block_device_mapping).toBeDefined();
      // The last release unpaused it: the server runs on.
      expect((await containerOf(h.app.instanceId, s.id))!.State).toBe('running');
      // Within the snapshot quota: this round's snapshots go.
      const image = (await demo.request('GET', `${GLANCE}/images/${img.body.image_id}`)).body;
      const made = [x.body.snapshot.id, y.body.snapshot.id, ...JSON.parse(image.block_device_mapping).map((m: any) => m.snapshot_id)];
      await demo.request('DELETE', `${GLANCE}/images/${img.body.image_id}`);
      for (const id of made) expect((await demo.request('DELETE', `${VOL}/snapshots/${id}`)).status).toBe(202);
      for (const id of made) await pollUntil(() => demo.request('GET', `${VOL}/snapshots/${id}`), (r) => r.status === 404, 30_000, `snapshot ${id} gone`);
    }
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  });

  test('image-backed: the committed root disk and the data volume snapshot hold the data of the instant', async () => {
    const data = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('data') } });
    await waitForVolume(demo, data.body.volume.id, ['available']);
    const s = await bootServer(demo, { imageRef: imageId, flavorRef: '1' });
    await demo.request('POST', `${COMPUTE}/servers/${s.id}/os-volume_attachments`, { volumeAttachment: { volumeId: data.body.volume.id } });
    await waitForVolume(demo, data.body.volume.id, ['in-use']);
    const c = (await containerOf(h.app.instanceId, s.id))!;
    await dockerExec(c.Id, 'echo local-before > /root/local.txt; echo vol-before > /mnt/vdb/vol.txt');

    const res = await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name: randomName('ib') } }, mv('2.45'));
    const image = await waitForImage(demo, res.body.image_id, ['active']);
    await waitForServer(demo, s.id, ['ACTIVE']);
    await dockerExec(c.Id, 'echo local-after > /root/local.txt; echo vol-after > /mnt/vdb/vol.txt');
    expect(image).toMatchObject({ bdm_v2: 'True', root_device_name: '/dev/vda', image_type: 'snapshot' });
    const mapping = JSON.parse(image.block_device_mapping);
    expect(mapping).toHaveLength(1);
    expect(mapping[0]).toMatchObject({ device_name: '/dev/vdb', source_type: 'snapshot', boot_index: null });

    const clone = await bootServer(demo, { imageRef: image.id, flavorRef: '1' });
    const restored = await volumeFromSnapshot(demo, mapping[0].snapshot_id);
    await demo.request('POST', `${COMPUTE}/servers/${clone.id}/os-volume_attachments`, { volumeAttachment: { volumeId: restored } });
    await waitForVolume(demo, restored, ['in-use']);
    const cc = (await containerOf(h.app.instanceId, clone.id))!;
    expect(await dockerExec(cc.Id, 'cat /root/local.txt /mnt/vdb/vol.txt')).toBe('local-before\nvol-before\n');
    for (const id of [clone.id, s.id]) await demo.request('DELETE', `${COMPUTE}/servers/${id}`);
  });
});

describe("snapshotConsistency 'stopped'", () => {
  let h: Harness;
  let demo: Session;
  let imageId: string;
  beforeAll(async () => {
    h = await startHarness({ snapshotConsistency: 'stopped' });
    demo = await h.login('demo');
    imageId = (await busyboxImage(demo)).id;
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('createImage needs a SHUTOFF server (409 otherwise); a stopped server is captured as it was stopped', async () => {
    const s = await bootServer(demo, {
      imageRef: '', flavorRef: '1',
      block_device_mapping_v2: [{ uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
    });
    const c = (await containerOf(h.app.instanceId, s.id))!;
    await dockerExec(c.Id, 'echo at-stop > /mnt/vda/f');
    const refused = await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name: 'x' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ conflictingRequest: { code: 409, message: `Cannot 'createImage' instance ${s.id} while it is in vm_state active` } });
    await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { 'os-stop': null });
    await waitForServer(demo, s.id, ['SHUTOFF']);
    const res = await demo.request('POST', `${COMPUTE}/servers/${s.id}/action`, { createImage: { name: randomName('off') } }, mv('2.45'));
    expect(res.status).toBe(202);
    const mapping = JSON.parse((await demo.request('GET', `${GLANCE}/images/${res.body.image_id}`)).body.block_device_mapping);
    const vol = await volumeFromSnapshot(demo, mapping[0].snapshot_id);
    expect(await readThrough(h, demo, [vol], 'cat /mnt/vda/f')).toBe('at-stop\n');
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  });
});
