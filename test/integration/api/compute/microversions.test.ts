// Request keys, list filters and checks that Nova admits or refuses by microversion
// (docs/microversions.md): each one sent just below its version and at it.
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, mv, randomName, serverAction, waitForImage, waitForServer, waitForServerGone, waitForVolume,
} from '../../../support/compute-helpers';

let h: Harness;
let demo: Session;
let admin: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

const unexpected = (field: string, key: string) => expect.stringMatching(new RegExp(`^Invalid input for field/attribute ${field}\\. Value: .*Additional properties are not allowed \\('${key}' was unexpected\\)$`));

/** POST /servers with `extra` at `version`; a valid request otherwise. */
function create(who: Session, version: string, extra: Record<string, unknown>) {
  return who.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('mv'), imageRef: imageId, flavorRef: '1', networks: 'none', ...extra } }, mv(version));
}

async function createdAndGone(res: { status: number; text: string; body: any }, who: Session = demo) {
  expect(res.status).toBe(202);
  const id = res.body.server.id;
  await waitForServer(who, id, ['ACTIVE', 'ERROR']);
  await who.request('DELETE', `${COMPUTE}/servers/${id}`);
  await waitForServerGone(who, id);
}

describe('POST /servers keys by microversion', () => {
  test.each([
    ['personality', [], '2.57', '2.56'],
    ['trusted_image_certificates', null, '2.62', '2.63'],
    ['hostname', 'my-host', '2.89', '2.90'],
  ])('%s (value %j): refused at %s, admitted at %s', async (key, value, refusedAt, admittedAt) => {
    const refused = await create(demo, refusedAt, { [key]: value });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toEqual(unexpected('server', key));
    await createdAndGone(await create(demo, admittedAt, { [key]: value }));
  });

  test('trusted_image_certificates (2.63): kept from create and rebuild and shown; null unsets them', async () => {
    const s = await bootServer(demo, { imageRef: imageId, trusted_image_certificates: ['cert-a', 'cert-b'] }, mv('2.63'));
    expect(s.trusted_image_certificates).toEqual(['cert-a', 'cert-b']);
    const rebuilt = await serverAction(demo, s.id, { rebuild: { imageRef: imageId, trusted_image_certificates: ['cert-c'] } }, mv('2.63'));
    expect(rebuilt.body.server.trusted_image_certificates).toEqual(['cert-c']);
    await waitForServer(demo, s.id, ['ACTIVE']);
    const reset = await serverAction(demo, s.id, { rebuild: { imageRef: imageId, trusted_image_certificates: null } }, mv('2.63'));
    expect(reset.body.server.trusted_image_certificates).toBeNull();
    await waitForServer(demo, s.id, ['ACTIVE']);
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
    await waitForServerGone(demo, s.id);
  });

  test('trusted_image_certificates (2.63): 1 to 50 distinct ids; none for a server booted from a volume', async () => {
    const empty = await create(demo, '2.63', { trusted_image_certificates: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.badRequest.message).toBe('Invalid input for field/attribute trusted_image_certificates. Value: []. [] is too short');
    const twice = await create(demo, '2.63', { trusted_image_certificates: ['a', 'a'] });
    expect(twice.status).toBe(400);
    expect(twice.body.badRequest.message).toMatch(/has non-unique elements$/);
    const fromVolume = await demo.request('POST', `${COMPUTE}/servers`, { server: {
      name: randomName('mv'), flavorRef: '1', networks: 'none', trusted_image_certificates: ['a'],
      block_device_mapping_v2: [{ boot_index: 0, uuid: imageId, source_type: 'image', destination_type: 'volume', volume_size: 1 }],
    } }, mv('2.63'));
    expect(fromVolume.status).toBe(400);
    expect(fromVolume.body.badRequest.message).toBe('Image certificate validation is not supported when booting from volume');
  });

  test('host and hypervisor_hostname: refused before 2.74; from it an admin\'s, naming the one compute host', async () => {
    const before = await create(admin, '2.73', { host: 'snapstack' });
    expect(before.status).toBe(400);
    expect(before.body.badRequest.message).toEqual(unexpected('server', 'host'));
    const user = await create(demo, '2.74', { host: 'snapstack' });
    expect(user.status).toBe(403);
    expect(user.body.forbidden.message).toBe("Policy doesn't allow compute:servers:create:requested_destination to be performed.");
    const other = await create(admin, '2.74', { hypervisor_hostname: 'elsewhere' });
    expect(other.status).toBe(400);
    expect(other.body.badRequest.message).toBe('Compute host elsewhere could not be found.');
    await createdAndGone(await create(admin, '2.74', { host: 'snapstack', hypervisor_hostname: 'snapstack' }), admin);
  });

  test('a network tag: 2.32 to 2.36 and from 2.42; a block device tag: 2.32 and from 2.42; volume_type from 2.67', async () => {
    const net = (version: string) => create(demo, version, { networks: [{ uuid: '3b9d1b4e-1e1a-4a52-8d8c-1b2f3c4d5e6f', tag: 'eth' }] });
    for (const version of ['2.31', '2.37', '2.41']) {
      const res = await net(version);
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toEqual(unexpected('0', 'tag'));
    }
    const bdm = (version: string, item: Record<string, unknown>) => create(demo, version, {
      block_device_mapping_v2: [{ boot_index: 0, uuid: imageId, source_type: 'image', destination_type: 'local', ...item }],
    });
    for (const version of ['2.31', '2.33', '2.41']) {
      const res = await bdm(version, { tag: 'root' });
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toEqual(unexpected('0', 'tag'));
    }
    const typed = await bdm('2.66', { volume_type: 'x' });
    expect(typed.status).toBe(400);
    expect(typed.body.badRequest.message).toEqual(unexpected('0', 'volume_type'));
    await createdAndGone(await bdm('2.42', { tag: 'root' }));
  });
});

test('hostname (2.90): asked on create, update and rebuild, kept across a rename; refused before 2.90', async () => {
  const s = await bootServer(demo, { imageRef: imageId, name: 'First Name', hostname: 'asked-host' }, mv('2.90'));
  expect(s['OS-EXT-SRV-ATTR:hostname']).toBe('asked-host');
  const put = (version: string, body: Record<string, unknown>) => demo.request('PUT', `${COMPUTE}/servers/${s.id}`, { server: body }, mv(version));
  const host = await put('2.89', { hostname: 'other-host' });
  expect(host.status).toBe(400);
  expect(host.body.badRequest.message).toEqual(unexpected('server', 'hostname'));
  const renamed = await put('2.90', { name: 'Second Name' });
  expect(renamed.body.server['OS-EXT-SRV-ATTR:hostname']).toBe('asked-host');
  const bad = await put('2.90', { hostname: 'no_underscores' });
  expect(bad.status).toBe(400);
  expect(bad.body.badRequest.message).toBe("Invalid input for field/attribute hostname. Value: no_underscores. 'no_underscores' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'");
  expect((await put('2.90', { hostname: 'other-host' })).body.server['OS-EXT-SRV-ATTR:hostname']).toBe('other-host');
  const rebuilt = await serverAction(demo, s.id, { rebuild: { imageRef: imageId, hostname: 'third-host' } }, mv('2.90'));
  expect(rebuilt.status).toBe(202);
  expect(rebuilt.body.server['OS-EXT-SRV-ATTR:hostname']).toBe('third-host');
  await waitForServer(demo, s.id, ['ACTIVE']);
  const desc = await put('2.18', { description: 'd' });
  expect(desc.status).toBe(400);
  expect(desc.body.badRequest.message).toEqual(unexpected('server', 'description'));
  expect((await put('2.19', { description: 'd' })).body.server.description).toBe('d');
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  await waitForServerGone(demo, s.id);
});

test('PUT /flavors/{id} from 2.55 (404 before): an admin sets the description', async () => {
  const id = randomName('fl');
  expect((await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { name: id, id, ram: 64, vcpus: 1, disk: 1 } }, mv('2.55'))).status).toBe(200);
  const put = (who: Session, version: string, body: unknown) => who.request('PUT', `${COMPUTE}/flavors/${id}`, body, mv(version));
  expect((await put(admin, '2.54', { flavor: { description: 'd' } })).status).toBe(404);
  const user = await put(demo, '2.55', { flavor: { description: 'd' } });
  expect(user.status).toBe(403);
  expect(user.body.forbidden.message).toBe("Policy doesn't allow os_compute_api:os-flavor-manage:update to be performed.");
  const missing = await put(admin, '2.55', { flavor: {} });
  expect(missing.status).toBe(400);
  expect(missing.body.badRequest.message).toBe("Invalid input for field/attribute flavor. Value: {}. 'description' is a required property");
  const done = await put(admin, '2.61', { flavor: { description: 'small' } });
  expect(done.status).toBe(200);
  expect(done.body.flavor).toMatchObject({ id, description: 'small', extra_specs: {} });
  expect((await put(admin, '2.55', { flavor: { description: 'x' } }, )).body.flavor).not.toHaveProperty('extra_specs');
  expect((await put(admin, '2.55', { flavor: { description: null } })).body.flavor.description).toBeNull();
  expect((await admin.request('PUT', `${COMPUTE}/flavors/nope`, { flavor: { description: 'd' } }, mv('2.55'))).status).toBe(404);
  await admin.request('DELETE', `${COMPUTE}/flavors/${id}`);
});

test('flavor create takes a numeric id and is_public spelled as text (tempest\'s FlavorsV255/V261 body)', async () => {
  const id = Math.floor(Math.random() * 1e9);
  const res = await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { ram: 512, vcpus: 1, disk: 10, name: randomName('fl'), id, 'os-flavor-access:is_public': 'False' } }, mv('2.61'));
  expect(res.status).toBe(200);
  expect(res.body.flavor).toMatchObject({ id: String(id), 'os-flavor-access:is_public': false, extra_specs: {} });
  expect((await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { ram: 512, vcpus: 1, disk: 10, name: randomName('fl'), 'os-flavor-access:is_public': 'maybe' } })).status).toBe(400);
  await admin.request('DELETE', `${COMPUTE}/flavors/${id}`);
});

describe('GET /servers filters by microversion', () => {
  let locked: any;
  let open: any;
  beforeAll(async () => {
    [locked, open] = await Promise.all([bootServer(demo, { imageRef: imageId }), bootServer(demo, { imageRef: imageId })]);
    expect((await serverAction(demo, locked.id, { lock: null })).status).toBe(202);
  });
  afterAll(async () => {
    await serverAction(demo, locked.id, { unlock: null });
    for (const s of [locked, open]) await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  });
  const ids = async (query: string, version: string) => {
    const res = await demo.request('GET', `${COMPUTE}/servers?${query}`, undefined, mv(version));
    expect(res.status).toBe(200);
    return res.body.servers.map((x: { id: string }) => x.id);
  };

  test('an unknown status: an empty list before 2.38, 400 from it; a status Nova knows and no server has: empty', async () => {
    expect(await ids('status=NOPE', '2.37')).toEqual([]);
    const res = await demo.request('GET', `${COMPUTE}/servers?status=NOPE`, undefined, mv('2.38'));
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe('Invalid status value');
    expect(await ids('status=RESCUE', '2.38')).toEqual([]);
    expect(await ids('status=ACTIVE', '2.38')).toEqual(expect.arrayContaining([locked.id, open.id]));
  });

  test('flavors: an unknown query parameter ignored before 2.75, 400 from it', async () => {
    expect((await demo.request('GET', `${COMPUTE}/flavors?nope=1`, undefined, mv('2.74'))).status).toBe(200);
    const res = await demo.request('GET', `${COMPUTE}/flavors/detail?nope=1&limit=2`, undefined, mv('2.75'));
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe("Additional properties are not allowed ('nope' was unexpected)");
    expect((await demo.request('GET', `${COMPUTE}/flavors?sort_key=name&minRam=0`, undefined, mv('2.75'))).status).toBe(200);
  });

  test('an unknown query parameter: ignored before 2.75, 400 from it; Nova\'s own names still pass', async () => {
    expect(await ids('nope=1', '2.74')).toEqual(expect.arrayContaining([locked.id, open.id]));
    const res = await demo.request('GET', `${COMPUTE}/servers/detail?nope=1`, undefined, mv('2.75'));
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe("Additional properties are not allowed ('nope' was unexpected)");
    expect(await ids('sort_key=display_name&user_id=x&limit=5', '2.75')).toEqual(expect.any(Array));
  });

  test('locked from 2.73 (a strict boolean), ignored before', async () => {
    expect(await ids('locked=true', '2.72')).toEqual(expect.arrayContaining([locked.id, open.id]));
    const onlyLocked = await ids('locked=true', '2.73');
    expect(onlyLocked).toContain(locked.id);
    expect(onlyLocked).not.toContain(open.id);
    const unlocked = await ids('locked=0', '2.73');
    expect(unlocked).toContain(open.id);
    expect(unlocked).not.toContain(locked.id);
    const bad = await demo.request('GET', `${COMPUTE}/servers?locked=maybe`, undefined, mv('2.73'));
    expect(bad.status).toBe(400);
    expect(bad.body.badRequest.message).toMatch(/^Invalid input received: Unrecognized value 'maybe', acceptable values are: /);
  });

  test('Nova\'s other filters: a non-admin\'s from 2.83 (dropped before), an admin\'s at any version', async () => {
    expect(await ids('user_id=someone-else', '2.82')).toEqual(expect.arrayContaining([locked.id, open.id]));
    expect(await ids('user_id=someone-else', '2.83')).toEqual([]);
    expect(await ids(`user_id=${demo.userId}&vm_state=active&availability_zone=^no`, '2.83')).toEqual(expect.arrayContaining([locked.id, open.id]));
    expect(await ids('vm_state=stopped', '2.83')).toEqual([]);
    expect(await ids('key_name=.', '2.83')).toEqual([]);
    const asAdmin = await admin.request('GET', `${COMPUTE}/servers?all_tenants=1&user_id=someone-else`, undefined, mv('2.1'));
    expect(asAdmin.body.servers).toEqual([]);
  });

  test('changes-before from 2.66 (not before changes-since), ignored before; ip6 matches no server', async () => {
    const past = '2000-01-01T00:00:00Z';
    expect(await ids(`changes-before=${past}`, '2.65')).toEqual(expect.arrayContaining([locked.id, open.id]));
    expect(await ids(`changes-before=${past}`, '2.66')).toEqual([]);
    expect(await ids('changes-before=2999-01-01T00:00:00Z', '2.66')).toEqual(expect.arrayContaining([locked.id, open.id]));
    const crossed = await demo.request('GET', `${COMPUTE}/servers?changes-since=2020-01-01T00:00:00Z&changes-before=${past}`, undefined, mv('2.66'));
    expect(crossed.status).toBe(400);
    expect(crossed.body.badRequest.message).toBe('The value of changes-since must be less than or equal to changes-before.');
    expect(await ids('ip6=.*', '2.5')).toEqual([]);
    expect(await ids('ip6=.*', '2.4')).toEqual(expect.arrayContaining([locked.id, open.id]));
  });
});

test('a second createImage while the first is saved is 409 at once (task_state), not queued behind it', async () => {
  const s = await bootServer(demo, { imageRef: imageId });
  const first = await serverAction(demo, s.id, { createImage: { name: randomName('first') } }, mv('2.45'));
  expect(first.status).toBe(202);
  const second = await serverAction(demo, s.id, { createImage: { name: randomName('second') } }, mv('2.45'));
  expect(second.status).toBe(409);
  expect(second.body.conflictingRequest.message).toMatch(new RegExp(`^Cannot 'createImage' instance ${s.id} while it is in task_state image_`));
  // The server keeps the task until the image is active (Nova's image_uploading ends with the upload).
  const image = await waitForImage(demo, first.body.image_id, ['active']);
  expect(image.status).toBe('active');
  await waitForServer(demo, s.id, ['ACTIVE']);
  await demo.request('DELETE', `/image/v2/images/${first.body.image_id}`);
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  await waitForServerGone(demo, s.id);
});

describe('os-volume_attachments by microversion', () => {
  let s: any;
  let volumeId: string;
  const VOL = '/volume/v3/{project_id}';
  const att = () => `${COMPUTE}/servers/${s.id}/os-volume_attachments`;
  beforeAll(async () => {
    s = await bootServer(demo, { imageRef: imageId });
    const vol = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('att') } });
    volumeId = vol.body.volume.id;
    await waitForVolumeStatus(volumeId, 'available');
  });
  afterAll(async () => {
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
    await waitForServerGone(demo, s.id);
    await demo.request('DELETE', `${VOL}/volumes/${volumeId}`);
  });
  const waitForVolumeStatus = (id: string, status: string) => waitForVolume(demo, id, [status]);

  test('tag from 2.49; the attach answer keeps id and has no attachment ids at 2.89 (Nova never changed it)', async () => {
    const early = await demo.request('POST', att(), { volumeAttachment: { volumeId, tag: 'data' } }, mv('2.48'));
    expect(early.status).toBe(400);
    expect(early.body.badRequest.message).toEqual(unexpected('volumeAttachment', 'tag'));
    const res = await demo.request('POST', att(), { volumeAttachment: { volumeId, tag: 'data' } }, mv('2.89'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.volumeAttachment).sort()).toEqual(['delete_on_termination', 'device', 'id', 'serverId', 'tag', 'volumeId']);
    await waitForVolumeStatus(volumeId, 'in-use');
    const shown = (await demo.request('GET', `${att()}/${volumeId}`, undefined, mv('2.89'))).body.volumeAttachment;
    expect(shown).toMatchObject({ tag: 'data', volumeId, attachment_id: expect.any(String), bdm_uuid: expect.any(String) });
    expect(shown).not.toHaveProperty('id');
  });

  test('PUT: delete_on_termination from 2.85; a swap is an admin\'s and ends 409 (no volume migrates)', async () => {
    const put = (who: Session, version: string, body: Record<string, unknown>) => who.request('PUT', `${att()}/${volumeId}`, { volumeAttachment: body }, mv(version));
    const early = await put(demo, '2.84', { volumeId, delete_on_termination: true });
    expect(early.status).toBe(400);
    expect(early.body.badRequest.message).toEqual(unexpected('volumeAttachment', 'delete_on_termination'));
    const swapByUser = await put(demo, '2.84', { volumeId });
    expect(swapByUser.status).toBe(403);
    expect(swapByUser.body.forbidden.message).toBe("Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed.");
    const swapByAdmin = await admin.request('PUT', `${COMPUTE}/servers/${s.id}/os-volume_attachments/${volumeId}`, { volumeAttachment: { volumeId } }, mv('2.84'));
    expect(swapByAdmin.status).toBe(409);
    expect(swapByAdmin.body.conflictingRequest.message).toBe(`volume ${volumeId} is not migrating; this API should only be called by Cinder`);

    expect((await put(demo, '2.85', { volumeId, delete_on_termination: true })).status).toBe(202);
    const shown = (await demo.request('GET', `${att()}/${volumeId}`, undefined, mv('2.85'))).body.volumeAttachment;
    expect(shown.delete_on_termination).toBe(true);
    const immutable = await put(demo, '2.85', { volumeId, tag: 'other' });
    expect(immutable.status).toBe(400);
    expect(immutable.body.badRequest.message).toBe('The tag property is not mutable');
    expect((await put(demo, '2.85', { volumeId, delete_on_termination: 'no' })).status).toBe(202);
    expect((await demo.request('GET', `${att()}/${volumeId}`, undefined, mv('2.85'))).body.volumeAttachment.delete_on_termination).toBe(false);
  });

  test('list: limit and offset; an unknown parameter 400 from 2.75', async () => {
    expect((await demo.request('GET', `${att()}?limit=1&offset=1`, undefined, mv('2.75'))).body.volumeAttachments).toEqual([]);
    expect((await demo.request('GET', `${att()}?limit=1`, undefined, mv('2.75'))).body.volumeAttachments).toHaveLength(1);
    expect((await demo.request('GET', `${att()}?nope=1`, undefined, mv('2.74'))).status).toBe(200);
    const res = await demo.request('GET', `${att()}?nope=1`, undefined, mv('2.75'));
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe("Additional properties are not allowed ('nope' was unexpected)");
  });

  test('attach and detach on a shelved server: 409 before 2.20', async () => {
    const other = await bootServer(demo, { imageRef: imageId });
    expect((await serverAction(demo, other.id, { shelve: null })).status).toBe(202);
    await waitForServer(demo, other.id, ['SHELVED_OFFLOADED']);
    const vol = await demo.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('shelved') } });
    await waitForVolumeStatus(vol.body.volume.id, 'available');
    const early = await demo.request('POST', `${COMPUTE}/servers/${other.id}/os-volume_attachments`, { volumeAttachment: { volumeId: vol.body.volume.id } }, mv('2.19'));
    expect(early.status).toBe(409);
    expect(early.body.conflictingRequest.message).toBe(`Cannot 'attach_volume' instance ${other.id} while it is in vm_state shelved_offloaded`);
    expect((await demo.request('POST', `${COMPUTE}/servers/${other.id}/os-volume_attachments`, { volumeAttachment: { volumeId: vol.body.volume.id } }, mv('2.20'))).status).toBe(200);
    await waitForVolumeStatus(vol.body.volume.id, 'in-use');
    const detach = await demo.request('DELETE', `${COMPUTE}/servers/${other.id}/os-volume_attachments/${vol.body.volume.id}`, undefined, mv('2.19'));
    expect(detach.status).toBe(409);
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${other.id}/os-volume_attachments/${vol.body.volume.id}`, undefined, mv('2.20'))).status).toBe(202);
    await waitForVolumeStatus(vol.body.volume.id, 'available');
    await demo.request('DELETE', `${COMPUTE}/servers/${other.id}`);
    await waitForServerGone(demo, other.id);
    await demo.request('DELETE', `${VOL}/volumes/${vol.body.volume.id}`);
  });
});

test('the image proxy is gone from 2.36, its metadata from 2.39 (404)', async () => {
  expect((await demo.request('GET', `${COMPUTE}/images/${imageId}`, undefined, mv('2.35'))).status).toBe(200);
  expect((await demo.request('GET', `${COMPUTE}/images/${imageId}`, undefined, mv('2.36'))).status).toBe(404);
  expect((await demo.request('GET', `${COMPUTE}/images/${imageId}/metadata`, undefined, mv('2.38'))).status).toBe(200);
  const gone = await demo.request('GET', `${COMPUTE}/images/${imageId}/metadata`, undefined, mv('2.39'));
  expect(gone.status).toBe(404);
  expect(gone.body.itemNotFound.message).toBe('The resource could not be found.');
});

test('the project id after the version is optional (2.18, routed at every version); another project\'s is 400', async () => {
  const listed = await demo.request('GET', `/compute/v2.1/${demo.projectId}/flavors/detail?limit=1`, undefined, mv('2.1'));
  expect(listed.status).toBe(200);
  expect(listed.body.flavors).toHaveLength(1);
  expect((await demo.request('GET', `/compute/v2.1/${demo.projectId}/servers`, undefined, mv('2.93'))).status).toBe(200);
  const other = await demo.request('GET', `/compute/v2.1/${admin.projectId}/servers`, undefined, mv('2.18'));
  expect(other.status).toBe(400);
  expect(other.body.badRequest.message).toBe(`Malformed request URL: URL's project_id '${admin.projectId}' doesn't match Context's project_id '${demo.projectId}'`);
  expect((await demo.request('GET', `/compute/v2.1/${demo.projectId}/nothing-here`)).status).toBe(404);
});

test('GET /servers/{id}/topology from 2.78 (404 before): no NUMA topology, as Nova shows an instance without one', async () => {
  const s = await bootServer(demo, { imageRef: imageId });
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}/topology`, undefined, mv('2.77'))).status).toBe(404);
  const res = await demo.request('GET', `${COMPUTE}/servers/${s.id}/topology`, undefined, mv('2.78'));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ nodes: [], pagesize_kb: null });
  const missing = await demo.request('GET', `${COMPUTE}/servers/00000000-0000-4000-8000-000000000000/topology`, undefined, mv('2.78'));
  expect(missing.status).toBe(404);
  await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  await waitForServerGone(demo, s.id);
});
