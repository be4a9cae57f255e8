// What Cinder changes by microversion on the operations Snapstack implements
// (docs/microversions.md): each sent just below its version and at it.
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { MV, V, createSnapshot, createVolume, rand, roomyQuotas, waitFor } from './volume-test-helpers';

let h: Harness;
let demo: Session;
let admin: Session;
let older: any;
let newer: any;
let snap: any;

beforeAll(async () => {
  h = await startHarness(roomyQuotas());
  [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
  const tag = rand('mv');
  older = await createVolume(demo, { name: `${tag}-a`, size: 1, metadata: { m: '1' } });
  // created_at filters compare with a boundary between the two volumes.
  await new Promise((r) => setTimeout(r, 50));
  newer = await createVolume(demo, { name: `${tag}-b`, size: 2 });
  snap = await createSnapshot(demo, older.id, { metadata: { s: '1' } });
});
afterAll(async () => { await h?.stop(); });

const list = async (who: Session, path: string, version: string) => {
  const res = await who.request('GET', V(path), undefined, MV(version));
  return res;
};
const idsOf = (res: { status: number; body: any; text: string }, key = 'volumes') => {
  expect(res.status).toBe(200);
  return res.body[key].map((x: { id: string }) => x.id);
};

test('the bootable filter: lenient before 3.2 (any other text is true), a strict boolean from it', async () => {
  const nonBootable = async (q: string, version: string) => idsOf(await list(demo, `/volumes?bootable=${q}`, version));
  expect(await nonBootable('false', '3.0')).toEqual(expect.arrayContaining([older.id, newer.id]));
  // Before 3.2, '0' is a non-empty text: true (no volume here is bootable).
  expect(await nonBootable('0', '3.1')).toEqual([]);
  expect(await nonBootable('0', '3.2')).toEqual(expect.arrayContaining([older.id, newer.id]));
  const bad = await list(demo, '/volumes?bootable=maybe', '3.2');
  expect(bad.status).toBe(400);
  expect(bad.body.badRequest.message).toBe("Invalid input received: 'bootable = maybe'");
});

test('volume metadata Etag from 3.15: GET gives it, a PUT with another If-Match is 412 and changes nothing', async () => {
  const path = V(`/volumes/${older.id}/metadata`);
  expect((await demo.request('GET', path, undefined, MV('3.14'))).headers.get('etag')).toBeNull();
  const got = await demo.request('GET', path, undefined, MV('3.15'));
  const etag = got.headers.get('etag');
  // Cinder's: the MD5 of json.dumps({"metadata": {"m": "1"}}).
  expect(etag).toBe(require('crypto').createHash('md5').update('{"metadata": {"m": "1"}}').digest('hex'));
  const stale = await demo.request('PUT', path, { metadata: { m: '2' } }, { ...MV('3.15'), 'If-Match': '"0123"' });
  expect(stale.status).toBe(412);
  expect(stale.text).toBe('');
  const item = await demo.request('PUT', `${path}/m`, { meta: { m: '2' } }, { ...MV('3.15'), 'If-Match': '"0123"' });
  expect(item.status).toBe(412);
  // Before 3.15 If-Match is not read.
  expect((await demo.request('PUT', `${path}/m`, { meta: { m: '1' } }, { ...MV('3.14'), 'If-Match': '"0123"' })).status).toBe(200);
  expect((await demo.request('GET', path, undefined, MV('3.15'))).body.metadata).toEqual({ m: '1' });
  expect((await demo.request('PUT', path, { metadata: { m: '1' } }, { ...MV('3.15'), 'If-Match': `"${etag}"` })).status).toBe(200);
  expect((await demo.request('PUT', `${path}/m`, { meta: { m: '1' } }, { ...MV('3.15'), 'If-Match': '*' })).status).toBe(200);
});

test('limits: an admin names the project from 3.39 (project_id or tenant_id); a non-admin cannot', async () => {
  const limits = async (who: Session, query: string, version: string) => (await who.request('GET', V(`/limits${query}`), undefined, MV(version))).body.limits.absolute;
  const demoUsed = (await limits(demo, '', '3.39')).totalVolumesUsed;
  expect(demoUsed).toBeGreaterThanOrEqual(2);
  const adminOwn = (await limits(admin, '', '3.39')).totalVolumesUsed;
  expect(adminOwn).not.toBe(demoUsed);
  expect((await limits(admin, `?project_id=${demo.projectId}`, '3.38')).totalVolumesUsed).toBe(adminOwn);
  expect((await limits(admin, `?project_id=${demo.projectId}`, '3.39')).totalVolumesUsed).toBe(demoUsed);
  expect((await limits(admin, `?tenant_id=${demo.projectId}`, '3.39')).totalVolumesUsed).toBe(demoUsed);
  expect((await limits(demo, `?project_id=${admin.projectId}`, '3.39')).totalVolumesUsed).toBe(demoUsed);
});

test('DELETE ?force=True from 3.23 (ignored before): an admin\'s (volume:force_delete), whatever the status', async () => {
  const v = await createVolume(demo, { size: 1 });
  const byUser = await demo.request('DELETE', V(`/volumes/${v.id}?force=True`), undefined, MV('3.23'));
  expect(byUser.status).toBe(403);
  expect(byUser.body.forbidden.message).toBe("Policy doesn't allow volume:force_delete to be performed.");
  expect((await admin.request('POST', `/volume/v3/${admin.projectId}/volumes/${v.id}/action`, { 'os-reset_status': { status: 'creating' } })).status).toBe(202);
  // Before 3.23 force is not read: a volume still creating cannot be deleted.
  expect((await admin.request('DELETE', `/volume/v3/${admin.projectId}/volumes/${v.id}?force=True`, undefined, MV('3.22'))).status).toBe(400);
  expect((await admin.request('DELETE', `/volume/v3/${admin.projectId}/volumes/${v.id}?force=True`, undefined, MV('3.23'))).status).toBe(202);
  await waitFor(demo, 'volumes', v.id, ['gone']);
});

test('GET /resource_filters from 3.33 (404 before): the filters a non-admin may use', async () => {
  expect((await list(demo, '/resource_filters', '3.32')).status).toBe(404);
  const all = await list(demo, '/resource_filters', '3.33');
  expect(all.status).toBe(200);
  expect(all.body.resource_filters).toContainEqual({ resource: 'snapshot', filters: ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'] });
  const one = await list(demo, '/resource_filters?resource=volume', '3.33');
  expect(one.body.resource_filters).toHaveLength(1);
  expect(one.body.resource_filters[0].filters).toContain('created_at');
  expect((await list(demo, '/resource_filters?resource=nope', '3.33')).body).toEqual({ resource_filters: [] });
});

test('provider_id in an admin\'s volume detail from 3.21', async () => {
  const at = async (version: string) => (await admin.request('GET', V(`/volumes/${older.id}`), undefined, MV(version))).body.volume;
  expect(await at('3.20')).not.toHaveProperty('provider_id');
  expect(await at('3.21')).toHaveProperty('provider_id', null);
  expect((await demo.request('GET', V(`/volumes/${older.id}`), undefined, MV('3.21'))).body.volume).not.toHaveProperty('provider_id');
});

test('a non-admin\'s unknown filter: dropped before 3.31, 400 from it (all_tenants still dropped)', async () => {
  expect(idsOf(await list(demo, '/volumes?nope=1', '3.30'))).toEqual(expect.arrayContaining([older.id, newer.id]));
  const res = await list(demo, '/volumes?nope=1&all_tenants=1', '3.31');
  expect(res.status).toBe(400);
  expect(res.body.badRequest.message).toBe('Invalid filters nope are found in query options.');
  const snaps = await list(demo, '/snapshots?nope=1', '3.31');
  expect(snaps.status).toBe(400);
  expect(snaps.body.badRequest.message).toBe('Invalid filters nope are found in query options.');
  // An admin may filter by anything; a non-admin's like filter is not configured (by default).
  expect((await list(admin, '/volumes?nope=1', '3.31')).status).toBe(200);
  expect((await list(demo, `/volumes?name~=${older.name.slice(0, 6)}`, '3.34')).status).toBe(400);
});

test('like filters (3.34, an admin\'s), size and availability_zone', async () => {
  const tag = older.name.slice(0, -2);
  const liked = idsOf(await list(admin, `/volumes?all_tenants=1&name~=${tag}`, '3.34'));
  expect(liked.sort()).toEqual([older.id, newer.id].sort());
  expect(idsOf(await list(demo, '/volumes?size=2', '3.0'))).toEqual(expect.arrayContaining([newer.id]));
  expect(idsOf(await list(demo, '/volumes?size=2', '3.0'))).not.toContain(older.id);
  expect(idsOf(await list(demo, '/volumes?availability_zone=elsewhere', '3.0'))).toEqual([]);
  expect(idsOf(await list(demo, '/volumes?group_id=g', '3.9'))).toEqual(expect.arrayContaining([older.id, newer.id]));
  expect(idsOf(await list(demo, '/volumes?group_id=g', '3.10'))).toEqual([]);
});

test('created_at / updated_at comparisons from 3.31 (3.60 documents them), dropped before', async () => {
  const boundary = new Date(new Date(`${newer.created_at}Z`).getTime() - 1).toISOString();
  expect(idsOf(await list(demo, `/volumes?created_at=gt:${boundary}`, '3.30'))).toEqual(expect.arrayContaining([older.id, newer.id]));
  const after = idsOf(await list(demo, `/volumes?created_at=gt:${boundary}`, '3.60'));
  expect(after).toContain(newer.id);
  expect(after).not.toContain(older.id);
  const before = idsOf(await list(demo, `/volumes/detail?created_at=lte:${boundary},gte:2000-01-01`, '3.60'));
  expect(before).toContain(older.id);
  expect(before).not.toContain(newer.id);
  const badOp = await list(demo, '/volumes?created_at=about:2020-01-01', '3.60');
  expect(badOp.status).toBe(400);
  expect(badOp.body.badRequest.message).toBe('Invalid about operator');
  const badTime = await list(demo, '/volumes?updated_at=gt:yesterday', '3.60');
  expect(badTime.status).toBe(400);
  expect(badTime.body.badRequest.message).toBe('Invalid yesterday value');
});

test('with_count from 3.45: every match, not the page; before, a filter like any other', async () => {
  const res = await list(demo, '/volumes?with_count=true&limit=1', '3.45');
  expect(res.status).toBe(200);
  expect(res.body.volumes).toHaveLength(1);
  expect(res.body.count).toBeGreaterThanOrEqual(2);
  expect((await list(demo, '/volumes/detail?with_count=false', '3.45')).body).not.toHaveProperty('count');
  expect((await list(demo, '/snapshots/detail?with_count=1', '3.45')).body.count).toBeGreaterThanOrEqual(1);
  // Before 3.45 with_count is a filter: dropped before 3.31, not a non-admin's from it.
  const dropped = await list(demo, '/volumes?with_count=true', '3.30');
  expect(dropped.status).toBe(200);
  expect(dropped.body).not.toHaveProperty('count');
  expect((await list(demo, '/volumes?with_count=true', '3.44')).status).toBe(400);
  expect((await list(demo, '/volumes?with_count=maybe', '3.45')).status).toBe(400);
});

test('snapshots: the metadata filter from 3.22, sorting by name from 3.30', async () => {
  expect(idsOf(await list(demo, `/snapshots?metadata=${encodeURIComponent('{"s":"2"}')}`, '3.21'), 'snapshots')).toContain(snap.id);
  expect(idsOf(await list(demo, `/snapshots?metadata=${encodeURIComponent('{"s":"2"}')}`, '3.22'), 'snapshots')).not.toContain(snap.id);
  expect(idsOf(await list(demo, `/snapshots?metadata=${encodeURIComponent('{"s":"1"}')}`, '3.22'), 'snapshots')).toContain(snap.id);
  const early = await list(demo, '/snapshots?sort=name:asc', '3.29');
  expect(early.status).toBe(400);
  expect(early.body.badRequest.message).toBe('Invalid input received: Invalid sort key');
  expect((await list(demo, '/snapshots?sort=display_name:asc', '3.29')).status).toBe(200);
  expect((await list(demo, '/snapshots?sort=name:asc', '3.30')).status).toBe(200);
});

test('create: unknown keys ignored before 3.53, 400 from it; a group is looked up; update needs a key from 3.53', async () => {
  const made = await demo.request('POST', V('/volumes'), { volume: { size: 1, name: rand('x'), flavor: 'big' } }, MV('3.52'));
  expect(made.status).toBe(202);
  await waitFor(demo, 'volumes', made.body.volume.id, ['available']);
  const refused = await demo.request('POST', V('/volumes'), { volume: { size: 1, flavor: 'big' } }, MV('3.53'));
  expect(refused.status).toBe(400);
  expect(refused.body.badRequest.message).toMatch(/^Invalid input for field\/attribute volume\. Value: .*Additional properties are not allowed \('flavor' was unexpected\)$/);
  const grouped = await demo.request('POST', V('/volumes'), { volume: { size: 1, group_id: 'g1' } }, MV('3.13'));
  expect(grouped.status).toBe(404);
  expect(grouped.body.itemNotFound.message).toBe('Group g1 could not be found.');

  const empty = await demo.request('PUT', V(`/volumes/${made.body.volume.id}`), { volume: {} }, MV('3.52'));
  expect(empty.status).toBe(200);
  const emptyNew = await demo.request('PUT', V(`/volumes/${made.body.volume.id}`), { volume: {} }, MV('3.53'));
  expect(emptyNew.status).toBe(400);
  expect(emptyNew.body.badRequest.message).toBe('Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas');
  await demo.request('DELETE', V(`/volumes/${made.body.volume.id}`));
});

test('3.46: a Nova image of a volume-backed server gives a volume from its boot snapshot; a missing one is 404 at any version', async () => {
  const novaImage = async (snapshotId: string) => {
    const img = await demo.request('POST', '/image/v2/images', {
      name: rand('nova'), disk_format: 'raw', container_format: 'bare',
      block_device_mapping: JSON.stringify([{ source_type: 'snapshot', destination_type: 'volume', boot_index: 0, snapshot_id: snapshotId }]),
      bdm_v2: 'True',
    });
    expect(img.status).toBe(201);
    const put = await demo.request('PUT', `/image/v2/images/${img.body.id}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' });
    expect(put.status).toBe(204);
    return img.body.id as string;
  };
  const good = await novaImage(snap.id);
  const fromImage = await demo.request('POST', V('/volumes'), { volume: { size: 1, imageRef: good } }, MV('3.45'));
  expect(fromImage.status).toBe(202);
  expect(fromImage.body.volume.snapshot_id).toBeNull();
  const fromSnap = await demo.request('POST', V('/volumes'), { volume: { imageRef: good } }, MV('3.46'));
  expect(fromSnap.status).toBe(202);
  expect(fromSnap.body.volume).toMatchObject({ snapshot_id: snap.id, size: snap.size });
  for (const v of [fromImage.body.volume, fromSnap.body.volume]) {
    await waitFor(demo, 'volumes', v.id, ['available']);
    await demo.request('DELETE', V(`/volumes/${v.id}`));
  }
  const bad = await novaImage('00000000-0000-4000-8000-000000000000');
  for (const version of ['3.45', '3.46']) {
    const res = await demo.request('POST', V('/volumes'), { volume: { size: 1, imageRef: bad } }, MV(version));
    expect(res.status).toBe(404);
    expect(res.body.itemNotFound.message).toBe('Nova specific image is found, but boot volume snapshot id:00000000-0000-4000-8000-000000000000 not found.');
  }
});
