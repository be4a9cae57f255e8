import { randomUUID } from 'crypto';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { MV, V, createSnapshot, createVolume, fault, rand, roomyQuotas, waitFor } from './volume-test-helpers';

describe('Cinder snapshots', () => {
  let h: Harness;
  let demo: Session;
  let alt: Session;
  let admin: Session;
  const adminAction = (kind: 'volumes' | 'snapshots', id: string, body: unknown) =>
    admin.request('POST', `/volume/v3/${admin.projectId}/${kind}/${id}/action`, body);

  beforeAll(async () => {
    h = await startHarness(roomyQuotas());
    [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  });
  afterAll(async () => { await h.stop(); });

  describe('create, show, list, update', () => {
    it('answers 202 creating, then available; extended attributes on show and the detailed list only; user_id from 3.41', async () => {
      const v = await createVolume(demo, { size: 2 });
      const name = rand('snap');
      const res = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id, name, description: null, force: false, metadata: {} } });
      expect(res.status).toBe(202);
      expect(res.body.snapshot).toMatchObject({ volume_id: v.id, name, status: 'creating', size: 2 });
      // Cinder's extended_snapshot_attributes extension extends show and detail only.
      expect(res.body.snapshot).not.toHaveProperty('os-extended-snapshot-attributes:progress');
      const s = await waitFor(demo, 'snapshots', res.body.snapshot.id, ['available']);
      expect(s).toEqual({
        id: res.body.snapshot.id, name, description: null, volume_id: v.id, status: 'available', size: 2, metadata: {},
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/), updated_at: expect.any(String),
        'os-extended-snapshot-attributes:progress': '100%', 'os-extended-snapshot-attributes:project_id': demo.projectId,
      });
      const at341 = await demo.request('GET', V(`/snapshots/${s.id}`), undefined, MV('3.41'));
      expect(at341.body.snapshot).toMatchObject({ user_id: demo.userId, group_snapshot_id: null });
      const brief = (await demo.request('GET', V('/snapshots'), undefined, MV('3.41'))).body.snapshots.find((x: any) => x.id === s.id);
      expect(Object.keys(brief).sort()).toEqual(['created_at', 'description', 'id', 'metadata', 'name', 'size', 'status', 'updated_at', 'volume_id']);
      const detail = (await demo.request('GET', V('/snapshots/detail'))).body.snapshots.find((x: any) => x.id === s.id);
      expect(detail['os-extended-snapshot-attributes:project_id']).toBe(demo.projectId);
    });

    it('refuses bodies Cinder refuses (no extra keys, volume_id required) and unknown volumes', async () => {
      const v = await createVolume(demo);
      const extra = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id, colour: 'red' } });
      expect(extra.status).toBe(400);
      expect(fault(extra).message).toBe("Invalid input for field/attribute snapshot. Additional properties are not allowed ('colour' was unexpected)");
      const missing = await demo.request('POST', V('/snapshots'), { snapshot: { name: 'x' } });
      expect(fault(missing)).toMatchObject({ name: 'badRequest', message: expect.stringContaining("'volume_id' is a required property") });
      const id = randomUUID();
      expect((await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: id } })).body)
        .toEqual({ itemNotFound: { code: 404, message: `Volume ${id} could not be found.` } });
      expect((await demo.request('GET', V(`/snapshots/${id}`))).body).toEqual({ itemNotFound: { code: 404, message: `Snapshot ${id} could not be found.` } });
    });

    it('needs force=true for an in-use volume (Cinder < 3.66)', async () => {
      const v = await createVolume(demo);
      const serverId = randomUUID();
      await h.app.volume.attachVolume(demo.projectId, v.id, { serverId, device: '/dev/vdb' });
      const refused = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id } });
      expect(refused.body).toEqual({ badRequest: { code: 400, message: `Invalid volume: Volume ${v.id} status must be available, but current status is: in-use.` } });
      const refusedFalse = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id, force: 'False' } });
      expect(refusedFalse.status).toBe(400);
      expect((await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id, force: 'sometimes' } })).status).toBe(400);
      const forced = await createSnapshot(demo, v.id, { force: true });
      expect(forced.status).toBe('available');
      const forcedString = await createSnapshot(demo, v.id, { force: 'true' });
      expect(forcedString.status).toBe('available');
      await h.app.volume.detachVolume(demo.projectId, v.id, serverId);
    });

    it('refuses a snapshot of a volume in error', async () => {
      const v = await createVolume(demo);
      await adminAction('volumes', v.id, { 'os-reset_status': { status: 'error' } });
      expect((await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id, force: true } })).body)
        .toEqual({ badRequest: { code: 400, message: 'Invalid volume: The snapshot cannot be created when the volume is in error status.' } });
    });

    it('offset skips rows after the marker, as Cinder; a bad offset is 400', async () => {
      const v = await createVolume(demo, { size: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await createSnapshot(demo, v.id, { name: rand('off') })).id);
      const listed = (q: string) => demo.request('GET', V(`/snapshots?volume_id=${v.id}&sort=created_at:asc&${q}`));
      expect((await listed('')).body.snapshots.map((s: any) => s.id)).toEqual(ids);
      expect((await listed('offset=1&limit=1')).body.snapshots.map((s: any) => s.id)).toEqual([ids[1]]);
      expect((await listed(`marker=${ids[0]}&offset=1`)).body.snapshots.map((s: any) => s.id)).toEqual([ids[2]]);
      expect(await listed('offset=-1')).toMatchObject({ status: 400, body: { badRequest: { message: 'offset must be >= 0' } } });
      expect((await listed('offset=x')).status).toBe(400);
    });

    it('lists full objects on both lists, with filters and snapshots_links', async () => {
      const v = await createVolume(demo);
      const made = [await createSnapshot(demo, v.id), await createSnapshot(demo, v.id), await createSnapshot(demo, v.id)];
      for (const path of ['/snapshots', '/snapshots/detail']) {
        const res = await demo.request('GET', V(`${path}?volume_id=${v.id}`));
        expect(res.body.snapshots.map((s: any) => s.id)).toEqual(made.map((s) => s.id).reverse());
        expect(res.body.snapshots[0]).toHaveProperty('metadata', {});
        expect(res.body).not.toHaveProperty('snapshots_links');
      }
      const byName = await demo.request('GET', V(`/snapshots/detail?all_tenants=1&name=${made[1].name}`));
      expect(byName.body.snapshots.map((s: any) => s.id)).toEqual([made[1].id]);
      expect((await demo.request('GET', V(`/snapshots?volume_id=${v.id}&status=error`))).body.snapshots).toEqual([]);
      const page = await demo.request('GET', V(`/snapshots/detail?volume_id=${v.id}&limit=2`));
      expect(page.body.snapshots).toHaveLength(2);
      const next = page.body.snapshots_links[0].href;
      expect(next).toContain(`/volume/v3/${demo.projectId}/snapshots/detail?`);
      const rest = await demo.request('GET', next);
      expect(rest.body.snapshots.map((s: any) => s.id)).toEqual([made[0].id]);
      expect(rest.body).not.toHaveProperty('snapshots_links');
    });

    it('renames with PUT (openstack volume snapshot set --name); an empty update is Cinder\'s 400', async () => {
      const v = await createVolume(demo);
      const s = await createSnapshot(demo, v.id);
      const res = await demo.request('PUT', V(`/snapshots/${s.id}`), { snapshot: { name: 'renamed' } });
      expect(res.status).toBe(200);
      expect(res.body.snapshot).toMatchObject({ id: s.id, name: 'renamed', description: null });
      const both = await demo.request('PUT', V(`/snapshots/${s.id}`), { snapshot: { display_name: 'n2', description: 'd2' } });
      expect(both.body.snapshot).toMatchObject({ name: 'n2', description: 'd2' });
      expect((await demo.request('PUT', V(`/snapshots/${s.id}`), { snapshot: {} })).body)
        .toEqual({ badRequest: { code: 400, message: 'Invalid input for field/attribute snapshot. Value: {}. {} is not valid under any of the given schemas' } });
      expect((await demo.request('PUT', V(`/snapshots/${s.id}`), { snapshot: { size: 3 } })).status).toBe(400);
    });

    it('serves snapshot metadata (POST merges, PUT replaces, per key)', async () => {
      const v = await createVolume(demo);
      const s = await createSnapshot(demo, v.id, { metadata: { a: '1' } });
      const base = V(`/snapshots/${s.id}/metadata`);
      expect((await demo.request('POST', base, { metadata: { b: '2' } })).body).toEqual({ metadata: { a: '1', b: '2' } });
      expect((await demo.request('PUT', base, { metadata: { c: '3' } })).body).toEqual({ metadata: { c: '3' } });
      expect((await demo.request('GET', base)).body).toEqual({ metadata: { c: '3' } });
      expect((await demo.request('GET', `${base}/c`)).body).toEqual({ meta: { c: '3' } });
      expect((await demo.request('GET', `${base}/zz`)).body).toEqual({ itemNotFound: { code: 404, message: `Snapshot ${s.id} has no metadata with key zz.` } });
      expect((await demo.request('DELETE', `${base}/c`)).status).toBe(200);
      expect((await demo.request('GET', V(`/snapshots/${s.id}`))).body.snapshot.metadata).toEqual({});
    });
  });

  describe('delete', () => {
    it('deletes an available snapshot; refuses other statuses with Cinder\'s text; os-force_delete is admin-only', async () => {
      const v = await createVolume(demo);
      const s = await createSnapshot(demo, v.id);
      expect((await demo.request('DELETE', V(`/snapshots/${s.id}`))).status).toBe(202);
      await waitFor(demo, 'snapshots', s.id, ['gone']);

      const stuck = await createSnapshot(demo, v.id);
      expect((await adminAction('snapshots', stuck.id, { 'os-reset_status': { status: 'creating' } })).status).toBe(202);
      expect((await demo.request('DELETE', V(`/snapshots/${stuck.id}`))).body)
        .toEqual({ badRequest: { code: 400, message: 'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.' } });
      expect((await demo.request('POST', V(`/snapshots/${stuck.id}/action`), { 'os-force_delete': null })).body)
        .toEqual({ forbidden: { code: 403, message: "Policy doesn't allow volume_extension:snapshot_admin_actions:force_delete to be performed." } });
      expect((await demo.request('POST', V(`/snapshots/${stuck.id}/action`), { 'os-reset_status': { status: 'available' } })).status).toBe(403);
      expect((await adminAction('snapshots', stuck.id, { 'os-reset_status': { status: 'sleeping' } })).status).toBe(400);
      expect((await adminAction('snapshots', stuck.id, { 'os-force_delete': null })).status).toBe(202);
      await waitFor(demo, 'snapshots', stuck.id, ['gone']);
    });

    it("hides another project's snapshots (404)", async () => {
      const v = await createVolume(demo);
      const s = await createSnapshot(demo, v.id);
      const nf = { itemNotFound: { code: 404, message: `Snapshot ${s.id} could not be found.` } };
      expect((await alt.request('GET', V(`/snapshots/${s.id}`))).body).toEqual(nf);
      expect((await alt.request('PUT', V(`/snapshots/${s.id}`), { snapshot: { name: 'x' } })).body).toEqual(nf);
      expect((await alt.request('DELETE', V(`/snapshots/${s.id}`))).body).toEqual(nf);
      expect((await alt.request('POST', V(`/snapshots/${s.id}/metadata`), { metadata: { a: 'b' } })).body).toEqual(nf);
      expect((await alt.request('POST', V('/volumes'), { volume: { snapshot_id: s.id } })).body).toEqual(nf);
      expect((await alt.request('GET', V(`/snapshots/detail?all_tenants=1&name=${s.name}`))).body.snapshots).toEqual([]);
      const all = await admin.request('GET', `/volume/v3/${admin.projectId}/snapshots/detail?all_tenants=1&name=${s.name}`);
      expect(all.body.snapshots.map((x: any) => x.id)).toEqual([s.id]);
      expect((await admin.request('GET', `/volume/v3/${admin.projectId}/snapshots/detail?name=${s.name}`)).body.snapshots).toEqual([]);
    });
  });

  describe('volumes from snapshots', () => {
    it('takes the snapshot size by default; smaller or a snapshot not available is refused', async () => {
      const v = await createVolume(demo, { size: 3 });
      const s = await createSnapshot(demo, v.id);
      const res = await demo.request('POST', V('/volumes'), { volume: { snapshot_id: s.id, name: rand('restored') } });
      expect(res.status).toBe(202);
      expect(await waitFor(demo, 'volumes', res.body.volume.id, ['available'])).toMatchObject({ size: 3, snapshot_id: s.id });
      const bigger = await createVolume(demo, { snapshot_id: s.id, size: 5 });
      expect(bigger.size).toBe(5);
      expect((await demo.request('POST', V('/volumes'), { volume: { snapshot_id: s.id, size: 2 } })).body)
        .toEqual({ badRequest: { code: 400, message: "Invalid input received: Volume size '2'GB cannot be smaller than the snapshot size 3GB. They must be >= original snapshot size." } });
      await adminAction('snapshots', s.id, { 'os-reset_status': { status: 'error' } });
      expect((await demo.request('POST', V('/volumes'), { volume: { snapshot_id: s.id } })).body)
        .toEqual({ badRequest: { code: 400, message: "Invalid snapshot: Originating snapshot status must be one of 'available' values" } });
    });
  });

  describe('revert (3.40)', () => {
    const revert = (id: string, body: unknown, version = '3.40') => demo.request('POST', V(`/volumes/${id}/action`), body, MV(version));

    it('is not there below 3.40 (404, as Cinder)', async () => {
      const v = await createVolume(demo);
      const s = await createSnapshot(demo, v.id);
      const res = await revert(v.id, { revert: { snapshot_id: s.id } }, '3.39');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
      expect((await demo.request('POST', V(`/volumes/${v.id}/action`), { revert: { snapshot_id: s.id } })).status).toBe(404);
    });

    it("applies Cinder's rules in Cinder's order", async () => {
      const v = await createVolume(demo, { size: 1 });
      expect((await revert(v.id, { revert: { snapshot_id: randomUUID() } })).body)
        .toEqual({ badRequest: { code: 400, message: `Volume ${v.id} doesn't have any snapshots.` } });
      const older = await createSnapshot(demo, v.id);
      const latest = await createSnapshot(demo, v.id);
      expect((await revert(v.id, { revert: { snapshot_id: older.id } })).body)
        .toEqual({ badRequest: { code: 400, message: `Specified snapshot ${older.id} is None or not the latest one of volume ${v.id}.` } });
      expect((await revert(v.id, { revert: {} })).body)
        .toEqual({ badRequest: { code: 400, message: `Specified snapshot None is None or not the latest one of volume ${v.id}.` } });

      const serverId = randomUUID();
      await h.app.volume.attachVolume(demo.projectId, v.id, { serverId, device: '/dev/vdb' });
      const inUse = await revert(v.id, { revert: { snapshot_id: latest.id } });
      expect(inUse.status).toBe(409);
      expect(inUse.body).toEqual({ conflictingRequest: { code: 409, message: `Invalid volume: Can't revert volume ${v.id} to its latest snapshot ${latest.id}. Volume's status must be 'available'.` } });
      await h.app.volume.detachVolume(demo.projectId, v.id, serverId);

      await adminAction('snapshots', latest.id, { 'os-reset_status': { status: 'error' } });
      expect((await revert(v.id, { revert: { snapshot_id: latest.id } })).body)
        .toEqual({ conflictingRequest: { code: 409, message: `Invalid snapshot: Can't revert volume ${v.id} to its latest snapshot ${latest.id}. Snapshot's status must be 'available'.` } });
      expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.status).toBe('available');
      await adminAction('snapshots', latest.id, { 'os-reset_status': { status: 'available' } });

      const ok = await revert(v.id, { revert: { snapshot_id: latest.id } }, '3.60');
      expect(ok.status).toBe(202);
      await waitFor(demo, 'volumes', v.id, ['available']);
      expect((await demo.request('GET', V(`/snapshots/${latest.id}`))).body.snapshot.status).toBe('available');

      await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-extend': { new_size: 2 } });
      await waitFor(demo, 'volumes', v.id, ['available']);
      expect((await revert(v.id, { revert: { snapshot_id: latest.id } })).body)
        .toEqual({ badRequest: { code: 400, message: `Can't revert volume ${v.id} to its latest snapshot ${latest.id}. The volume size must be equal to the snapshot size.` } });
    });
  });
});
