import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { busyboxImage, COMPUTE, mv, randomName, waitForServer, waitForServerGone } from '../../../support/compute-helpers';

let h: Harness;
let demo: Session;
let admin: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => { await h?.stop(); });

const create = (server: Record<string, unknown>, who = demo) =>
  who.request('POST', `${COMPUTE}/servers`, { server: { imageRef: imageId, flavorRef: '1', networks: 'none', ...server } }, mv('2.37'));

async function removeAll(ids: string[]) {
  for (const id of ids) await demo.request('DELETE', `${COMPUTE}/servers/${id}`);
  for (const id of ids) await waitForServerGone(demo, id);
}

describe('multiple create', () => {
  test('min_count 2: two servers of one reservation, named and hostnamed -1 and -2 (current Nova), the answer is the first', async () => {
    const name = randomName('multi');
    const res = await create({ name, min_count: 2 });
    expect(res.status).toBe(202);
    expect(res.body.server).toMatchObject({ id: expect.any(String), adminPass: expect.any(String) });
    const listed = (await demo.request('GET', `${COMPUTE}/servers/detail?name=^${name}-`, undefined, mv('2.37'))).body.servers;
    expect(listed).toHaveLength(2);
    const ids = listed.map((s: any) => s.id);
    expect(ids).toContain(res.body.server.id);
    for (const id of ids) await waitForServer(demo, id, ['ACTIVE']);
    const shown = await Promise.all(ids.map(async (id: string) => (await admin.request('GET', `${COMPUTE}/servers/${id}`, undefined, mv('2.37'))).body.server));
    expect(shown.map((s) => s.name).sort()).toEqual([`${name}-1`, `${name}-2`]);
    expect(new Set(shown.map((s) => s['OS-EXT-SRV-ATTR:reservation_id'])).size).toBe(1);
    expect(shown.map((s) => s['OS-EXT-SRV-ATTR:launch_index']).sort()).toEqual([0, 1]);
    expect(shown.map((s) => s['OS-EXT-SRV-ATTR:hostname']).sort()).toEqual([`${name}-1`, `${name}-2`]);
    // Each has its own create action, under the request's id.
    for (const id of ids) {
      const actions = (await demo.request('GET', `${COMPUTE}/servers/${id}/os-instance-actions`)).body.instanceActions;
      expect(actions).toEqual([expect.objectContaining({ action: 'create', request_id: res.headers.get('x-compute-request-id') })]);
    }
    const reservation = shown[0]['OS-EXT-SRV-ATTR:reservation_id'];
    expect((await demo.request('GET', `${COMPUTE}/servers?reservation_id=${reservation}`)).body.servers).toHaveLength(2);
    await removeAll(ids);
  });

  test('2.90: a hostname asked for names one server only; a name that makes no hostname gives Server-<id>, unsuffixed', async () => {
    const at290 = (server: Record<string, unknown>) =>
      demo.request('POST', `${COMPUTE}/servers`, { server: { imageRef: imageId, flavorRef: '1', networks: 'none', ...server } }, mv('2.90'));
    const refused = await at290({ name: randomName('host'), hostname: 'one-host', max_count: 2 });
    expect([refused.status, refused.body]).toEqual([400, { badRequest: { code: 400, message: 'Unable to allocate a single hostname to multiple instances' } }]);
    // The hostname's own check comes first, as the schema's.
    const invalid = await at290({ name: randomName('host'), hostname: '-', max_count: 2 });
    expect([invalid.status, invalid.body.badRequest.message]).toEqual([400, "Invalid input for field/attribute hostname. Value: -. '-' is too short"]);
    const res = await at290({ name: '!!', min_count: 2, return_reservation_id: true });
    expect(res.status).toBe(202);
    const listed = (await demo.request('GET', `${COMPUTE}/servers/detail?reservation_id=${res.body.reservation_id}`, undefined, mv('2.90'))).body.servers;
    expect(listed.map((s: any) => [s.name, s['OS-EXT-SRV-ATTR:hostname']]).sort()).toEqual(listed.map((s: any) => [s.name, `Server-${s.id}`]).sort());
    expect(listed.map((s: any) => s.name).sort()).toEqual(['!!-1', '!!-2']);
    await removeAll(listed.map((s: any) => s.id));
  });

  test('return_reservation_id: {reservation_id} only; max_count makes that many', async () => {
    const name = randomName('resv');
    const res = await create({ name, min_count: 1, max_count: 3, return_reservation_id: true });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(['reservation_id']);
    expect(res.body.reservation_id).toMatch(/^r-[a-z0-9]{8}$/);
    const listed = (await demo.request('GET', `${COMPUTE}/servers?reservation_id=${res.body.reservation_id}`)).body.servers;
    expect(listed).toHaveLength(3);
    await removeAll(listed.map((s: any) => s.id));
  });

  test('refused as Nova refuses: min > max, not integers, below 1, a volume for many, over the instances quota', async () => {
    const msg = async (server: Record<string, unknown>) => {
      const res = await create({ name: randomName('bad'), ...server });
      return [res.status, res.body.badRequest?.message ?? res.body.forbidden?.message];
    };
    expect(await msg({ min_count: 3, max_count: 2 })).toEqual([400, 'min_count must be <= max_count']);
    expect((await msg({ min_count: 2.5 }))[0]).toBe(400);
    expect(await msg({ max_count: 'two' })).toEqual([400, "Invalid input for field/attribute max_count. Value: two. 'two' does not match '^[0-9]*$'"]);
    expect(await msg({ min_count: 0 })).toEqual([400, 'Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1']);
    const vol = await demo.request('POST', `/volume/v3/${demo.projectId}/volumes`, { volume: { size: 1 } });
    expect(await msg({ imageRef: '', max_count: 2, block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', uuid: vol.body.volume.id, boot_index: 0 }] }))
      .toEqual([400, 'Cannot attach one or more volumes to multiple instances']);
    const over = await msg({ min_count: 11 });
    expect(over[0]).toBe(403);
    expect(over[1]).toMatch(/^Quota exceeded for instances: Requested 11, but already used \d+ of 10 instances$/);
    // Nothing was made by the refused requests.
    expect((await demo.request('GET', `${COMPUTE}/servers?name=^bad-`)).body.servers).toEqual([]);
  });
});
