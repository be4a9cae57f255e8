import { createHash } from 'crypto';
import Docker from 'dockerode';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { GLANCE, randomName } from '../../../support/compute-helpers';

const PATCH = { 'Content-Type': 'application/openstack-images-v2.1-json-patch' };

let h: Harness;
let demo: Session;
let alt: Session;
let admin: Session;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
});
afterAll(async () => h?.stop());

async function createImage(s: Session, body: Record<string, unknown> = {}) {
  const res = await s.request('POST', `${GLANCE}/images`, { name: randomName('img'), disk_format: 'raw', container_format: 'bare', ...body });
  expect(res.status).toBe(201);
  return res.body;
}

describe('discovery and schemas', () => {
  test('GET / answers 300 with versions and self links under /image', async () => {
    const res = await h.request('GET', '/image/');
    expect(res.status).toBe(300);
    expect(res.body.versions[0]).toMatchObject({ id: 'v2.17', status: 'CURRENT', links: [{ rel: 'self', href: `${h.url}/image/v2/` }] });
  });

  test('schemas clients fetch', async () => {
    for (const name of ['image', 'images', 'member', 'members']) {
      const res = await demo.request('GET', `${GLANCE}/schemas/${name}`);
      expect(res.status).toBe(200);
      expect(res.body.name).toBe(name);
    }
    const image = await demo.request('GET', `${GLANCE}/schemas/image`);
    expect(image.body.additionalProperties).toEqual({ type: 'string' });
  });
});

describe('seeded images', () => {
  test('public, active, mapped to a local Docker image with its real size', async () => {
    const res = await demo.request('GET', `${GLANCE}/images?name=busybox`);
    expect(res.status).toBe(200);
    expect(res.body.images).toHaveLength(1);
    const img = res.body.images[0];
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    const info = await docker.getImage(img.snapstack_docker_image).inspect();
    expect(img).toMatchObject({ status: 'active', visibility: 'public', min_disk: 0, min_ram: 0, size: info.Size, protected: false, os_hidden: false, os_hash_algo: 'sha512' });
    expect(img.checksum).toMatch(/^[0-9a-f]{32}$/);
    const cirros = (await demo.request('GET', `${GLANCE}/images?name=cirros-0.6.2-x86_64-disk`)).body.images[0];
    expect(cirros).toMatchObject({ status: 'active', visibility: 'public', min_disk: 1 });
  });

  test('GET /file of a Docker-mapped image streams `docker save`, matching the checksum', async () => {
    const img = (await demo.request('GET', `${GLANCE}/images?name=busybox`)).body.images[0];
    const res = await fetch(`${h.url}${GLANCE}/images/${img.id}/file`, { headers: { 'X-Auth-Token': demo.token } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('md5').update(bytes).digest('hex')).toBe(img.checksum);
    expect(res.headers.get('content-md5')).toBe(img.checksum);
  });
});

describe('create, show, update, delete', () => {
  test('create answers 201 queued with every core field and extra properties as strings', async () => {
    const img = await createImage(demo, { foo: 'bar', tags: ['a', 'b'], min_disk: 2 });
    for (const k of ['id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'owner', 'size', 'virtual_size', 'min_disk', 'min_ram',
      'disk_format', 'container_format', 'checksum', 'os_hash_algo', 'os_hash_value', 'tags', 'created_at', 'updated_at', 'self', 'file', 'schema']) {
      expect(img).toHaveProperty(k);
    }
    expect(img).toMatchObject({ status: 'queued', visibility: 'shared', owner: demo.projectId, size: null, checksum: null, foo: 'bar', min_disk: 2, schema: '/v2/schemas/image' });
    expect(img.tags.sort()).toEqual(['a', 'b']);
    expect(img.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(img.self).toBe(`/v2/images/${img.id}`);
    const shown = await demo.request('GET', `${GLANCE}/images/${img.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.foo).toBe('bar');
  });

  test('create refuses read-only, reserved, non-string properties and public by a non-admin', async () => {
    const ro = await demo.request('POST', `${GLANCE}/images`, { name: 'x', status: 'active' });
    expect(ro.status).toBe(403);
    expect(ro.body).toEqual({ message: "Attribute 'status' is read-only.", code: '403 Forbidden', title: 'Forbidden' });
    expect((await demo.request('POST', `${GLANCE}/images`, { name: 'x', os_glance_x: 'y' })).status).toBe(403);
    expect((await demo.request('POST', `${GLANCE}/images`, { name: 'x', snapstack_scope: 'workspace' })).status).toBe(403);
    expect((await demo.request('POST', `${GLANCE}/images`, { name: 'x', foo: 1 })).status).toBe(400);
    expect((await demo.request('POST', `${GLANCE}/images`, { name: 'x', visibility: 'public' })).status).toBe(403);
    expect((await admin.request('POST', `${GLANCE}/images`, { name: randomName('pub'), visibility: 'public' })).status).toBe(201);
  });

  test("owner: a project may name itself the owner of what it creates; giving an image away or changing an owner is an admin's", async () => {
    const own = await demo.request('POST', `${GLANCE}/images`, { name: randomName('own'), owner: demo.projectId });
    expect(own).toMatchObject({ status: 201, body: { owner: demo.projectId } });
    expect(await demo.request('POST', `${GLANCE}/images`, { name: 'x', owner: alt.projectId })).toMatchObject({ status: 403, body: { message: `You are not permitted to create images owned by '${alt.projectId}'` } });
    expect(await demo.request('POST', `${GLANCE}/images`, { name: 'x', owner: null })).toMatchObject({ status: 403, body: { message: "You are not permitted to create images owned by 'None'" } });
    const url = `${GLANCE}/images/${own.body.id}`;
    expect(await demo.request('PATCH', url, [{ op: 'replace', path: '/owner', value: alt.projectId }], PATCH)).toMatchObject({ status: 403, body: { message: "Owner can't be updated by non admin." } });
    const given = await admin.request('POST', `${GLANCE}/images`, { name: randomName('given'), owner: alt.projectId });
    expect(given).toMatchObject({ status: 201, body: { owner: alt.projectId } });
    expect((await alt.request('GET', `${GLANCE}/images/${given.body.id}`)).status).toBe(200);
    expect((await admin.request('PATCH', url, [{ op: 'replace', path: '/owner', value: alt.projectId }], PATCH)).body.owner).toBe(alt.projectId);
  });

  test("create and PATCH schema errors print values as jsonschema does under Glance (Python's repr, the schema's enum order)", async () => {
    const created = async (body: Record<string, unknown>) => {
      const res = await demo.request('POST', `${GLANCE}/images`, { name: 'x', ...body });
      expect(res.status).toBe(400);
      return res.body.message.replace("Provided object does not match schema 'image': ", '');
    };
    expect(await created({ disk_format: 'bogus' })).toBe("'bogus' is not one of [None, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']");
    expect(await created({ container_format: 'x' })).toBe("'x' is not one of [None, 'ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']");
    expect(await created({ visibility: 'open' })).toBe("'open' is not one of ['community', 'public', 'private', 'shared']");
    expect(await created({ protected: 'yes' })).toBe("'yes' is not of type 'boolean'");
    expect(await created({ min_ram: null })).toBe("None is not of type 'integer'");
    expect(await created({ foo: true })).toBe("True is not of type 'string'");
    expect(await created({ id: "it's" })).toBe(`"it's" is not a 'uuid'`);
    expect(await created({ tags: ['ok', 5] })).toBe("5 is not of type 'string'");
    expect(await created({ tags: ['t'.repeat(256)] })).toBe(`'${'t'.repeat(256)}' is too long`);
    expect(await created({ ['k'.repeat(256)]: 'v' })).toBe('Custom property should not be greater than 255 characters.');
    const img = await createImage(demo);
    const patched = await demo.request('PATCH', `${GLANCE}/images/${img.id}`, [{ op: 'add', path: '/min_disk', value: '5' }], PATCH);
    expect(patched.body.message).toBe("Provided object does not match schema 'image': '5' is not of type 'integer'");
    expect((await demo.request('GET', `${GLANCE}/schemas/image`)).body.properties.visibility.enum).toEqual(['community', 'public', 'private', 'shared']);
  });

  test('PATCH: add replaces, replace/remove need the property, read-only 403, other content types 415', async () => {
    const img = await createImage(demo, { foo: 'bar' });
    const url = `${GLANCE}/images/${img.id}`;
    const renamed = await demo.request('PATCH', url, [{ op: 'add', path: '/name', value: 'renamed' }, { op: 'add', path: '/min_disk', value: 5 }, { op: 'add', path: '/new', value: 'v' }, { op: 'add', path: '/tags', value: ['t1'] }], PATCH);
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'renamed', min_disk: 5, new: 'v', foo: 'bar', tags: ['t1'] });
    const replaced = await demo.request('PATCH', url, [{ op: 'replace', path: '/foo', value: 'baz' }, { op: 'remove', path: '/new' }], PATCH);
    expect(replaced.body.foo).toBe('baz');
    expect(replaced.body).not.toHaveProperty('new');
    expect((await demo.request('PATCH', url, [{ op: 'replace', path: '/nope', value: 'x' }], PATCH)).status).toBe(409);
    expect((await demo.request('PATCH', url, [{ op: 'remove', path: '/nope' }], PATCH)).status).toBe(409);
    const ro = await demo.request('PATCH', url, [{ op: 'replace', path: '/size', value: 1 }], PATCH);
    expect(ro.status).toBe(403);
    expect(ro.body.message).toBe("Attribute 'size' is read-only.");
    expect((await demo.request('PATCH', url, [{ op: 'add', path: '/os_glance_x', value: 'y' }], PATCH)).status).toBe(403);
    // Snapstack's own bookkeeping is reserved, so an owner cannot relabel a snapshot as workspace.
    const scope = await demo.request('PATCH', url, [{ op: 'add', path: '/snapstack_scope', value: 'workspace' }], PATCH);
    expect(scope.status).toBe(403);
    expect(scope.body.message).toBe("Attribute 'snapstack_scope' is reserved.");
    expect((await demo.request('PATCH', url, [{ op: 'add', path: '/snapstack_archive_id', value: 'x' }], PATCH)).status).toBe(403);
    const wrongType = await demo.request('PATCH', url, [{ op: 'add', path: '/name', value: 'x' }]);
    expect(wrongType.status).toBe(415);
    // The v2.0 media type is Glance's draft-4 dialect: the member named after the operation holds the path.
    const V20 = { 'Content-Type': 'application/openstack-images-v2.0-json-patch' };
    const d4 = await demo.request('PATCH', url, [{ replace: '/name', value: 'v20' }, { add: '/d4', value: 'x' }, { remove: '/d4' }], V20);
    expect(d4.status).toBe(200);
    expect(d4.body.name).toBe('v20');
    expect(d4.body).not.toHaveProperty('d4');
    expect((await demo.request('PATCH', url, [{ op: 'add', path: '/name', value: 'x' }], V20)).body.message).toBe('Operation objects must contain exactly one member named "add", "remove", or "replace".');
    expect((await demo.request('PATCH', url, [{ add: '/a', replace: '/a', value: 'x' }], V20)).body.message).toBe('Operation objects must contain only one member named "add", "remove", or "replace".');
    expect(await demo.request('PATCH', url, [{ add: '/foo', value: 'x' }], V20)).toMatchObject({ status: 409, body: { message: 'Property foo already present.' } });
    expect((await demo.request('PATCH', url, [{ add: '/os_glance_foo', value: 'bar' }], V20)).status).toBe(403);
    expect((await alt.request('PATCH', url, [{ op: 'add', path: '/name', value: 'x' }], PATCH)).status).toBe(404);
    // Glance's checks of a change, in its order and words.
    const bad = async (change: unknown) => (await demo.request('PATCH', url, [change], PATCH)).body;
    expect(await bad({ path: '/name', value: 'x' })).toMatchObject({ code: '400 Bad Request', message: 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.' });
    expect((await bad({ op: 'move', path: '/name' })).message).toBe('Invalid operation: `move`. It must be one of the following: add, remove, replace.');
    expect((await bad({ op: 'add', value: 'x' })).message).toBe("Unable to find 'path' in JSON Schema change");
    expect((await bad({ op: 'add', path: 'name', value: 'x' })).message).toBe('Pointer `name` does not start with "/".');
  });

  test("PATCH: Glance's words for a bad body, a pointer out of its limited form, a core attribute removed, another media type", async () => {
    const img = await createImage(demo, { foo: 'bar' });
    const url = `${GLANCE}/images/${img.id}`;
    const patch = async (body: unknown) => (await demo.request('PATCH', url, body, PATCH)).body.message;
    expect(await patch({ op: 'add', path: '/x', value: 'y' })).toBe('Request body must be a JSON array of operation objects.');
    expect(await patch(['x'])).toBe('Operations must be JSON objects.');
    expect(await patch([['add', '/x']])).toBe('Operations must be JSON objects.');
    const pointer = async (path: string) => patch([{ op: 'add', path, value: 'y' }]);
    expect(await pointer('/a//b')).toBe('Pointer `/a//b` contains adjacent "/".');
    expect(await pointer('/a/ /b')).toBe('Pointer `/a/ /b` contains adjacent "/".');
    expect(await pointer('/a/')).toBe('Pointer `/a/` end with "/".');
    expect(await pointer('/a~2')).toBe('Pointer `/a~2` contains "~" not part of a recognized escape sequence.');
    expect(await pointer('/a~')).toBe('Pointer `/a~` contains "~" not part of a recognized escape sequence.');
    expect(await pointer('/a/b')).toBe("Invalid JSON pointer for this resource: '/a/b'");
    // Tokens are unescaped and stripped: "/ name " is the name, "/a~1b" the property "a/b".
    const ok = await demo.request('PATCH', url, [{ op: 'add', path: '/ name ', value: 'stripped' }, { op: 'add', path: '/a~1b~0', value: 'v' }], PATCH);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'stripped', 'a/b~': 'v' });
    const core = await demo.request('PATCH', url, [{ op: 'remove', path: '/min_disk' }], PATCH);
    expect(core).toMatchObject({ status: 403, body: { message: 'Property min_disk may not be removed.' } });
    const types = 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch';
    const json = await demo.request('PATCH', url, [{ op: 'add', path: '/name', value: 'x' }]);
    expect(json.status).toBe(415);
    expect(json.headers.get('accept-patch')).toBe(types);
    expect(json.body.message).toBe(`Image PATCH expects Content-Type one of: ${types}`);
    expect((await demo.request('GET', url)).body).toMatchObject({ name: 'stripped', min_disk: 0, foo: 'bar' });
  });

  test('concurrent PATCHes of different properties all land (each applies to the image under its row lock)', async () => {
    const img = await createImage(demo);
    const url = `${GLANCE}/images/${img.id}`;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => demo.request('PATCH', url, [{ op: 'add', path: `/p${i}`, value: `v${i}` }], PATCH)));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    const shown = (await demo.request('GET', url)).body;
    for (let i = 0; i < 12; i++) expect(shown[`p${i}`]).toBe(`v${i}`);
    // A PATCH of an image deleted meanwhile is Glance's 404, not a 500.
    expect((await demo.request('DELETE', url)).status).toBe(204);
    expect(await demo.request('PATCH', url, [{ op: 'add', path: '/late', value: 'x' }], PATCH)).toMatchObject({ status: 404 });
  });

  test('tags PUT/DELETE and the tag filter', async () => {
    const img = await createImage(demo);
    const tag = randomName('tag');
    expect((await demo.request('PUT', `${GLANCE}/images/${img.id}/tags/${tag}`)).status).toBe(204);
    const listed = await demo.request('GET', `${GLANCE}/images?tag=${tag}`);
    expect(listed.body.images.map((i: any) => i.id)).toEqual([img.id]);
    expect((await demo.request('DELETE', `${GLANCE}/images/${img.id}/tags/${tag}`)).status).toBe(204);
    expect((await demo.request('DELETE', `${GLANCE}/images/${img.id}/tags/${tag}`)).status).toBe(404);
    expect((await demo.request('GET', `${GLANCE}/images?tag=${tag}`)).body.images).toEqual([]);
  });

  test("tags: Glance's image_tags answers (schema first, then the image, then modify_image, then the tag)", async () => {
    const img = await createImage(demo);
    const long = 'x'.repeat(256);
    const tooLong = { status: 400, body: { message: `Provided object does not match schema 'image': '${long}' is too long` } };
    expect(await demo.request('PUT', `${GLANCE}/images/${img.id}/tags/${long}`)).toMatchObject(tooLong);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await demo.request('PUT', `${GLANCE}/images/${unknown}/tags/${long}`)).toMatchObject(tooLong);
    expect(await demo.request('PUT', `${GLANCE}/images/${unknown}/tags/t`)).toMatchObject({ status: 404, body: { message: `Image ${unknown} not found.` } });
    expect(await alt.request('DELETE', `${GLANCE}/images/${img.id}/tags/t`)).toMatchObject({ status: 404, body: { message: `Image ${img.id} not found.` } });
    const seeded = (await demo.request('GET', `${GLANCE}/images?visibility=public`)).body.images[0].id;
    expect(await demo.request('PUT', `${GLANCE}/images/${seeded}/tags/t`)).toMatchObject({ status: 403, body: { message: `Not allowed to update tags for image ${seeded}.` } });
    expect(await demo.request('DELETE', `${GLANCE}/images/${seeded}/tags/t`)).toMatchObject({ status: 403, body: { message: `Not allowed to delete tags for image ${seeded}.` } });
    expect(await demo.request('DELETE', `${GLANCE}/images/${img.id}/tags/absent`)).toMatchObject({ status: 404, body: { message: 'The resource could not be found.' } });
    expect((await demo.request('GET', `${GLANCE}/images/${seeded}`)).body.tags).toEqual([]);
  });

  test('delete: 204, 403 when protected, 404 after', async () => {
    const img = await createImage(demo, { protected: true });
    const url = `${GLANCE}/images/${img.id}`;
    const refused = await demo.request('DELETE', url);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('403 Forbidden');
    await demo.request('PATCH', url, [{ op: 'replace', path: '/protected', value: false }], PATCH);
    expect((await demo.request('DELETE', url)).status).toBe(204);
    const gone = await demo.request('GET', url);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ message: `No image found with ID ${img.id}`, code: '404 Not Found', title: 'Not Found' });
    // A client that does not ask for JSON (glanceclient, curl: Accept */*) gets the message in an object.
    for (const accept of ['*/*', 'text/html, application/json']) {
      const res = await demo.request('GET', url, undefined, { Accept: accept });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: { message: `No image found with ID ${img.id}`, code: 404, title: 'Not Found' } });
    }
  });

  test("another project's image: Glance's policy words (modify_image, delete_image, upload_image, deactivate), and delete's own 404", async () => {
    const seeded = (await demo.request('GET', `${GLANCE}/images?visibility=public`)).body.images[0].id;
    const url = `${GLANCE}/images/${seeded}`;
    const before = (await demo.request('GET', url)).body;
    const refused = (policy: string) => ({ status: 403, body: { message: `You are not authorized to complete ${policy} action.` } });
    expect(await demo.request('PATCH', url, [{ op: 'add', path: '/x', value: 'y' }], PATCH)).toMatchObject(refused('modify_image'));
    expect(await demo.request('DELETE', url)).toMatchObject(refused('delete_image'));
    expect(await demo.request('PUT', `${url}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' })).toMatchObject(refused('upload_image'));
    expect(await demo.request('POST', `${url}/actions/deactivate`)).toMatchObject(refused('deactivate'));
    expect(await demo.request('POST', `${url}/actions/reactivate`)).toMatchObject(refused('reactivate'));
    const img = await createImage(alt);
    expect(await demo.request('DELETE', `${GLANCE}/images/${img.id}`)).toMatchObject({ status: 404, body: { message: `Failed to find image ${img.id} to delete` } });
    expect((await alt.request('GET', `${GLANCE}/images/${img.id}`)).status).toBe(200);
    expect((await demo.request('GET', url)).body).toEqual(before);
  });

  test('a trailing slash names no resource: GET /v2/images/ is 404, not the list', async () => {
    const res = await demo.request('GET', `${GLANCE}/images/`);
    expect(res).toMatchObject({ status: 404, body: { code: '404 Not Found', title: 'Not Found' } });
    expect((await demo.request('GET', `${GLANCE}/images`)).status).toBe(200);
    expect((await h.request('GET', `${GLANCE}/images/`)).status).toBe(401);
  });
});

describe('data', () => {
  test('upload -> active with size, md5 and sha512; download returns the bytes; queued image answers 204', async () => {
    const img = await createImage(demo);
    const url = `${GLANCE}/images/${img.id}/file`;
    expect((await demo.request('GET', url)).status).toBe(204);
    const data = Buffer.from(`hello ${randomName('data')}\n`.repeat(1000));
    expect(await demo.request('PUT', url, data, { 'Content-Type': 'application/json' })).toMatchObject({ status: 415, body: { message: 'Invalid content type application/json' } });
    // Glance's get_content_type: the media type without its parameters.
    expect(await demo.request('PUT', url, data, { 'Content-Type': 'text/plain; charset=utf-8' })).toMatchObject({ status: 415, body: { message: 'Invalid content type text/plain' } });
    expect((await demo.request('PUT', url, data, { 'Content-Type': 'application/octet-stream' })).status).toBe(204);
    const shown = (await demo.request('GET', `${GLANCE}/images/${img.id}`)).body;
    expect(shown).toMatchObject({
      status: 'active', size: data.length, checksum: createHash('md5').update(data).digest('hex'),
      os_hash_algo: 'sha512', os_hash_value: createHash('sha512').update(data).digest('hex'),
    });
    const res = await fetch(`${h.url}${url}`, { headers: { 'X-Auth-Token': demo.token } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect((await demo.request('PUT', url, data, { 'Content-Type': 'application/octet-stream' })).status).toBe(409);
  });

  test('deactivate/reactivate: the owner toggles active <-> deactivated; no download, boot or volume meanwhile', async () => {
    const queued = await createImage(demo);
    const act = (s: Session, id: string, what: string) => s.request('POST', `${GLANCE}/images/${id}/actions/${what}`);
    expect(await act(demo, queued.id, 'deactivate')).toMatchObject({ status: 403, body: { message: "Not allowed to deactivate image in status 'queued'" } });
    const img = await createImage(demo);
    const data = Buffer.from('deactivate me');
    expect((await demo.request('PUT', `${GLANCE}/images/${img.id}/file`, data, { 'Content-Type': 'application/octet-stream' })).status).toBe(204);
    expect((await act(alt, img.id, 'deactivate')).status).toBe(404);
    expect((await act(demo, img.id, 'deactivate')).status).toBe(204);
    expect((await act(demo, img.id, 'deactivate')).status).toBe(204);
    expect((await demo.request('GET', `${GLANCE}/images/${img.id}`)).body.status).toBe('deactivated');
    const download = await demo.request('GET', `${GLANCE}/images/${img.id}/file`);
    expect(download).toMatchObject({ status: 403, body: { message: 'The requested image has been deactivated. Image data download is forbidden.' } });
    const vol = await demo.request('POST', '/volume/v3/{project_id}/volumes', { volume: { size: 1, imageRef: img.id } });
    expect(vol.status).toBe(400);
    expect(vol.body.badRequest.message).toContain(`Image ${img.id} is not active.`);
    const boot = await demo.request('POST', '/compute/v2.1/servers', { server: { name: randomName('s'), imageRef: img.id, flavorRef: '1' } });
    expect(boot).toMatchObject({ status: 400, body: { badRequest: { message: `Image ${img.id} is not active.` } } });
    expect((await act(demo, img.id, 'reactivate')).status).toBe(204);
    expect((await demo.request('GET', `${GLANCE}/images/${img.id}`)).body.status).toBe('active');
    const res = await fetch(`${h.url}${GLANCE}/images/${img.id}/file`, { headers: { 'X-Auth-Token': demo.token } });
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    // Only the owner (or an admin) acts on an image: another project's public image is 403.
    const seeded = (await demo.request('GET', `${GLANCE}/images?name=busybox`)).body.images[0];
    expect((await act(demo, seeded.id, 'deactivate')).status).toBe(403);
  });
});

describe('listing', () => {
  test('first and schema always; next only when the page is full; marker pages', async () => {
    const prefix = randomName('page');
    for (let i = 0; i < 3; i++) await createImage(demo, { name: `${prefix}-${i}`, tags: [prefix] });
    const all = await demo.request('GET', `${GLANCE}/images?tag=${prefix}`);
    expect(all.body).toMatchObject({ first: `/v2/images?tag=${prefix}`, schema: '/v2/schemas/images' });
    expect(all.body).not.toHaveProperty('next');
    expect(all.body.images.map((i: any) => i.name)).toEqual([`${prefix}-2`, `${prefix}-1`, `${prefix}-0`]);
    const p1 = await demo.request('GET', `${GLANCE}/images?tag=${prefix}&limit=2`);
    expect(p1.body.images).toHaveLength(2);
    expect(p1.body.next).toBe(`/v2/images?tag=${prefix}&limit=2&marker=${p1.body.images[1].id}`);
    const p2 = await demo.request('GET', `/image${p1.body.next}`);
    expect(p2.body.images.map((i: any) => i.name)).toEqual([`${prefix}-0`]);
    expect(p2.body).not.toHaveProperty('next');
    const asc = await demo.request('GET', `${GLANCE}/images?tag=${prefix}&sort_key=name&sort_dir=asc`);
    expect(asc.body.images.map((i: any) => i.name)).toEqual([`${prefix}-0`, `${prefix}-1`, `${prefix}-2`]);
    const sorted = await demo.request('GET', `${GLANCE}/images?tag=${prefix}&sort=name:desc`);
    expect(sorted.body.images[0].name).toBe(`${prefix}-2`);
    expect((await demo.request('GET', `${GLANCE}/images?sort_key=bogus`)).status).toBe(400);
    expect((await demo.request('GET', `${GLANCE}/images?marker=00000000-0000-0000-0000-000000000000`)).status).toBe(400);
  });

  test('visibility: private images of another project are 404 and never listed; filters work', async () => {
    const mine = await createImage(demo, { visibility: 'private' });
    const hidden = await createImage(demo, { os_hidden: true });
    const community = await createImage(alt, { visibility: 'community' });
    const priv = await demo.request('GET', `${GLANCE}/images?visibility=private`);
    expect(priv.body.images.every((i: any) => i.visibility === 'private' && i.owner === demo.projectId)).toBe(true);
    expect(priv.body.images.map((i: any) => i.id)).toContain(mine.id);
    const other = await alt.request('GET', `${GLANCE}/images/${mine.id}`);
    expect(other.status).toBe(404);
    expect((await alt.request('GET', `${GLANCE}/images`)).body.images.map((i: any) => i.id)).not.toContain(mine.id);
    expect((await alt.request('DELETE', `${GLANCE}/images/${mine.id}`)).status).toBe(404);
    const defaults = (await demo.request('GET', `${GLANCE}/images`)).body.images.map((i: any) => i.id);
    expect(defaults).not.toContain(hidden.id);
    expect(defaults).not.toContain(community.id);
    expect((await demo.request('GET', `${GLANCE}/images?os_hidden=true`)).body.images.map((i: any) => i.id)).toContain(hidden.id);
    expect((await demo.request('GET', `${GLANCE}/images?visibility=community`)).body.images.map((i: any) => i.id)).toContain(community.id);
    expect((await demo.request('GET', `${GLANCE}/images/${community.id}`)).status).toBe(200);
    expect((await demo.request('GET', `${GLANCE}/images?visibility=bogus`)).status).toBe(400);
    expect((await demo.request('GET', `${GLANCE}/images?status=queued&owner=${demo.projectId}`)).body.images.every((i: any) => i.status === 'queued')).toBe(true);
    expect((await admin.request('GET', `${GLANCE}/images/${mine.id}`)).status).toBe(200);
  });

  test('other query keys filter as Glance does: core attributes by equality, anything else as an extra property', async () => {
    const tagValue = randomName('prop');
    const a = await createImage(demo, { flavour_of_test: tagValue, min_disk: 3, protected: false });
    const b = await createImage(demo, { flavour_of_test: tagValue, min_disk: 5 });
    const list = async (q: string) => (await demo.request('GET', `${GLANCE}/images?${q}`)).body.images.map((i: any) => i.id).sort();
    expect(await list(`flavour_of_test=${tagValue}`)).toEqual([a.id, b.id].sort());
    expect(await list(`flavour_of_test=${tagValue}&min_disk=3`)).toEqual([a.id]);
    expect(await list(`flavour_of_test=${tagValue}&protected=true`)).toEqual([]);
    expect(await list(`flavour_of_test=nope-${tagValue}`)).toEqual([]);
    expect((await demo.request('GET', `${GLANCE}/images?min_disk=x`)).status).toBe(400);
    for (const img of [a, b]) await demo.request('DELETE', `${GLANCE}/images/${img.id}`);
  });

  test("size_min and size_max: Python's int() of the text, any sign; anything else is Glance's 400", async () => {
    const tag = randomName('size');
    const upload = async (bytes: number) => {
      const img = await createImage(demo, { tags: [tag] });
      expect((await demo.request('PUT', `${GLANCE}/images/${img.id}/file`, Buffer.alloc(bytes, 1), { 'Content-Type': 'application/octet-stream' })).status).toBe(204);
      return img.id as string;
    };
    const small = await upload(3);
    const large = await upload(10);
    const queued = (await createImage(demo, { tags: [tag] })).id; // no size: outside every range, as in SQL
    const list = async (q: string) => {
      const res = await demo.request('GET', `${GLANCE}/images?tag=${tag}&${q}`);
      expect(res.status).toBe(200);
      return res.body.images.map((i: any) => i.id).sort();
    };
    expect(await list('size_min=3&size_max=10')).toEqual([small, large].sort());
    expect(await list('size_min=4')).toEqual([large]);
    expect(await list('size_max=9')).toEqual([small]);
    expect(await list('size_min=11')).toEqual([]);
    // int() takes spaces around, a sign and `_` between digits; a negative bound is a bound.
    expect(await list('size_min=%203%20&size_max=%2B1_0')).toEqual([small, large].sort());
    expect(await list('size_max=-1')).toEqual([]);
    expect(await list('size_min=-1')).toEqual([small, large].sort());
    // Far past any size (and PostgreSQL's bigint): still a bound, never a 500.
    expect(await list('size_max=99999999999999999999999')).toEqual([small, large].sort());
    expect(await list('size_min=-99999999999999999999999')).toEqual([small, large].sort());
    expect(await list('size_min=99999999999999999999999')).toEqual([]);
    for (const q of ['size_min=abc', 'size_max=abc', 'size_min=', 'size_max=1.5', 'size_min=1e3', 'size_max=0x10', 'size_min=1__0']) {
      expect([q, await demo.request('GET', `${GLANCE}/images?${q}`)]).toMatchObject([q, {
        status: 400, body: { message: 'Unable to filter on a range with a non-numeric value.', code: '400 Bad Request', title: 'Bad Request' },
      }]);
    }
    for (const id of [small, large, queued]) expect((await demo.request('DELETE', `${GLANCE}/images/${id}`)).status).toBe(204);
  });

  test('every <column>_min / <column>_max is a range, as in Glance; on any other key the value must still be a whole number', async () => {
    const tag = randomName('range');
    const small = (await createImage(demo, { tags: [tag], min_disk: 1, min_ram: 64 })).id;
    const large = (await createImage(demo, { tags: [tag], min_disk: 20, min_ram: 2048 })).id;
    const list = async (q: string) => {
      const res = await demo.request('GET', `${GLANCE}/images?tag=${tag}&${q}`);
      expect([q, res.status]).toEqual([q, 200]);
      return res.body.images.map((i: any) => i.id).sort();
    };
    expect(await list('min_disk_min=2')).toEqual([large]);
    expect(await list('min_disk_max=%201%20')).toEqual([small]);
    expect(await list('min_ram_min=64&min_ram_max=2048')).toEqual([small, large].sort());
    expect(await list('min_ram_max=63')).toEqual([]);
    // No virtual size yet (nothing uploaded): outside every range, as in SQL.
    expect(await list('virtual_size_min=-1')).toEqual([]);
    // Any other key ending in _min or _max with a whole number: an extra property, as any unknown key.
    expect(await list('flavour_min=2')).toEqual([]);
    for (const q of ['min_disk_min=abc', 'virtual_size_max=1.5', 'flavour_max=x']) {
      expect([q, await demo.request('GET', `${GLANCE}/images?${q}`)]).toMatchObject([q, {
        status: 400, body: { message: 'Unable to filter on a range with a non-numeric value.', code: '400 Bad Request' },
      }]);
    }
    for (const id of [small, large]) expect((await demo.request('DELETE', `${GLANCE}/images/${id}`)).status).toBe(204);
  });

  test('container_format and disk_format filters', async () => {
    const qcow = await createImage(demo, { disk_format: 'qcow2', container_format: 'ovf' });
    const raw = await createImage(demo);
    const ids = async (q: string) => (await demo.request('GET', `${GLANCE}/images?${q}&limit=1000`)).body.images.map((i: any) => i.id);
    expect(await ids('disk_format=qcow2')).toContain(qcow.id);
    expect(await ids('disk_format=qcow2')).not.toContain(raw.id);
    expect(await ids('container_format=bare')).toContain(raw.id);
    expect(await ids('container_format=bare')).not.toContain(qcow.id);
  });

  test("bad list parameters get Glance's deserializer and index words; sort keys and dirs as _get_sorting_params pairs them", async () => {
    const bad = async (q: string) => {
      const res = await demo.request('GET', `${GLANCE}/images?${q}`);
      return [q, res.status, res.body.message];
    };
    const cases: Array<[string, string]> = [
      ['visibility=weird', 'Invalid visibility value: weird'],
      ['member_status=weird', 'Invalid status: weird'],
      ['changes-since=2020-01-01T00:00:00Z', 'The "changes-since" filter is no longer available on v2.'],
      ['sort_dir=up', 'Invalid sort direction: up'],
      ['sort=name:up', 'Invalid sort direction: up'],
      ['sort=name,', 'Invalid sort key: . It should be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at, min_disk, min_ram, owner, visibility, os_hidden, protected, virtual_size.'],
      ['sort=name&sort_key=size', 'Old and new sorting syntax cannot be combined'],
      ['sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc', 'Number of sort dirs does not match the number of sort keys'],
      ['sort_dir=asc&sort_dir=desc', 'Number of sort dirs does not match the number of sort keys'],
      ['os_hidden=yes', "Invalid value 'yes' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
      ['protected=True', "Invalid value 'True' for 'protected' filter. Valid values are 'true' or 'false'."],
      ['marker=nope', 'No image found with ID nope'],
    ];
    for (const [q, message] of cases) expect(await bad(q)).toEqual([q, 400, message]);
    const a = await createImage(demo, { name: randomName('sa'), min_disk: 1 });
    const b = await createImage(demo, { name: randomName('sb'), min_disk: 1 });
    const c = await createImage(demo, { name: randomName('sc'), min_disk: 2 });
    const order = async (q: string) => {
      const res = await demo.request('GET', `${GLANCE}/images?owner=${demo.projectId}&min_disk_min=1&${q}`);
      expect([q, res.status]).toEqual([q, 200]);
      return res.body.images.map((i: any) => i.id).filter((id: string) => [a.id, b.id, c.id].includes(id));
    };
    // One dir for every key; one dir per key; stripped keys and dirs; `sort` with and without a dir.
    expect(await order('sort_key=min_disk&sort_key=name&sort_dir=asc')).toEqual([a.id, b.id, c.id]);
    expect(await order('sort_key=min_disk&sort_key=name&sort_dir=desc&sort_dir=asc')).toEqual([c.id, a.id, b.id]);
    expect(await order('sort_key=%20min_disk%20&sort_dir=%20asc%20&sort_key=name')).toEqual([a.id, b.id, c.id]);
    expect(await order('sort=min_disk:asc,%20name:desc')).toEqual([b.id, a.id, c.id]);
    expect(await order('sort=min_disk,name:asc')).toEqual([c.id, a.id, b.id]);
    expect((await demo.request('GET', `${GLANCE}/images?os_hidden=FALSE&protected=false&visibility=`)).status).toBe(200);
    for (const img of [a, b, c]) expect((await demo.request('DELETE', `${GLANCE}/images/${img.id}`)).status).toBe(204);
  });
});
