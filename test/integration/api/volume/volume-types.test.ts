import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { V, createVolume, fault, rand, waitFor } from './volume-test-helpers';

describe('Cinder volume types, extra specs, type access and retype', () => {
  let h: Harness;
  let demo: Session;
  let alt: Session;
  let admin: Session;

  beforeAll(async () => {
    h = await startHarness({ dockerMode: 'none' });
    [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  });
  afterAll(async () => { await h.stop(); });

  const createType = async (volume_type: Record<string, unknown>) => {
    const res = await admin.request('POST', V('/types'), { volume_type: { name: rand('type'), ...volume_type } });
    if (res.status !== 200) throw new Error(`type create: ${res.status} ${res.text}`);
    return res.body.volume_type;
  };

  it('lets an admin create, show, update and delete a type, with Cinder\'s shapes', async () => {
    const name = rand('gold');
    const created = await admin.request('POST', V('/types'), {
      volume_type: { name, description: 'fast', extra_specs: { vendor_name: 'Open Source', storage_protocol: 'iSCSI' }, 'os-volume-type-access:is_public': true },
    });
    expect(created.status).toBe(200);
    const t = created.body.volume_type;
    expect(t).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), name, description: 'fast', is_public: true,
      extra_specs: { vendor_name: 'Open Source', storage_protocol: 'iSCSI' }, 'os-volume-type-access:is_public': true,
    });
    // Show and list (v3 view): qos_specs_id for an admin; only the user-visible extra specs for others.
    expect((await admin.request('GET', V(`/types/${t.id}`))).body.volume_type).toEqual({ ...t, qos_specs_id: null });
    expect((await demo.request('GET', V(`/types/${t.id}`))).body.volume_type).toEqual({ ...t, extra_specs: {} });
    expect((await demo.request('GET', V('/types'))).body.volume_types.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining([name, '__DEFAULT__']));

    const updated = await admin.request('PUT', V(`/types/${t.id}`), { volume_type: { name: `${name}-2`, description: 'faster', is_public: false } });
    expect(updated.status).toBe(200);
    expect(updated.body.volume_type).toEqual({ id: t.id, name: `${name}-2`, description: 'faster', is_public: false, extra_specs: t.extra_specs });
    expect(fault(await admin.request('PUT', V(`/types/${t.id}`), { volume_type: {} }))).toEqual({
      name: 'badRequest', code: 400, message: 'Specify volume type name, description, is_public or a combination thereof.',
    });

    expect((await admin.request('DELETE', V(`/types/${t.id}`))).status).toBe(202);
    expect(fault(await admin.request('GET', V(`/types/${t.id}`)))).toEqual({ name: 'itemNotFound', code: 404, message: `Volume type ${t.id} could not be found.` });
  });

  it('refuses what Cinder refuses: duplicates, blank names, non-admins, the default type', async () => {
    const t = await createType({});
    expect(fault(await admin.request('POST', V('/types'), { volume_type: { name: t.name } })))
      .toEqual({ name: 'conflictingRequest', code: 409, message: `Volume Type ${t.name} already exists.` });
    expect((await admin.request('POST', V('/types'), { volume_type: { name: '' } })).status).toBe(400);
    expect(fault(await admin.request('POST', V('/types'), { volume_type: { name: '   ' } })).message)
      .toBe("An invalid 'name' value was provided. The 'name' can not be empty.");
    expect(fault(await demo.request('POST', V('/types'), { volume_type: { name: rand('x') } })))
      .toEqual({ name: 'forbidden', code: 403, message: "Policy doesn't allow volume_extension:type_create to be performed." });
    expect((await demo.request('DELETE', V(`/types/${t.id}`))).status).toBe(403);
    const def = (await admin.request('GET', V('/types/default'))).body.volume_type;
    expect(def.name).toBe('__DEFAULT__');
    expect(fault(await admin.request('DELETE', V(`/types/${def.id}`))).message).toBe(`The volume type ${def.id} is a default volume type and cannot be deleted.`);
    expect((await admin.request('DELETE', V('/types/3b2c7a9e-0000-4000-8000-000000000000'))).status).toBe(404);
  });

  it('manages extra specs, and refuses to change them or delete the type while a volume uses it', async () => {
    const t = await createType({ extra_specs: { a: '1' } });
    const specs = (path = '') => V(`/types/${t.id}/extra_specs${path}`);
    expect((await admin.request('POST', specs(), { extra_specs: { b: '2', multiattach: '<is> False' } })).body).toEqual({ extra_specs: { b: '2', multiattach: '<is> False' } });
    expect((await admin.request('GET', specs())).body).toEqual({ extra_specs: { a: '1', b: '2', multiattach: '<is> False' } });
    expect((await demo.request('GET', specs())).body).toEqual({ extra_specs: { multiattach: '<is> False' } });
    expect((await admin.request('PUT', specs('/a'), { a: '3' })).body).toEqual({ a: '3' });
    expect(fault(await admin.request('PUT', specs('/a'), { b: '3' })).message).toBe('Request body and URI mismatch');
    expect((await admin.request('PUT', specs('/a'), { a: '3', b: '4' })).status).toBe(400);
    expect((await admin.request('GET', specs('/a'))).body).toEqual({ a: '3' });
    expect((await admin.request('DELETE', specs('/b'))).status).toBe(202);
    expect(fault(await admin.request('GET', specs('/b')))).toEqual({ name: 'itemNotFound', code: 404, message: `Volume Type ${t.id} has no extra specs with key b.` });
    expect((await admin.request('DELETE', specs('/b'))).status).toBe(404);

    const v = await createVolume(demo, { volume_type: t.name });
    expect(v.volume_type).toBe(t.name);
    expect(fault(await admin.request('POST', specs(), { extra_specs: { c: '1' } }))).toEqual({ name: 'badRequest', code: 400, message: 'Volume Type is currently in use.' });
    expect(fault(await admin.request('DELETE', V(`/types/${t.id}`)))).toEqual({ name: 'badRequest', code: 400, message: 'Target volume type is still in use.' });
    // A rename shows in the volumes of the type.
    await admin.request('PUT', V(`/types/${t.id}`), { volume_type: { name: `${t.name}-new` } });
    expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.volume_type).toBe(`${t.name}-new`);
    await demo.request('DELETE', V(`/volumes/${v.id}`));
    await waitFor(demo, 'volumes', v.id, ['gone']);
    expect((await admin.request('DELETE', V(`/types/${t.id}`))).status).toBe(202);
  });

  it('hides a private type from projects without access; type access adds, lists and removes them', async () => {
    const t = await createType({ 'os-volume-type-access:is_public': false });
    expect(t.is_public).toBe(false);
    expect(fault(await demo.request('POST', V('/volumes'), { volume: { size: 1, volume_type: t.id } })))
      .toEqual({ name: 'itemNotFound', code: 404, message: `Volume type ${t.id} could not be found.` });
    expect(fault(await demo.request('POST', V('/volumes'), { volume: { size: 1, volume_type: t.name } })))
      .toEqual({ name: 'itemNotFound', code: 404, message: `Volume type with name ${t.name} could not be found.` });
    expect((await demo.request('GET', V(`/types/${t.id}`))).status).toBe(404);
    // An admin's list: public types by default, private with is_public=false, all with none.
    const names = async (q: string) => (await admin.request('GET', V(`/types${q}`))).body.volume_types.map((x: { name: string }) => x.name);
    expect(await names('')).not.toContain(t.name);
    expect(await names('?is_public=false')).toContain(t.name);
    expect(await names('?is_public=none')).toEqual(expect.arrayContaining([t.name, '__DEFAULT__']));
    expect(fault(await admin.request('GET', V('/types?is_public=maybe'))).message).toBe('Invalid is_public filter [maybe]');

    const action = (body: unknown) => admin.request('POST', V(`/types/${t.id}/action`), body);
    expect((await action({ addProjectAccess: { project: demo.projectId } })).status).toBe(202);
    expect(fault(await action({ addProjectAccess: { project: demo.projectId } })))
      .toEqual({ name: 'conflictingRequest', code: 409, message: `Volume type access for ${t.id} / ${demo.projectId} combination already exists.` });
    expect((await action({ addProjectAccess: { project: alt.projectId } })).status).toBe(202);
    const access = await admin.request('GET', V(`/types/${t.id}/os-volume-type-access`));
    expect(access.body.volume_type_access).toEqual(expect.arrayContaining([
      { volume_type_id: t.id, project_id: demo.projectId }, { volume_type_id: t.id, project_id: alt.projectId },
    ]));
    expect((await demo.request('GET', V('/types'))).body.volume_types.map((x: { id: string }) => x.id)).toContain(t.id);
    const v = await createVolume(demo, { volume_type: t.id });
    expect(v.volume_type).toBe(t.name);

    expect((await action({ removeProjectAccess: { project: alt.projectId } })).status).toBe(202);
    expect(fault(await action({ removeProjectAccess: { project: alt.projectId } })))
      .toEqual({ name: 'itemNotFound', code: 404, message: `Volume type access not found for ${t.id} / ${alt.projectId} combination.` });
    expect((await alt.request('GET', V(`/types/${t.id}`))).status).toBe(404);
    expect(fault(await action({ colour: {} })).message).toBe('There is no such action: colour');
    const publicType = await createType({});
    expect(fault(await admin.request('GET', V(`/types/${publicType.id}/os-volume-type-access`))).message).toBe('Access list not available for public volume types.');
    await demo.request('DELETE', V(`/volumes/${v.id}`));
  });

  it('retypes a volume by name or id (one backend: at once), with Cinder\'s refusals', async () => {
    const [a, b] = [await createType({}), await createType({})];
    const v = await createVolume(demo, { volume_type: a.name });
    const retype = (body: unknown) => demo.request('POST', V(`/volumes/${v.id}/action`), { 'os-retype': body });
    expect((await retype({ new_type: b.id, migration_policy: 'never' })).status).toBe(202);
    expect((await waitFor(demo, 'volumes', v.id, ['available'])).volume_type).toBe(b.name);
    expect(fault(await retype({ new_type: b.name }))).toEqual({
      name: 'badRequest', code: 400,
      message: 'Invalid volume: Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, '
        + 'requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.',
    });
    expect(fault(await retype({ new_type: 'no-such-type' }))).toEqual({ name: 'itemNotFound', code: 404, message: 'Volume type with name no-such-type could not be found.' });
    expect((await retype({ new_type: a.name, migration_policy: 'sometimes' })).status).toBe(400);
    expect((await retype({})).status).toBe(400);
    expect((await retype({ new_type: a.name })).status).toBe(202);
    expect((await demo.request('GET', V(`/volumes/${v.id}`))).body.volume.volume_type).toBe(a.name);
    await demo.request('DELETE', V(`/volumes/${v.id}`));
  });
});
