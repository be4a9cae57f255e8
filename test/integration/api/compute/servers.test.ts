import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, mv, pollUntil, randomName, waitForServer, waitForServerGone,
} from '../../../support/compute-helpers';

let h: Harness;
let demo: Session;
let alt: Session;
let admin: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

describe('create', () => {
  test('202 with Nova body, Location, adminPass; BUILD then ACTIVE as a labelled, limited container', async () => {
    const name = randomName('web');
    const res = await demo.request('POST', `${COMPUTE}/servers`, { server: { name, imageRef: imageId, flavorRef: '1', networks: 'auto', metadata: { role: 'web' } } }, mv('2.37'));
    expect(res.status).toBe(202);
    const s = res.body.server;
    expect(Object.keys(s).sort()).toEqual(['OS-DCF:diskConfig', 'adminPass', 'id', 'links', 'security_groups']);
    expect(res.headers.get('location')).toBe(`${h.url}/compute/v2.1/servers/${s.id}`);
    expect(res.headers.get('openstack-api-version')).toBe('compute 2.37');
    expect(res.headers.get('x-openstack-nova-api-version')).toBe('2.37');
    const early = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server;
    expect(['BUILD', 'ACTIVE']).toContain(early.status);

    const active = await waitForServer(demo, s.id, ['ACTIVE']);
    expect(active).toMatchObject({
      name, status: 'ACTIVE', tenant_id: demo.projectId, user_id: demo.userId, metadata: { role: 'web' },
      image: { id: imageId }, flavor: { id: '1' }, 'OS-EXT-STS:vm_state': 'active', 'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:power_state': 1, 'os-extended-volumes:volumes_attached': [], accessIPv4: '', config_drive: '',
      'OS-EXT-AZ:availability_zone': 'nova', 'OS-DCF:diskConfig': 'MANUAL', progress: 0,
    });
    expect(active.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(active['OS-SRV-USG:launched_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(active).not.toHaveProperty('OS-EXT-SRV-ATTR:host');
    expect(active.addresses.private[0]).toMatchObject({ version: 4, 'OS-EXT-IPS:type': 'fixed' });
    expect(active.addresses.private[0].addr).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const c = await containerOf(h.app.instanceId, s.id);
    expect(c?.State).toBe('running');
    expect(c?.Labels).toMatchObject({ 'snapstack.managed': 'true', 'snapstack.project': demo.projectId, 'snapstack.server': s.id });
    expect(await dockerExec(c!.Id, 'echo hi')).toBe('hi\n');
    const docker = new (require('dockerode'))({ socketPath: '/var/run/docker.sock' });
    const info = await docker.getContainer(c!.Id).inspect();
    expect(info.HostConfig.Memory).toBe(512 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(1e9);
    // launched_at is when the container was running, not when the launch began.
    expect(Date.parse(`${active['OS-SRV-USG:launched_at']}Z`)).toBeGreaterThanOrEqual(Date.parse(info.State.StartedAt));

    expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
    await waitForServerGone(demo, s.id);
  });

  test('microversion shapes of show: embedded flavor from 2.47, extras by version, admin attributes', async () => {
    const s = await bootServer(demo, { imageRef: imageId });
    expect(s.addresses).toEqual({});
    expect(s).not.toHaveProperty('security_groups');
    const at47 = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.47'))).body.server;
    expect(at47.flavor).toEqual({ vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny', extra_specs: {} });
    const at2_1 = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`)).body.server;
    expect(at2_1.flavor).toEqual({ id: '1', links: [{ rel: 'bookmark', href: `${h.url}/compute/flavors/1` }] });
    expect(at2_1).not.toHaveProperty('locked');
    const at93 = (await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.93'))).body.server;
    expect(at93).toMatchObject({ locked: false, description: null, tags: [], trusted_image_certificates: null, locked_reason: null, server_groups: [] });
    expect(at93['OS-EXT-SRV-ATTR:hostname']).toBeDefined();
    const asAdmin = (await admin.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.3'))).body.server;
    expect(asAdmin).toMatchObject({ 'OS-EXT-SRV-ATTR:host': 'snapstack', 'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda' });
    await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  });

  test("Nova's 400/403 texts", async () => {
    const post = (server: Record<string, unknown>, headers = mv('2.37')) =>
      demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('bad'), flavorRef: '1', networks: 'none', ...server } }, headers);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ imageRef: imageId, flavorRef: '99' }, 400, 'Flavor 99 could not be found.'],
      [{ imageRef: '00000000-0000-0000-0000-000000000000' }, 400, 'Can not find requested image'],
      [{}, 400, 'Missing imageRef attribute'],
      [{ imageRef: imageId, flavorRef: '0' }, 403, 'Only volume-backed servers are allowed for flavors with zero disk.'],
      [{ imageRef: imageId, min_count: 0 }, 400, 'Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1'],
      [{ imageRef: imageId, max_count: '0' }, 400, 'Invalid input for field/attribute max_count. Value: 0. 0 is less than the minimum of 1'],
    ];
    for (const [server, status, message] of cases) {
      const res = await post(server);
      expect(res.status).toBe(status);
      expect(Object.values(res.body)[0]).toEqual({ code: status, message });
    }
    // An empty id (DELETE /servers/, /images/) is 404 in Nova, not 405.
    for (const p of ['servers/', 'images/']) expect((await demo.request('DELETE', `${COMPUTE}/${p}`)).body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    expect((await demo.request('PATCH', `${COMPUTE}/servers`)).status).toBe(405);
    const noNet = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: 'x', imageRef: imageId, flavorRef: '1' } }, mv('2.37'));
    expect(noNet.status).toBe(400);
    expect(noNet.body.badRequest.message).toContain("'networks' is a required property");
    const noneBefore237 = await post({ imageRef: imageId }, mv('2.36'));
    expect(noneBefore237.status).toBe(400);
    const unknownKey = await post({ imageRef: imageId, bogus: 1 });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.badRequest.message).toContain("'bogus' was unexpected");
    const cirros = (await demo.request('GET', '/image/v2/images?name=cirros-0.6.2-x86_64-disk')).body.images[0];
    await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { name: 'tinydisk', id: 'tinydisk', ram: 64, vcpus: 1, disk: 0 } });
    const tooBig = await admin.request('PATCH', `/image/v2/images/${cirros.id}`, [{ op: 'replace', path: '/min_ram', value: 4096 }], { 'Content-Type': 'application/openstack-images-v2.1-json-patch' });
    expect(tooBig.status).toBe(200);
    const ram = await post({ imageRef: cirros.id });
    expect(ram.body.badRequest.message).toBe("Flavor's memory is too small for requested image.");
    await admin.request('PATCH', `/image/v2/images/${cirros.id}`, [{ op: 'replace', path: '/min_ram', value: 0 }, { op: 'replace', path: '/min_disk', value: 2 }], { 'Content-Type': 'application/openstack-images-v2.1-json-patch' });
    const disk = await post({ imageRef: cirros.id });
    expect(disk.body.badRequest.message).toBe(`Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${1024 ** 3} bytes, minimum size is ${2 * 1024 ** 3} bytes.`);
    await admin.request('PATCH', `/image/v2/images/${cirros.id}`, [{ op: 'replace', path: '/min_disk', value: 1 }], { 'Content-Type': 'application/openstack-images-v2.1-json-patch' });
  });
});

test('a server deleted while it builds leaves nothing behind', async () => {
  const vol = await demo.request('POST', '/volume/v3/{project_id}/volumes', { volume: { size: 1, name: randomName('keep') } });
  const res = await demo.request('POST', `${COMPUTE}/servers`, {
    server: {
      name: randomName('gone'), imageRef: '', flavorRef: '1', networks: 'none',
      block_device_mapping_v2: [
        { uuid: imageId, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
      ],
    },
  }, mv('2.37'));
  expect(res.status).toBe(202);
  const id = res.body.server.id;
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${id}`)).status).toBe(204);
  expect((await demo.request('GET', `${COMPUTE}/servers/${id}`)).status).toBe(404);
  await h.app.jobs.idle();
  expect(await containerOf(h.app.instanceId, id)).toBeUndefined();
  const volumes = (await demo.request('GET', '/volume/v3/{project_id}/volumes/detail')).body.volumes;
  expect(volumes.filter((v: any) => v.attachments.some((a: any) => a.server_id === id))).toEqual([]);
  expect(volumes.map((v: any) => v.id)).toEqual([vol.body.volume.id]);
  await demo.request('DELETE', `/volume/v3/{project_id}/volumes/${vol.body.volume.id}`);
});

describe('list, show, update, metadata, isolation', () => {
  test('accessIPv4/accessIPv6: kept from create, update and rebuild; Nova\'s 400 for a malformed address', async () => {
    const s = await bootServer(demo, { imageRef: imageId, accessIPv4: '10.1.2.3' });
    const url = `${COMPUTE}/servers/${s.id}`;
    expect((await demo.request('GET', url)).body.server).toMatchObject({ accessIPv4: '10.1.2.3', accessIPv6: '' });
    const bad = await demo.request('PUT', url, { server: { accessIPv4: '1.2.3' } });
    expect(bad).toMatchObject({ status: 400, body: { badRequest: { code: 400, message: 'Invalid input for field/attribute accessIPv4. "1.2.3" is not a \'ipv4\'' } } });
    const updated = await demo.request('PUT', url, { server: { accessIPv4: '1.1.1.1', accessIPv6: '::babe:202:202' } });
    expect(updated.status).toBe(200);
    expect(updated.body.server).toMatchObject({ accessIPv4: '1.1.1.1', accessIPv6: '::babe:202:202' });
    expect((await demo.request('POST', `${url}/action`, { rebuild: { imageRef: imageId, accessIPv6: 'nope' } })).status).toBe(400);
    const rebuilt = await demo.request('POST', `${url}/action`, { rebuild: { imageRef: imageId, accessIPv4: '192.0.2.7' } });
    expect(rebuilt.status).toBe(202);
    expect(rebuilt.body.server).toMatchObject({ accessIPv4: '192.0.2.7', accessIPv6: '::babe:202:202' });
    expect(rebuilt.body.server).not.toHaveProperty('key_name');
    await waitForServer(demo, s.id, ['ACTIVE']);
    // Shown as Nova's database keeps it: compressed, the IPv4 tail in hex.
    const full = await demo.request('PUT', url, { server: { accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2' } });
    expect(full.body.server.accessIPv6).toBe('::babe:dc0c:1602');
    // Nova's rebuild answer names key_name from 2.54 and user_data from 2.57.
    const v257 = await demo.request('POST', `${url}/action`, { rebuild: { imageRef: imageId } }, mv('2.57'));
    expect(v257.status).toBe(202);
    expect(v257.body.server).toMatchObject({ key_name: null, user_data: null });
    await waitForServer(demo, s.id, ['ACTIVE']);
    expect((await demo.request('DELETE', url)).status).toBe(204);
  });

  test('create refuses metadata keys and network ids Nova refuses; /ips, os-server-password, os-availability-zone', async () => {
    const create = (extra: Record<string, unknown>) => demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('neg'), imageRef: imageId, flavorRef: '1', ...extra } });
    const blank = await create({ metadata: { '': 'data1' } });
    expect(blank.status).toBe(400);
    expect(blank.body.badRequest.message).toMatch(/^Invalid input for field\/attribute metadata\. /);
    expect((await create({ metadata: { ['k'.repeat(256)]: 'v' } })).status).toBe(400);
    expect((await create({ metadata: { 'a/b': 'v' } })).status).toBe(400);
    const net = await create({ networks: [{ fixed_ip: '10.0.1.1', uuid: 'a-b-c-d-e-f-g-h-i-j' }] });
    expect(net).toMatchObject({ status: 400, body: { badRequest: { message: 'Bad networks format: network uuid is not in proper format (a-b-c-d-e-f-g-h-i-j)' } } });
    const meta = await demo.request('GET', `${COMPUTE}/servers?name=neg`);
    expect(meta.body.servers.filter((x: any) => x.name.startsWith('neg'))).toEqual([]);

    const s = await bootServer(demo, { imageRef: imageId, networks: 'auto', metadata: { 'ok key:1.a_b-c': 'v' } });
    const ips = await demo.request('GET', `${COMPUTE}/servers/${s.id}/ips`);
    expect(ips.status).toBe(200);
    expect(ips.body.addresses.private).toEqual([{ addr: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/), version: 4 }]);
    expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}/ips/private`)).body).toEqual({ private: ips.body.addresses.private });
    expect(await demo.request('GET', `${COMPUTE}/servers/${s.id}/ips/public`)).toMatchObject({ status: 404, body: { itemNotFound: { message: 'Instance is not a member of specified network' } } });
    expect((await alt.request('GET', `${COMPUTE}/servers/${s.id}/ips`)).status).toBe(404);
    expect(await demo.request('GET', `${COMPUTE}/servers/${s.id}/os-server-password`)).toMatchObject({ status: 200, body: { password: '' } });
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}/os-server-password`)).status).toBe(204);
    expect((await alt.request('GET', `${COMPUTE}/servers/${s.id}/os-server-password`)).status).toBe(404);
    expect((await demo.request('GET', `${COMPUTE}/os-availability-zone`)).body).toEqual({
      availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }],
    });
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
  });

  test("sort_key/sort_dir as Nova reads them: the order, a marker in it, the schema's 400s, the admin's keys, the ignored ones", async () => {
    const prefix = randomName('srt');
    const ids: Record<string, string> = {};
    for (const n of ['b', 'c', 'a']) {
      const res = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: `${prefix}-${n}`, networks: 'none', flavorRef: '1', imageRef: imageId } }, mv('2.37'));
      expect(res.status).toBe(202);
      ids[n] = res.body.server.id;
    }
    const names = async (query: string, version = '2.90', who = demo) => {
      const res = await who.request('GET', `${COMPUTE}/servers?name=${prefix}&${query}`, undefined, mv(version));
      return res.status === 200 ? res.body.servers.map((x: any) => x.name.slice(prefix.length + 1)).join('') : res;
    };
    expect(await names('')).toBe('acb'); // created_at desc
    expect(await names('sort_key=display_name')).toBe('cba'); // desc when no sort_dir
    expect(await names('sort_key=display_name&sort_dir=asc')).toBe('abc');
    expect(await names(`sort_key=display_name&sort_dir=asc&limit=1&marker=${ids.a}`)).toBe('b');
    expect(await names('sort_key=vm_state&sort_key=display_name&sort_dir=asc&sort_dir=asc')).toMatch(/^[abc]{3}$/);
    // The ignored keys (and their directions) go: created_at and id in the default direction left, asc.
    expect(await names('sort_key=id', '2.1')).toBe('bca');
    expect(await names('sort_key=display_name&sort_key=id&sort_dir=asc&sort_dir=desc', '2.1')).toBe('abc');
    // From 2.75 the ignored keys are not in the schema.
    expect(await names('sort_key=id', '2.75')).toMatchObject({ status: 400, body: { badRequest: { message: expect.stringMatching(/^Invalid input for query parameters sort_key\. Value: id\. 'id' is not one of \['access_ip_v4', /) } } });
    expect(await names('sort_key=locked', '2.72')).toBe('bca');
    expect(await names('sort_key=locked&sort_key=display_name', '2.73')).toBe('cba');
    expect(await names('sort_key=nope', '2.1')).toMatchObject({ status: 400 });
    expect(await names('sort_key=host')).toMatchObject({ status: 403, body: { forbidden: { code: 403, message: 'Only administrators can sort servers by host' } } });
    expect(await names('sort_key=node&sort_key=display_name&sort_dir=asc&all_tenants=1', '2.90', admin)).toBe('abc');
    expect(await names('sort_key=display_name&sort_dir=up')).toMatchObject({ status: 400, body: { badRequest: { message: "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'" } } });
    expect(await names('sort_key=display_name&sort_dir=asc&sort_dir=desc')).toMatchObject({ status: 400, body: { badRequest: { message: 'Invalid input received: Sort direction size exceeds sort key size' } } });
    for (const id of Object.values(ids)) expect((await demo.request('DELETE', `${COMPUTE}/servers/${id}`)).status).toBe(204);
    for (const id of Object.values(ids)) await waitForServerGone(demo, id);
  });

  test("deleted servers: listed with changes-since, an admin's deleted=true and status=DELETED (a non-admin's 403), terminated_at set", async () => {
    const prefix = randomName('del');
    const since = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const live = await bootServer(demo, { imageRef: imageId, name: `${prefix}-live` });
    const gone = await bootServer(demo, { imageRef: imageId, name: `${prefix}-gone` });
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${gone.id}`)).status).toBe(204);
    const list = (who: Session, query: string) => who.request('GET', `${COMPUTE}/servers/detail?name=${prefix}&${query}`, undefined, mv('2.90'));
    const deletedOnes = await pollUntil(() => list(admin, 'all_tenants=1&deleted=true'), (r) => r.body.servers?.[0]?.status === 'DELETED', 60_000, 'server deleted');
    expect(deletedOnes.body.servers.map((x: any) => x.id)).toEqual([gone.id]);
    expect(deletedOnes.body.servers[0]['OS-SRV-USG:terminated_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect((await list(admin, 'all_tenants=1&deleted=false')).body.servers.map((x: any) => x.id)).toEqual([live.id]);
    expect((await list(admin, 'all_tenants=1&status=DELETED')).body.servers.map((x: any) => x.id)).toEqual([gone.id]);
    // Nova lists the deleted ones to changes-since unless `deleted` is given; a non-admin's `deleted` is dropped.
    const changes = await list(demo, `changes-since=${since}`);
    expect(changes.body.servers.map((x: any) => [x.id, x.status])).toEqual([[gone.id, 'DELETED'], [live.id, 'ACTIVE']]);
    expect((await list(demo, '')).body.servers.map((x: any) => x.id)).toEqual([live.id]);
    expect((await list(demo, 'deleted=true')).body.servers.map((x: any) => x.id)).toEqual([live.id]);
    expect(await list(demo, 'status=DELETED')).toMatchObject({ status: 403, body: { forbidden: { code: 403, message: 'Only administrators may list deleted instances' } } });
    expect((await alt.request('GET', `${COMPUTE}/servers?name=${prefix}&changes-since=${since}`)).body.servers).toEqual([]);
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${live.id}`)).status).toBe(204);
    await waitForServerGone(demo, live.id);
  });

  test('summary, detail with filters, pagination with servers_links', async () => {
    const prefix = randomName('lst');
    const a = await bootServer(demo, { imageRef: imageId, name: `${prefix}-a` });
    const b = await bootServer(demo, { imageRef: imageId, name: `${prefix}-b` });
    const summary = await demo.request('GET', `${COMPUTE}/servers?name=${prefix}`);
    expect(summary.status).toBe(200);
    expect(summary.body.servers.map((s: any) => s.name)).toEqual([`${prefix}-b`, `${prefix}-a`]);
    expect(Object.keys(summary.body.servers[0]).sort()).toEqual(['id', 'links', 'name']);
    const regex = await demo.request('GET', `${COMPUTE}/servers/detail?name=${prefix}-[a]$`);
    expect(regex.body.servers.map((s: any) => s.id)).toEqual([a.id]);
    expect(regex.body.servers[0].status).toBe('ACTIVE');
    const page = await demo.request('GET', `${COMPUTE}/servers/detail?name=${prefix}&limit=1`);
    expect(page.body.servers).toHaveLength(1);
    expect(page.body.servers_links[0].rel).toBe('next');
    const next = await demo.request('GET', page.body.servers_links[0].href.replace(h.url, ''));
    expect(next.body.servers.map((s: any) => s.id)).toEqual([a.id]);
    expect((await demo.request('GET', `${COMPUTE}/servers?status=SHUTOFF&name=${prefix}`)).body.servers).toEqual([]);
    expect((await demo.request('GET', `${COMPUTE}/servers?image=${imageId}&flavor=1&name=${prefix}`)).body.servers).toHaveLength(2);
    expect((await demo.request('GET', `${COMPUTE}/servers?changes-since=2999-01-01T00:00:00Z&name=${prefix}`)).body.servers).toEqual([]);
    // Not ISO 8601 (tempest's test_list_servers_by_changes_since_invalid_date): 400, though JavaScript's Date would read it.
    const badDate = await demo.request('GET', `${COMPUTE}/servers?changes-since=2011/01/01`);
    expect(badDate.status).toBe(400);
    expect(badDate.body.badRequest.message).toBe("Invalid input for query parameters changes-since. Value: 2011/01/01. '2011/01/01' is not a 'date-time'");
    expect((await demo.request('GET', `${COMPUTE}/servers?marker=nope`)).status).toBe(400);

    // Isolation: another project sees nothing of them; admins see them with all_tenants.
    const other = await alt.request('GET', `${COMPUTE}/servers/${a.id}`);
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${a.id} could not be found.` } });
    expect((await alt.request('GET', `${COMPUTE}/servers?name=${prefix}`)).body.servers).toEqual([]);
    expect((await alt.request('GET', `${COMPUTE}/servers?name=${prefix}&all_tenants=1`)).body.servers).toEqual([]);
    expect((await alt.request('DELETE', `${COMPUTE}/servers/${a.id}`)).status).toBe(404);
    expect((await alt.request('POST', `${COMPUTE}/servers/${a.id}/action`, { 'os-stop': null })).status).toBe(404);
    expect((await admin.request('GET', `${COMPUTE}/servers?name=${prefix}`)).body.servers).toEqual([]);
    expect((await admin.request('GET', `${COMPUTE}/servers?name=${prefix}&all_tenants=1`)).body.servers).toHaveLength(2);

    const renamed = await demo.request('PUT', `${COMPUTE}/servers/${a.id}`, { server: { name: `${prefix}-renamed` } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.server.name).toBe(`${prefix}-renamed`);
    expect((await demo.request('PUT', `${COMPUTE}/servers/${a.id}`, { server: { description: 'd' } })).status).toBe(400);
    expect((await demo.request('PUT', `${COMPUTE}/servers/${a.id}`, { server: { description: 'd' } }, mv('2.19'))).body.server.description).toBe('d');

    const meta = `${COMPUTE}/servers/${a.id}/metadata`;
    expect((await demo.request('PUT', meta, { metadata: { a: '1', b: '2' } })).body).toEqual({ metadata: { a: '1', b: '2' } });
    expect((await demo.request('POST', meta, { metadata: { c: '3' } })).body).toEqual({ metadata: { a: '1', b: '2', c: '3' } });
    expect((await demo.request('GET', `${meta}/a`)).body).toEqual({ meta: { a: '1' } });
    expect((await demo.request('PUT', `${meta}/d`, { meta: { d: '4' } })).body).toEqual({ meta: { d: '4' } });
    expect((await demo.request('DELETE', `${meta}/a`)).status).toBe(204);
    expect((await demo.request('GET', `${meta}/a`)).status).toBe(404);
    expect((await demo.request('GET', meta)).body).toEqual({ metadata: { b: '2', c: '3', d: '4' } });

    for (const s of [a, b]) expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
    for (const s of [a, b]) await waitForServerGone(demo, s.id);
    // The container goes in the background: the server answers 404 at once.
    await pollUntil(() => containerOf(h.app.instanceId, a.id), (c) => c === undefined, 30_000, 'container removed');
  });
});
