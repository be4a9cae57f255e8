import { randomUUID } from 'crypto';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { MV, V, createSnapshot, createVolume, fault, rand, roomyQuotas, waitFor } from './volume-test-helpers';

const CINDER_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

describe('Cinder volumes', () => {
  let h: Harness;
  let demo: Session;
  let alt: Session;
  let admin: Session;
  beforeAll(async () => {
    h = await startHarness(roomyQuotas());
    [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  });
  afterAll(async () => { await h.stop(); });

  describe('create, show, list', () => {
    it('answers 202 with status creating, then the volume becomes available with every field clients read', async () => {
      const name = rand('vol');
      const res = await demo.request('POST', V('/volumes'), { volume: { size: 2, name, description: 'd', metadata: { k: 'v' } } });
      expect(res.status).toBe(202);
      expect(res.body.volume).toMatchObject({ name, size: 2, status: 'creating', bootable: 'false', metadata: { k: 'v' } });
      const v = await waitFor(demo, 'volumes', res.body.volume.id, ['available']);
      expect(v).toMatchObject({
        id: res.body.volume.id, name, description: 'd', size: 2, status: 'available', availability_zone: 'nova',
        volume_type: '__DEFAULT__', snapshot_id: null, source_volid: null, metadata: { k: 'v' }, user_id: demo.userId,
        bootable: 'false', encrypted: false, multiattach: false, attachments: [], consistencygroup_id: null, replication_status: null,
      });
      expect(v.created_at).toMatch(CINDER_DATE);
      expect(v.updated_at).toMatch(CINDER_DATE);
      expect(v.links).toEqual([
        { rel: 'self', href: `${h.url}/volume/v3/${demo.projectId}/volumes/${v.id}` },
        { rel: 'bookmark', href: `${h.url}/volume/${demo.projectId}/volumes/${v.id}` },
      ]);
      // Cinder's volume_tenant_attribute policy is any project reader's (os-vol-host-attr stays admin-only).
      expect(v['os-vol-tenant-attr:tenant_id']).toBe(demo.projectId);
      expect(v).not.toHaveProperty('os-vol-host-attr:host');
      const asAdmin = await admin.request('GET', `/volume/v3/${admin.projectId}/volumes/${v.id}`);
      expect(asAdmin.body.volume['os-vol-tenant-attr:tenant_id']).toBe(demo.projectId);
      // The os-vol-* extensions extend show and the detailed list only: create and update answer without them.
      const made = await admin.request('POST', `/volume/v3/${admin.projectId}/volumes`, { volume: { size: 1, name: rand('adm') } });
      expect(made.status).toBe(202);
      expect(Object.keys(made.body.volume).filter((k) => k.startsWith('os-vol-'))).toEqual([]);
      expect(made.body.volume).toHaveProperty('migration_status', null);
      await waitFor(admin, 'volumes', made.body.volume.id, ['available']);
      const renamed = await admin.request('PUT', `/volume/v3/${admin.projectId}/volumes/${made.body.volume.id}`, { volume: { name: rand('adm2') } });
      expect(Object.keys(renamed.body.volume).filter((k) => k.startsWith('os-vol-'))).toEqual([]);
      expect((await admin.request('DELETE', `/volume/v3/${admin.projectId}/volumes/${made.body.volume.id}`)).status).toBe(202);
    });

    it("accepts the openstack CLI's null-filled body and top-level scheduler hints", async () => {
      const res = await demo.request('POST', V('/volumes'), {
        volume: {
          size: 1, consistencygroup_id: null, snapshot_id: null, name: rand('osc'), description: null, volume_type: null,
          availability_zone: null, metadata: {}, imageRef: null, source_volid: null, backup_id: null, multiattach: false,
        },
        'OS-SCH-HNT:scheduler_hints': { same_host: [] },
      });
      expect(res.status).toBe(202);
      await waitFor(demo, 'volumes', res.body.volume.id, ['available']);
    });

    it('echoes the microversion and refuses one out of range with 406', async () => {
      const res = await demo.request('GET', V('/volumes'), undefined, MV('3.60'));
      expect(res.headers.get('openstack-api-version')).toBe('volume 3.60');
      const none = await demo.request('GET', V('/volumes'));
      expect(none.headers.get('openstack-api-version')).toBe('volume 3.0');
      const bad = await demo.request('GET', V('/volumes'), undefined, MV('3.61'));
      expect(bad.status).toBe(406);
    });

    it.each([
      [{ size: 0 }, "Invalid input received: Volume size '0' must be an integer and greater than 0"],
      [{ size: -1 }, "Invalid input received: Volume size '-1' must be an integer and greater than 0"],
      [{ size: 'abc' }, "Invalid input received: Volume size 'abc' must be an integer and greater than 0"],
      [{ size: null }, "Invalid input received: Volume size 'None' must be an integer and greater than 0"],
      [{ size: 1, availability_zone: 'mars' }, "Invalid input received: Availability zone 'mars' is invalid."],
    ])('refuses %j with 400 and Cinder\'s text', async (volume, message) => {
      const res = await demo.request('POST', V('/volumes'), { volume });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ badRequest: { code: 400, message } });
    });

    it('refuses unknown sources and types with 404, a body that is not {"volume"} with 400', async () => {
      const sid = randomUUID();
      expect((await demo.request('POST', V('/volumes'), { volume: { snapshot_id: sid } })).body)
        .toEqual({ itemNotFound: { code: 404, message: `Snapshot ${sid} could not be found.` } });
      expect((await demo.request('POST', V('/volumes'), { volume: { size: 1, source_volid: sid } })).body)
        .toEqual({ itemNotFound: { code: 404, message: `Volume ${sid} could not be found.` } });
      expect((await demo.request('POST', V('/volumes'), { volume: { size: 1, volume_type: 'gold' } })).body)
        .toEqual({ itemNotFound: { code: 404, message: 'Volume type with name gold could not be found.' } });
      const extra = await demo.request('POST', V('/volumes'), { volume: { size: 1 }, extra: 1 });
      expect(extra.status).toBe(400);
      expect(fault(extra)).toMatchObject({ name: 'badRequest', message: expect.stringContaining("'extra' was unexpected") });
      const badMeta = await demo.request('POST', V('/volumes'), { volume: { size: 1, metadata: { k: 1 } } });
      expect(fault(badMeta)).toMatchObject({ name: 'badRequest', code: 400 });
      // Cinder's name is parameter_types.name_allow_zero_min_length (maxLength 255): jsonschema's "is too long"
      // (Cinder also puts "Value: <value>." before it, which Snapstack's shared validator message leaves out).
      const long = 'n'.repeat(256);
      const tooLong = await demo.request('POST', V('/volumes'), { volume: { size: 1, name: long } });
      expect(fault(tooLong)).toMatchObject({ name: 'badRequest', code: 400, message: expect.stringMatching(/^Invalid input for field\/attribute name\. /) });
      expect(fault(tooLong).message.endsWith(`'${long}' is too long`)).toBe(true);
    });

    it('clones a volume (source_volid): the size defaults to the source, smaller is refused', async () => {
      const src = await createVolume(demo, { size: 3 });
      const small = await demo.request('POST', V('/volumes'), { volume: { size: 2, source_volid: src.id } });
      expect(small.body).toEqual({ badRequest: { code: 400, message: "Invalid input received: Volume size '2'GB cannot be smaller than original volume size  3GB. They must be >= original volume size." } });
      const res = await demo.request('POST', V('/volumes'), { volume: { source_volid: src.id } });
      expect(res.status).toBe(202);
      const clone = await waitFor(demo, 'volumes', res.body.volume.id, ['available']);
      expect(clone).toMatchObject({ size: 3, source_volid: src.id });
    });

    it('summary (3.12): count and GiB of the project\'s volumes, metadata values from 3.36; below 3.12 no volume "summary"', async () => {
      const a = await createVolume(alt, { size: 2, metadata: { tier: 'gold' } });
      const b = await createVolume(alt, { size: 1, metadata: { tier: 'silver', x: 'y' } });
      await waitFor(alt, 'volumes', a.id, ['available']);
      await waitFor(alt, 'volumes', b.id, ['available']);
      const sum = await alt.request('GET', V('/volumes/summary'), undefined, MV('3.36'));
      expect(sum.status).toBe(200);
      const mine = (await alt.request('GET', V('/volumes/detail'))).body.volumes;
      expect(sum.body['volume-summary']).toMatchObject({
        total_count: mine.length, total_size: mine.reduce((n: number, v: any) => n + v.size, 0),
        metadata: expect.objectContaining({ tier: expect.arrayContaining(['gold', 'silver']), x: ['y'] }),
      });
      expect((await alt.request('GET', V('/volumes/summary'), undefined, MV('3.12'))).body['volume-summary']).not.toHaveProperty('metadata');
      // Cinder's summary action at 3.0: VersionNotFoundForAPIMethod, a bare HTTPNotFound.
      expect(await alt.request('GET', V('/volumes/summary'))).toMatchObject({ status: 404, body: { itemNotFound: { message: 'The resource could not be found.' } } });
      expect(await alt.request('GET', V('/volumes/summary'), undefined, MV('3.11'))).toMatchObject({ status: 404, body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } } });
      for (const v of [a, b]) await alt.request('DELETE', V(`/volumes/${v.id}`));
    });

    it('snapshot create with a null volume_id: 404, as Cinder finds no volume "None"', async () => {
      const res = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: null, name: rand('s') } });
      expect(res).toMatchObject({ status: 404, body: { itemNotFound: { code: 404, message: 'Volume None could not be found.' } } });
    });

    it('answers 404 with Cinder\'s text for an unknown id or a name (so clients fall back to ?name=)', async () => {
      const res = await demo.request('GET', V('/volumes/my-volume-name'));
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ itemNotFound: { code: 404, message: 'Volume my-volume-name could not be found.' } });
      expect(res.headers.get('content-type')).toContain('application/json');
    });

    it('lists summaries and details, with name, status, metadata and bootable filters', async () => {
      const tag = rand('tag');
      const a = await createVolume(demo, { name: `${tag}-a`, metadata: { tag, n: '1' } });
      const b = await createVolume(demo, { name: `${tag}-b`, metadata: { tag, n: '2' } });
      expect((await demo.request('POST', V(`/volumes/${b.id}/action`), { 'os-set_bootable': { bootable: true } })).status).toBe(200);
      const summary = await demo.request('GET', V(`/volumes?name=${tag}-a`));
      expect(summary.body).toEqual({ volumes: [{ id: a.id, name: `${tag}-a`, links: a.links }] });
      const byMeta = await demo.request('GET', V(`/volumes/detail?metadata=${encodeURIComponent(JSON.stringify({ tag }))}`));
      expect(byMeta.body.volumes.map((v: any) => v.id).sort()).toEqual([a.id, b.id].sort());
      // cinderclient sends a Python dict literal.
      const pyMeta = await demo.request('GET', V(`/volumes/detail?metadata=${encodeURIComponent(`{'tag': '${tag}', 'n': '2'}`)}`));
      expect(pyMeta.body.volumes.map((v: any) => v.id)).toEqual([b.id]);
      const boot = await demo.request('GET', V(`/volumes/detail?bootable=true&metadata=${encodeURIComponent(JSON.stringify({ tag }))}`));
      expect(boot.body.volumes.map((v: any) => [v.id, v.bootable])).toEqual([[b.id, 'true']]);
      const status = await demo.request('GET', V(`/volumes/detail?status=error&name=${tag}-a`));
      expect(status.body.volumes).toEqual([]);
      // all_tenants from a non-admin is ignored (cinderclient always adds it on name lookups).
      const lookup = await demo.request('GET', V(`/volumes/detail?all_tenants=1&name=${tag}-b`));
      expect(lookup.body.volumes.map((v: any) => v.id)).toEqual([b.id]);
    });

    it('pages with limit and marker; volumes_links only when a page is full; sorts', async () => {
      const tag = rand('page');
      const made = [];
      for (const n of ['c', 'a', 'b']) made.push(await createVolume(demo, { name: `${tag}-${n}`, metadata: { page: tag } }));
      const meta = encodeURIComponent(JSON.stringify({ page: tag }));
      const first = await demo.request('GET', V(`/volumes/detail?metadata=${meta}&limit=2&sort=name:asc`));
      expect(first.body.volumes.map((v: any) => v.name)).toEqual([`${tag}-a`, `${tag}-b`]);
      expect(first.body.volumes_links).toHaveLength(1);
      const next = first.body.volumes_links[0];
      expect(next.rel).toBe('next');
      expect(next.href).toContain(`${h.url}/volume/v3/${demo.projectId}/volumes/detail?`);
      expect(next.href).toContain(`marker=${first.body.volumes[1].id}`);
      const second = await demo.request('GET', next.href);
      expect(second.body.volumes.map((v: any) => v.name)).toEqual([`${tag}-c`]);
      expect(second.body).not.toHaveProperty('volumes_links');
      const all = await demo.request('GET', V(`/volumes?metadata=${meta}`));
      expect(all.body).not.toHaveProperty('volumes_links');
      // Default order: newest first.
      expect(all.body.volumes.map((v: any) => v.id)).toEqual(made.map((v) => v.id).reverse());
      const legacy = await demo.request('GET', V(`/volumes?metadata=${meta}&sort_key=name&sort_dir=desc`));
      expect(legacy.body.volumes.map((v: any) => v.name)).toEqual([`${tag}-c`, `${tag}-b`, `${tag}-a`]);
    });

    it('refuses bad paging parameters with Cinder\'s texts', async () => {
      expect((await demo.request('GET', V('/volumes?limit=x'))).body).toEqual({ badRequest: { code: 400, message: 'limit param must be an integer' } });
      expect((await demo.request('GET', V('/volumes?limit=-1'))).body).toEqual({ badRequest: { code: 400, message: 'limit param must be positive' } });
      expect((await demo.request('GET', V('/volumes?sort=colour:asc'))).body).toEqual({ badRequest: { code: 400, message: 'Invalid input received: Invalid sort key' } });
      expect((await demo.request('GET', V('/volumes?sort=name:up'))).status).toBe(400);
      expect((await demo.request('GET', V('/volumes?sort=name&sort_key=id'))).status).toBe(400);
      const m = randomUUID();
      expect((await demo.request('GET', V(`/volumes?marker=${m}`))).body).toEqual({ itemNotFound: { code: 404, message: `Volume ${m} could not be found.` } });
    });
  });

  describe('update and metadata', () => {
    it('updates name, description and metadata (replaced) with PUT', async () => {
      const v = await createVolume(demo, { metadata: { a: '1' } });
      const res = await demo.request('PUT', V(`/volumes/${v.id}`), { volume: { name: 'renamed', description: 'new', metadata: { b: '2' } } });
      expect(res.status).toBe(200);
      expect(res.body.volume).toMatchObject({ id: v.id, name: 'renamed', description: 'new', metadata: { b: '2' } });
      const bad = await demo.request('PUT', V(`/volumes/${v.id}`), { volume: { size: 5 } });
      expect(bad.status).toBe(400);
      expect(fault(bad).message).toContain("'size' was unexpected");
    });

    it('serves the metadata endpoints with Cinder\'s merge/replace semantics and errors', async () => {
      const v = await createVolume(demo, { metadata: { a: '1' } });
      const base = V(`/volumes/${v.id}/metadata`);
      expect((await demo.request('POST', base, { metadata: { b: '2' } })).body).toEqual({ metadata: { a: '1', b: '2' } });
      expect((await demo.request('GET', base)).body).toEqual({ metadata: { a: '1', b: '2' } });
      expect((await demo.request('PUT', base, { metadata: { c: '3' } })).body).toEqual({ metadata: { c: '3' } });
      expect((await demo.request('GET', `${base}/c`)).body).toEqual({ meta: { c: '3' } });
      expect((await demo.request('PUT', `${base}/d`, { meta: { d: '4' } })).body).toEqual({ meta: { d: '4' } });
      expect((await demo.request('PUT', `${base}/d`, { meta: { e: '5' } })).body).toEqual({ badRequest: { code: 400, message: 'Request body and URI mismatch' } });
      expect((await demo.request('PUT', `${base}/d`, { meta: { d: '5', e: '5' } })).body).toEqual({ badRequest: { code: 400, message: 'Request body contains too many items' } });
      expect((await demo.request('DELETE', `${base}/d`)).status).toBe(200);
      expect((await demo.request('GET', `${base}/d`)).body).toEqual({ itemNotFound: { code: 404, message: `Volume ${v.id} has no metadata with key d.` } });
      expect((await demo.request('DELETE', `${base}/d`)).status).toBe(404);
      expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.metadata).toEqual({ c: '3' });
    });
  });

  describe('delete', () => {
    const NOT_DELETABLE = 'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.';

    it('deletes: 202, deleting, then 404', async () => {
      const v = await createVolume(demo);
      const res = await demo.request('DELETE', V(`/volumes/${v.id}`));
      expect(res.status).toBe(202);
      expect(res.text).toBe('');
      await waitFor(demo, 'volumes', v.id, ['gone']);
      const again = await demo.request('DELETE', V(`/volumes/${v.id}`));
      expect(again.body).toEqual({ itemNotFound: { code: 404, message: `Volume ${v.id} could not be found.` } });
    });

    it('DELETE /volumes/ (no id) and other methods a path lacks: 404, as Cinder\'s routes answer', async () => {
      for (const [method, path] of [['DELETE', '/volumes/'], ['DELETE', '/volumes'], ['PATCH', '/snapshots'], ['GET', '/volumes/'], ['GET', '/snapshots/']]) {
        const res = await demo.request(method, V(path));
        expect(res.status).toBe(404);
        expect(res.body.itemNotFound.code).toBe(404);
      }
    });

    it('refuses an in-use volume and one with snapshots with 400; cascade=True deletes the snapshots too', async () => {
      const v = await createVolume(demo);
      const s = await createSnapshot(demo, v.id);
      const withSnap = await demo.request('DELETE', V(`/volumes/${v.id}`));
      expect(withSnap.status).toBe(400);
      expect(withSnap.body).toEqual({ badRequest: { code: 400, message: NOT_DELETABLE } });
      expect((await demo.request('DELETE', V(`/volumes/${v.id}?cascade=maybe`))).body)
        .toEqual({ badRequest: { code: 400, message: "Value 'maybe' for 'cascade' is not a boolean." } });
      const res = await demo.request('DELETE', V(`/volumes/${v.id}?cascade=True`));
      expect(res.status).toBe(202);
      await waitFor(demo, 'volumes', v.id, ['gone']);
      expect((await demo.request('GET', V(`/snapshots/${s.id}`))).status).toBe(404);

      const used = await createVolume(demo);
      const serverId = randomUUID();
      await h.app.volume.attachVolume(demo.projectId, used.id, { serverId, device: '/dev/vdb' });
      const shown = (await demo.request('GET', V(`/volumes/${used.id}`))).body.volume;
      expect(shown.status).toBe('in-use');
      expect(shown.attachments).toEqual([expect.objectContaining({ id: used.id, volume_id: used.id, server_id: serverId, device: '/dev/vdb', host_name: null })]);
      expect(shown.attachments[0].attached_at).toMatch(CINDER_DATE);
      expect((await demo.request('DELETE', V(`/volumes/${used.id}`))).body).toEqual({ badRequest: { code: 400, message: NOT_DELETABLE } });
      // Even forced, an attached volume stays (Cinder's rule): the forced text has no status part.
      const forced = await admin.request('POST', `/volume/v3/${admin.projectId}/volumes/${used.id}/action`, { 'os-force_delete': null });
      expect(forced.body).toEqual({ badRequest: { code: 400, message: 'Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.' } });
      await h.app.volume.detachVolume(demo.projectId, used.id, serverId);
      expect((await demo.request('GET', V(`/volumes/${used.id}`))).body.volume.status).toBe('available');
      expect((await demo.request('DELETE', V(`/volumes/${used.id}`))).status).toBe(202);
      await waitFor(demo, 'volumes', used.id, ['gone']);
    });

    it('os-force_delete is admin-only (403 with the policy text) and ignores the status', async () => {
      const v = await createVolume(demo);
      const denied = await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-force_delete': {} });
      expect(denied.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow volume_extension:volume_admin_actions:force_delete to be performed." } });
      expect((await admin.request('POST', `/volume/v3/${admin.projectId}/volumes/${v.id}/action`, { 'os-reset_status': { status: 'error_deleting' } })).status).toBe(202);
      expect((await demo.request('DELETE', V(`/volumes/${v.id}`))).status).toBe(400);
      expect((await admin.request('POST', `/volume/v3/${admin.projectId}/volumes/${v.id}/action`, { 'os-force_delete': null })).status).toBe(202);
      await waitFor(demo, 'volumes', v.id, ['gone']);
    });
  });

  describe('actions', () => {
    it('os-extend grows an available volume; Cinder\'s texts when smaller or in-use before 3.42', async () => {
      const v = await createVolume(demo, { size: 2 });
      const smaller = await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-extend': { new_size: 2 } });
      expect(smaller.body).toEqual({ badRequest: { code: 400, message: 'Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 2).' } });
      expect((await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-extend': { new_size: 'x' } })).status).toBe(400);
      const res = await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-extend': { new_size: '3' } });
      expect(res.status).toBe(202);
      await waitFor(demo, 'volumes', v.id, ['available']);
      expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.size).toBe(3);

      const serverId = randomUUID();
      await h.app.volume.attachVolume(demo.projectId, v.id, { serverId, device: '/dev/vdc' });
      const inUse = await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-extend': { new_size: 4 } });
      expect(inUse.body).toEqual({ badRequest: { code: 400, message: `Invalid volume: Volume ${v.id} status must be '{'status': 'available'}' to extend, currently in-use.` } });
      const at342 = await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-extend': { new_size: 4 } }, MV('3.42'));
      expect(at342.status).toBe(202);
      const after = await waitFor(demo, 'volumes', v.id, ['in-use']);
      expect(after.size).toBe(4);
      await h.app.volume.detachVolume(demo.projectId, v.id, serverId);
    });

    it('os-set_bootable takes Cinder\'s boolean strings; bootable is a string on the wire', async () => {
      const v = await createVolume(demo);
      expect((await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-set_bootable': { bootable: 'True' } })).status).toBe(200);
      expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.bootable).toBe('true');
      expect((await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-set_bootable': { bootable: 'perhaps' } })).status).toBe(400);
    });

    it('os-set_image_metadata merges, os-show_image_metadata shows, os-unset_image_metadata removes one key (404 when absent)', async () => {
      const v = await createVolume(demo);
      const act = (body: unknown) => demo.request('POST', V(`/volumes/${v.id}/action`), body);
      const set = await act({ 'os-set_image_metadata': { metadata: { image_name: 'image', ramdisk_id: 'somedisk' } } });
      expect(set).toMatchObject({ status: 200, body: { metadata: { image_name: 'image', ramdisk_id: 'somedisk' } } });
      expect((await act({ 'os-set_image_metadata': { metadata: { kernel_id: 'k' } } })).body.metadata).toEqual({ image_name: 'image', ramdisk_id: 'somedisk', kernel_id: 'k' });
      expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.volume_image_metadata).toEqual({ image_name: 'image', ramdisk_id: 'somedisk', kernel_id: 'k' });
      expect((await act({ 'os-unset_image_metadata': { key: 'ramdisk_id' } })).status).toBe(200);
      expect(await act({ 'os-show_image_metadata': {} })).toMatchObject({ status: 200, body: { metadata: { image_name: 'image', kernel_id: 'k' } } });
      expect(await act({ 'os-unset_image_metadata': { key: 'ramdisk_id' } })).toMatchObject({
        status: 404, body: { itemNotFound: { message: `Glance metadata for volume/snapshot ${v.id} cannot be found.` } },
      });
      expect((await act({ 'os-set_image_metadata': { metadata: { k: 1 } } })).status).toBe(400);
      expect((await alt.request('POST', V(`/volumes/${v.id}/action`), { 'os-show_image_metadata': {} })).status).toBe(404);
      // Cinder's extension adds volume_image_metadata only when some is left: unset every key and it goes.
      for (const key of ['image_name', 'kernel_id']) expect((await act({ 'os-unset_image_metadata': { key } })).status).toBe(200);
      expect(await act({ 'os-show_image_metadata': {} })).toMatchObject({ status: 200, body: { metadata: {} } });
      expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume).not.toHaveProperty('volume_image_metadata');
      const listed = (await demo.request('GET', V('/volumes/detail'))).body.volumes.find((x: any) => x.id === v.id);
      expect(listed).toBeDefined();
      expect(listed).not.toHaveProperty('volume_image_metadata');
      await demo.request('DELETE', V(`/volumes/${v.id}`));
    });

    it('a volume from a snapshot carries its source volume\'s bootable flag and image metadata', async () => {
      const v = await createVolume(demo);
      const plain = await createVolume(demo);
      await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-set_bootable': { bootable: true } });
      await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-set_image_metadata': { metadata: { image_name: 'image', kernel_id: 'k' } } });
      const [snap, plainSnap] = [await createSnapshot(demo, v.id), await createSnapshot(demo, plain.id)];
      const [made, madePlain] = [await createVolume(demo, { snapshot_id: snap.id }), await createVolume(demo, { snapshot_id: plainSnap.id })];
      expect(made).toMatchObject({ bootable: 'true', snapshot_id: snap.id, volume_image_metadata: { image_name: 'image', kernel_id: 'k' } });
      expect(madePlain).toMatchObject({ bootable: 'false', snapshot_id: plainSnap.id });
      expect(madePlain.volume_image_metadata).toBeUndefined();
      for (const id of [made.id, madePlain.id]) await demo.request('DELETE', V(`/volumes/${id}`));
      for (const id of [made.id, madePlain.id]) await waitFor(demo, 'volumes', id, ['gone']);
      for (const id of [v.id, plain.id]) await demo.request('DELETE', V(`/volumes/${id}?cascade=True`));
    });

    it('refuses unknown actions, several actions at once, and os-reset_status from a non-admin', async () => {
      const v = await createVolume(demo);
      expect((await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-frobnicate': {} })).body)
        .toEqual({ badRequest: { code: 400, message: 'There is no such action: os-frobnicate' } });
      expect((await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-set_bootable': { bootable: true }, 'os-extend': { new_size: 9 } })).body)
        .toEqual({ badRequest: { code: 400, message: 'Malformed request body' } });
      expect((await demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-reset_status': { status: 'error' } })).body)
        .toEqual({ forbidden: { code: 403, message: "Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be performed." } });
      const ok = await admin.request('POST', `/volume/v3/${admin.projectId}/volumes/${v.id}/action`, { 'os-reset_status': { status: 'error' } });
      expect(ok.status).toBe(202);
      expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.status).toBe('error');
    });
  });

  describe('types and zones', () => {
    it('lists one default type and the nova zone', async () => {
      const types = await demo.request('GET', V('/types'));
      expect(types.body.volume_types).toEqual([expect.objectContaining({ name: '__DEFAULT__', is_public: true, extra_specs: {}, 'os-volume-type-access:is_public': true })]);
      const id = types.body.volume_types[0].id;
      expect((await demo.request('GET', V(`/types/${id}`))).body.volume_type.name).toBe('__DEFAULT__');
      expect((await demo.request('GET', V('/types/default'))).body.volume_type.id).toBe(id);
      expect((await demo.request('GET', V('/types/nope'))).body).toEqual({ itemNotFound: { code: 404, message: 'Volume type nope could not be found.' } });
      expect((await demo.request('GET', V('/os-availability-zone'))).body).toEqual({ availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }] });
      const byId = await createVolume(demo, { volume_type: id });
      expect(byId.volume_type).toBe('__DEFAULT__');
    });
  });

  describe('isolation', () => {
    it("hides another project's volumes (404) and lets an admin see all with all_tenants=1", async () => {
      const v = await createVolume(demo, { name: rand('mine') });
      const notFound = { itemNotFound: { code: 404, message: `Volume ${v.id} could not be found.` } };
      expect((await alt.request('GET', V(`/volumes/${v.id}`))).body).toEqual(notFound);
      expect((await alt.request('PUT', V(`/volumes/${v.id}`), { volume: { name: 'x' } })).body).toEqual(notFound);
      expect((await alt.request('DELETE', V(`/volumes/${v.id}`))).body).toEqual(notFound);
      expect((await alt.request('POST', V(`/volumes/${v.id}/action`), { 'os-extend': { new_size: 5 } })).body).toEqual(notFound);
      expect((await alt.request('GET', V(`/volumes/${v.id}/metadata`))).body).toEqual(notFound);
      expect((await alt.request('POST', V('/volumes'), { volume: { source_volid: v.id } })).body).toEqual(notFound);
      expect((await alt.request('POST', V('/snapshots'), { snapshot: { volume_id: v.id } })).body).toEqual(notFound);
      expect((await alt.request('GET', V(`/volumes/detail?all_tenants=1&name=${v.name}`))).body.volumes).toEqual([]);
      // A URL naming another project than the token's is refused (Cinder's "Malformed request url").
      expect((await alt.request('GET', `/volume/v3/${demo.projectId}/volumes`)).status).toBe(400);

      const adminBase = `/volume/v3/${admin.projectId}`;
      expect((await admin.request('GET', `${adminBase}/volumes/detail?name=${v.name}`)).body.volumes).toEqual([]);
      const all = await admin.request('GET', `${adminBase}/volumes/detail?all_tenants=1&name=${v.name}`);
      expect(all.body.volumes).toEqual([expect.objectContaining({ id: v.id, 'os-vol-tenant-attr:tenant_id': demo.projectId })]);
      const byProject = await admin.request('GET', `${adminBase}/volumes/detail?all_tenants=True&project_id=${alt.projectId}&name=${v.name}`);
      expect(byProject.body.volumes).toEqual([]);
      expect((await admin.request('GET', `${adminBase}/volumes/${v.id}`)).status).toBe(200);
    });
  });
});
