import { startHarness, Harness, Session } from '../../support/snapstack-harness';
import {
  bootServer, bootWithDataVolume, busyboxImage, COMPUTE, containerOf, dockerExec, expectInOrder, GLANCE, mv, pollUntil, randomName, recordStates, serverAction, waitForImage,
} from '../../support/compute-helpers';

const VOL = '/volume/v3/{project_id}';
let h: Harness;
let demo: Session;
let alt: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt] = await Promise.all([h.login('demo'), h.login('alt_demo')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

const act = serverAction;

async function backupsOf(serverId: string, type: string): Promise<any[]> {
  const res = await demo.request('GET', `${GLANCE}/images?limit=1000`);
  return res.body.images.filter((i: any) => i.image_type === 'backup' && i.instance_uuid === serverId && i.backup_type === type);
}

test('createBackup: image_type backup, rotation keeps the newest with their volume snapshots, Nova\'s validation and states', async () => {
  const s = await bootWithDataVolume(demo, imageId);
  const c = (await containerOf(h.app.instanceId, s.id))!;

  const invalid = [
    { createBackup: { name: 'b', backup_type: 'daily' } },
    { createBackup: { name: 'b', backup_type: 'daily', rotation: -1 } },
    { createBackup: { name: 'b', backup_type: 'daily', rotation: 'x' } },
    { createBackup: { name: '', backup_type: 'daily', rotation: 1 } },
    { createBackup: { name: 'b', backup_type: 'daily', rotation: 1, extra: 1 } },
  ];
  for (const body of invalid) expect((await act(demo, s.id, body)).status).toBe(400);
  expect((await act(demo, s.id, invalid[0])).body.badRequest.message).toBe("Invalid input for field/attribute createBackup. Value: {'name': 'b', 'backup_type': 'daily'}. 'rotation' is a required property");
  expect((await act(alt, s.id, { createBackup: { name: 'b', backup_type: 'daily', rotation: 1 } })).status).toBe(404);

  const made: any[] = [];
  for (let i = 0; i < 3; i++) {
    await dockerExec(c.Id, `echo v${i} > /root/data && echo v${i} > /mnt/vdb/data`);
    const name = randomName(`bk${i}`);
    const res = i === 0
      ? await act(demo, s.id, { createBackup: { name, backup_type: 'daily', rotation: '2', metadata: { n: String(i) } } })
      : await act(demo, s.id, { createBackup: { name, backup_type: 'daily', rotation: 2, metadata: { n: String(i) } } }, mv('2.45'));
    expect(res.status).toBe(202);
    const id = i === 0 ? res.headers.get('location')!.split('/').pop()! : res.body.image_id;
    if (i === 0) expect(res.headers.get('location')).toBe(`${h.url}/compute/v2.1/images/${id}`);
    expectInOrder(await recordStates(demo, s.id, 'ACTIVE'), ['ACTIVE/image_backup', 'ACTIVE/image_pending_upload', 'ACTIVE/image_uploading', 'ACTIVE/null']);
    made.push(await waitForImage(demo, id, ['active']));
  }
  expect(made[0]).toMatchObject({ image_type: 'backup', backup_type: 'daily', instance_uuid: s.id, n: '0', visibility: 'private' });
  const snapOf = (img: any) => JSON.parse(img.block_device_mapping).map((m: any) => m.snapshot_id);
  expect(snapOf(made[0])).toHaveLength(1);

  // The oldest went, with its volume snapshot; the two newest stay with theirs.
  const kept = await pollUntil(() => backupsOf(s.id, 'daily'), (l) => l.length === 2, 30_000, 'rotation');
  expect(kept.map((i) => i.id).sort()).toEqual([made[1].id, made[2].id].sort());
  expect((await demo.request('GET', `${GLANCE}/images/${made[0].id}`)).status).toBe(404);
  await pollUntil(() => demo.request('GET', `${VOL}/snapshots/${snapOf(made[0])[0]}`), (r) => r.status === 404, 30_000, 'rotated snapshot gone');
  for (const img of made.slice(1)) expect((await demo.request('GET', `${VOL}/snapshots/${snapOf(img)[0]}`)).body.snapshot.status).toBe('available');

  // The kept backup boots with the root disk it captured.
  const clone = await bootServer(demo, { imageRef: made[1].id, flavorRef: '1' });
  expect(await dockerExec((await containerOf(h.app.instanceId, clone.id))!.Id, 'cat /root/data && cat /mnt/vdb/data')).toBe('v1\nv1\n');
  await demo.request('DELETE', `${COMPUTE}/servers/${clone.id}`);

  // Another type rotates on its own; rotation 0 deletes every backup of its type, the new one too.
  const weekly = await act(demo, s.id, { createBackup: { name: randomName('wk'), backup_type: 'weekly', rotation: 0 } });
  expect(weekly.status).toBe(202);
  expect(weekly.headers.get('location')).toBeNull();
  await recordStates(demo, s.id, 'ACTIVE');
  await pollUntil(() => backupsOf(s.id, 'weekly'), (l) => l.length === 0, 30_000, 'rotation 0');
  expect(await backupsOf(s.id, 'daily')).toHaveLength(2);

  for (const img of kept) await demo.request('DELETE', `${GLANCE}/images/${img.id}`);
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
});

test('createBackup of a volume-backed server: one volume snapshot per volume and a size-0 backup image; rotation deletes the oldest with its snapshots', async () => {
  const s = await bootServer(demo, {
    imageRef: '',
    block_device_mapping_v2: [{ uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
  });
  const c = (await containerOf(h.app.instanceId, s.id))!;
  const made: any[] = [];
  for (let i = 0; i < 3; i++) {
    await dockerExec(c.Id, `echo v${i} > /mnt/vda/backup-marker && sync`);
    const res = await act(demo, s.id, { createBackup: { name: randomName(`vb${i}`), backup_type: 'nightly', rotation: 2 } }, mv('2.45'));
    expect(res.status).toBe(202);
    made.push(await waitForImage(demo, res.body.image_id, ['active']));
  }
  expect(made[2]).toMatchObject({ image_type: 'backup', backup_type: 'nightly', instance_uuid: s.id, size: 0, visibility: 'private' });
  const snapOf = (img: any) => JSON.parse(img.block_device_mapping).map((m: any) => m.snapshot_id);
  expect(snapOf(made[2])).toHaveLength(1);
  const kept = await pollUntil(() => backupsOf(s.id, 'nightly'), (l) => l.length === 2, 30_000, 'rotation');
  expect(kept.map((i) => i.id).sort()).toEqual([made[1].id, made[2].id].sort());
  await pollUntil(() => demo.request('GET', `${VOL}/snapshots/${snapOf(made[0])[0]}`), (r) => r.status === 404, 30_000, 'rotated snapshot gone');

  // The newest backup boots a new server whose root volume holds what was written before it.
  const clone = await bootServer(demo, { imageRef: made[2].id, flavorRef: '1' });
  expect(await dockerExec((await containerOf(h.app.instanceId, clone.id))!.Id, 'cat /mnt/vda/backup-marker')).toBe('v2\n');
  await demo.request('DELETE', `${COMPUTE}/servers/${clone.id}`);
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
});
