import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { MV, V, createSnapshot, createVolume, fault, roomyQuotas, waitFor } from './volume-test-helpers';

describe('Cinder volume transfers', () => {
  let h: Harness;
  let demo: Session;
  let alt: Session;
  let admin: Session;

  beforeAll(async () => {
    h = await startHarness({ dockerMode: 'none', ...roomyQuotas() });
    [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  });
  afterAll(async () => { await h.stop(); });

  const usage = async (projectId: string) => (await admin.request('GET', V(`/os-quota-sets/${projectId}?usage=True`))).body.quota_set;

  it('os-volume-transfer: create (auth_key once), show, list, accept by another project moves the volume, its snapshots and the quota usage', async () => {
    const v = await createVolume(demo, { size: 2 });
    const snap = await createSnapshot(demo, v.id);
    const [demoBefore, altBefore] = [await usage(demo.projectId), await usage(alt.projectId)];

    const created = await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: v.id, name: '  move me ' } });
    expect(created.status).toBe(202);
    const t = created.body.transfer;
    expect(t).toEqual({
      id: expect.any(String), created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/), name: 'move me', volume_id: v.id,
      auth_key: expect.stringMatching(/^[0-9a-f]{16}$/), links: expect.any(Array),
    });
    expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.status).toBe('awaiting-transfer');
    const shown = (await demo.request('GET', V(`/os-volume-transfer/${t.id}`))).body.transfer;
    expect(shown).toEqual({ id: t.id, created_at: t.created_at, name: 'move me', volume_id: v.id, links: t.links });
    expect((await demo.request('GET', V('/os-volume-transfer'))).body.transfers).toEqual([{ id: t.id, volume_id: v.id, name: 'move me', links: t.links }]);
    expect((await demo.request('GET', V('/os-volume-transfer/detail'))).body.transfers).toEqual([shown]);
    // Another project sees no transfer of demo's, but may accept it with the key.
    expect((await alt.request('GET', V(`/os-volume-transfer/${t.id}`))).status).toBe(404);
    expect((await alt.request('GET', V('/os-volume-transfer'))).body.transfers).toEqual([]);
    // An admin reaches it by id; their list holds it with all_tenants only.
    expect((await admin.request('GET', V(`/os-volume-transfer/${t.id}`))).body.transfer).toMatchObject({ id: t.id, name: 'move me', volume_id: v.id });
    const adminIds = async (q: string) => (await admin.request('GET', V(`/os-volume-transfer${q}`))).body.transfers.map((x: any) => x.id);
    expect(await adminIds('')).not.toContain(t.id);
    expect(await adminIds('?all_tenants=1')).toContain(t.id);
    expect(fault(await demo.request('DELETE', V(`/volumes/${v.id}`))).code).toBe(400);

    expect(fault(await alt.request('POST', V(`/os-volume-transfer/${t.id}/accept`), { accept: { auth_key: 'wrong' } }))).toEqual({
      name: 'badRequest', code: 400, message: `Invalid auth key: Attempt to transfer ${t.id} with invalid auth key.`,
    });
    const accepted = await alt.request('POST', V(`/os-volume-transfer/${t.id}/accept`), { accept: { auth_key: t.auth_key } });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ transfer: { id: t.id, volume_id: v.id, name: 'move me', links: expect.any(Array) } });

    const moved = (await admin.request('GET', V(`/volumes/${v.id}`))).body.volume;
    expect(moved).toMatchObject({ status: 'available', user_id: alt.userId, 'os-vol-tenant-attr:tenant_id': alt.projectId });
    expect((await demo.request('GET', V(`/volumes/${v.id}`))).status).toBe(404);
    expect((await alt.request('GET', V(`/snapshots/${snap.id}`))).body.snapshot['os-extended-snapshot-attributes:project_id']).toBe(alt.projectId);
    expect((await demo.request('GET', V(`/os-volume-transfer/${t.id}`))).status).toBe(404);
    const [demoAfter, altAfter] = [await usage(demo.projectId), await usage(alt.projectId)];
    expect(demoBefore.volumes.in_use - demoAfter.volumes.in_use).toBe(1);
    expect(altAfter.volumes.in_use - altBefore.volumes.in_use).toBe(1);
    expect(altAfter.gigabytes.in_use - altBefore.gigabytes.in_use).toBe(4);
    expect(altAfter.snapshots.in_use - altBefore.snapshots.in_use).toBe(1);
    expect((await alt.request('POST', V(`/os-volume-transfer/${t.id}/accept`), { accept: { auth_key: t.auth_key } })).status).toBe(404);
  });

  it('3.55 /volume-transfers: no_snapshots leaves the snapshots behind; 3.57 adds the history fields; below 3.55 the resource is not there', async () => {
    const v = await createVolume(demo);
    const snap = await createSnapshot(demo, v.id);
    expect((await demo.request('GET', V('/volume-transfers'), undefined, MV('3.54'))).status).toBe(404);
    expect((await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: v.id, no_snapshots: true } })).status).toBe(400);

    const created = await demo.request('POST', V('/volume-transfers'), { transfer: { volume_id: v.id, no_snapshots: true } }, MV('3.57'));
    expect(created.status).toBe(202);
    const t = created.body.transfer;
    expect(t).toMatchObject({ volume_id: v.id, name: null, no_snapshots: true, source_project_id: demo.projectId, destination_project_id: null, accepted: false });
    const at355 = (await demo.request('GET', V(`/volume-transfers/${t.id}`), undefined, MV('3.55'))).body.transfer;
    expect(Object.keys(at355).sort()).toEqual(['created_at', 'id', 'links', 'name', 'no_snapshots', 'volume_id']);
    expect((await admin.request('GET', V('/volume-transfers/detail?all_tenants=1'), undefined, MV('3.55'))).body.transfers.map((x: { id: string }) => x.id)).toContain(t.id);

    expect((await alt.request('POST', V(`/volume-transfers/${t.id}/accept`), { accept: { auth_key: t.auth_key } }, MV('3.55'))).status).toBe(202);
    expect((await alt.request('GET', V(`/volumes/${v.id}`))).body.volume.status).toBe('available');
    expect((await demo.request('GET', V(`/snapshots/${snap.id}`))).status).toBe(200);
    expect((await alt.request('GET', V(`/snapshots/${snap.id}`))).status).toBe(404);
  });

  it('refuses what Cinder refuses; deleting a transfer makes the volume available again', async () => {
    const v = await createVolume(demo);
    expect(fault(await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: '6a3b1c2d-0000-4000-8000-000000000000' } })))
      .toEqual({ name: 'itemNotFound', code: 404, message: 'Volume 6a3b1c2d-0000-4000-8000-000000000000 could not be found.' });
    expect((await alt.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: v.id } })).status).toBe(404);
    expect(fault(await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: 'nope' } })).message)
      .toBe("Invalid input for field/attribute volume_id. Value: nope. 'nope' is not a 'uuid'");
    expect(fault(await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: v.id, name: '   ' } })).code).toBe(400);
    const t = (await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: v.id } })).body.transfer;
    expect(fault(await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: v.id } })))
      .toEqual({ name: 'badRequest', code: 400, message: 'Invalid volume: status must be available' });
    expect((await alt.request('DELETE', V(`/os-volume-transfer/${t.id}`))).status).toBe(404);
    expect((await demo.request('DELETE', V(`/os-volume-transfer/${t.id}`))).status).toBe(202);
    expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.status).toBe('available');
    expect(fault(await demo.request('GET', V(`/os-volume-transfer/${t.id}`))))
      .toEqual({ name: 'itemNotFound', code: 404, message: `Transfer ${t.id} could not be found.` });

    // Over the recipient's quota: 413 as Cinder's reserve answers, and nothing moves.
    const inUse = (await usage(alt.projectId)).gigabytes.in_use;
    expect((await admin.request('PUT', V(`/os-quota-sets/${alt.projectId}`), { quota_set: { gigabytes: inUse } })).status).toBe(200);
    const t2 = (await demo.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: v.id } })).body.transfer;
    const over = await alt.request('POST', V(`/os-volume-transfer/${t2.id}/accept`), { accept: { auth_key: t2.auth_key } });
    expect(fault(over)).toEqual({
      name: 'overLimit', code: 413,
      message: `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 1G, quota is ${inUse}G and ${inUse}G has been consumed.`,
    });
    expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.status).toBe('awaiting-transfer');
    await admin.request('DELETE', V(`/os-quota-sets/${alt.projectId}`));
    await demo.request('DELETE', V(`/os-volume-transfer/${t2.id}`));
    await demo.request('DELETE', V(`/volumes/${v.id}`));
    await waitFor(demo, 'volumes', v.id, ['gone']);
  });
});
