import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, expectInOrder, GLANCE, mv, recordStates, waitForVolume,
} from '../../../support/compute-helpers';

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

const act = (who: Session, id: string, body: unknown, headers: Record<string, string> = {}) => who.request('POST', `${COMPUTE}/servers/${id}/action`, body, headers);
const conflict = (id: string, action: string, state: string) => ({ conflictingRequest: { code: 409, message: `Cannot '${action}' instance ${id} while it is in vm_state ${state}` } });

test('image-backed shelve -> SHELVED_OFFLOADED with a <name>-shelved image; unshelve boots it back with root and volume data', async () => {
  const s = await bootServer(demo, {
    imageRef: imageId,
    block_device_mapping_v2: [
      { source_type: 'image', uuid: imageId, boot_index: 0, destination_type: 'local', delete_on_termination: true },
      { source_type: 'blank', destination_type: 'volume', volume_size: 1, boot_index: -1, delete_on_termination: true },
    ],
  });
  const [vol] = s['os-extended-volumes:volumes_attached'];
  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'echo root > /root/f && echo vol > /mnt/vdb/f');

  expect(await act(demo, s.id, { unshelve: null })).toMatchObject({ status: 409, body: conflict(s.id, 'unshelve', 'active') });
  expect(await act(demo, s.id, { shelveOffload: null })).toMatchObject({ status: 409, body: conflict(s.id, 'shelveOffload', 'active') });
  expect((await act(alt, s.id, { shelve: null })).status).toBe(404);

  const res = await act(demo, s.id, { shelve: null });
  expect(res.status).toBe(202);
  expect(res.text).toBe('');
  expectInOrder(await recordStates(demo, s.id, 'SHELVED_OFFLOADED'), [
    'ACTIVE/null', 'ACTIVE/shelving', 'ACTIVE/shelving_image_pending_upload', 'ACTIVE/shelving_image_uploading',
    'SHELVED/shelving_offloading', 'SHELVED_OFFLOADED/null',
  ]);
  const shelved = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server;
  expect(shelved).toMatchObject({ 'OS-EXT-STS:vm_state': 'shelved_offloaded', 'OS-EXT-STS:power_state': 4 });
  expect(shelved['os-extended-volumes:volumes_attached']).toEqual([{ id: vol.id }]);
  expect((await waitForVolume(demo, vol.id, ['in-use'])).attachments[0].server_id).toBe(s.id);
  expect(await containerOf(h.app.instanceId, s.id)).toBeUndefined();
  const images = (await demo.request('GET', `${GLANCE}/images?name=${encodeURIComponent(`${s.name}-shelved`)}`)).body.images;
  expect(images).toHaveLength(1);
  expect(images[0]).toMatchObject({ status: 'active', visibility: 'private', image_type: 'snapshot', instance_uuid: s.id });

  expect(await act(demo, s.id, { shelve: null })).toMatchObject({ status: 409, body: conflict(s.id, 'shelve', 'shelved_offloaded') });
  expect(await act(demo, s.id, { 'os-start': null })).toMatchObject({ status: 409, body: conflict(s.id, 'start', 'shelved_offloaded') });
  expect(await act(demo, s.id, { createBackup: { name: 'b', backup_type: 'daily', rotation: 1 } })).toMatchObject({ status: 409, body: conflict(s.id, 'createBackup', 'shelved_offloaded') });
  expect((await act(demo, s.id, { 'os-getConsoleOutput': {} })).status).toBe(409);
  expect((await act(demo, s.id, { unshelve: { availability_zone: 'elsewhere' } }, mv('2.77'))).status).toBe(400);
  expect((await act(demo, s.id, { unshelve: {} }, mv('2.77'))).status).toBe(400);
  expect((await act(alt, s.id, { unshelve: null })).status).toBe(404);

  expect((await act(demo, s.id, { unshelve: { availability_zone: null } }, mv('2.91'))).status).toBe(202);
  expectInOrder(await recordStates(demo, s.id, 'ACTIVE'), ['SHELVED_OFFLOADED/null', 'SHELVED_OFFLOADED/unshelving', 'SHELVED_OFFLOADED/spawning', 'ACTIVE/null']);
  const c = (await containerOf(h.app.instanceId, s.id))!;
  expect(await dockerExec(c.Id, 'cat /root/f /mnt/vdb/f')).toBe('root\nvol\n');
  expect((await demo.request('GET', `${GLANCE}/images/${images[0].id}`)).status).toBe(404);
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
});

test('volume-backed and stopped: shelve offloads without an image, unshelve comes back ACTIVE with the root volume\'s data', async () => {
  const s = await bootServer(demo, {
    imageRef: '',
    block_device_mapping_v2: [{ uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
  });
  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'echo rootvol > /mnt/vda/f');
  expect((await act(demo, s.id, { 'os-stop': null })).status).toBe(202);
  await recordStates(demo, s.id, 'SHUTOFF');
  expect((await act(demo, s.id, { shelve: {} })).status).toBe(202);
  expectInOrder(await recordStates(demo, s.id, 'SHELVED_OFFLOADED'), ['SHUTOFF/null', 'SHUTOFF/shelving', 'SHUTOFF/shelving_offloading', 'SHELVED_OFFLOADED/null']);
  expect((await demo.request('GET', `${GLANCE}/images?name=${encodeURIComponent(`${s.name}-shelved`)}`)).body.images).toHaveLength(0);
  expect((await act(demo, s.id, { unshelve: null })).status).toBe(202);
  await recordStates(demo, s.id, 'ACTIVE');
  expect(await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'cat /mnt/vda/f')).toBe('rootvol\n');
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
});
