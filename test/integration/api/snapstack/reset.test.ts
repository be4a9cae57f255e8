import Docker from 'dockerode';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { bootServer, busyboxImage, COMPUTE, GLANCE, randomName } from '../../../support/compute-helpers';
import { createSnapshot, createVolume, V } from '../volume/volume-test-helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

async function dockerObjects(instanceId: string): Promise<number> {
  const filters = JSON.stringify({ label: [`snapstack.instance=${instanceId}`] });
  const [c, v, i] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listImages({ filters })]);
  return c.length + (v.Volumes ?? []).length + i.length;
}

describe('POST /snapstack/v1/reset', () => {
  let h: Harness;
  let admin: Session;
  let demo: Session;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.login('admin');
    demo = await h.login('demo');
  });
  afterAll(() => h?.stop());

  it('refuses a non-admin with 403 in Snapstack\'s error shape, and needs a token', async () => {
    const res = await demo.request('POST', '/snapstack/v1/reset');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 403, title: 'Forbidden', message: 'You are not authorized to perform the requested action: snapstack:resetInstance.' } });
    expect((await h.request('POST', '/snapstack/v1/reset')).status).toBe(401);
  });

  it('marks the image seed with its newest image\'s own creation time, so no seeded image is newer than the mark', async () => {
    // A clock reading in milliseconds taken after the inserts was older than images seeded within that millisecond: a reset removed them.
    const { rows } = await h.app.db.raw(`select s.value = (select max(created_at)::text from images where owner is null) as exact,
      (select count(*) from images where owner is null and created_at > s.value::timestamptz)::int as newer
      from settings as s where s.key = 'image.seeded'`);
    expect(rows).toEqual([{ exact: true, newer: 0 }]);
  });

  it('removes every resource and Docker object, keeps the seed with its ids and the seeded users\' tokens', async () => {
    const seededImages = (await admin.request('GET', `${GLANCE}/images`)).body.images.map((i: any) => i.id).sort();
    const seededFlavors = (await admin.request('GET', `${COMPUTE}/flavors`)).body.flavors.map((f: any) => f.id).sort();
    const projects = (await admin.request('GET', '/identity/v3/projects')).body.projects.map((p: any) => p.id).sort();

    // resources of every kind, in two projects
    const vol = await createVolume(demo);
    await createSnapshot(demo, vol.id);
    const server = await bootServer(demo, { imageRef: (await busyboxImage(demo)).id });
    expect((await demo.request('POST', `${COMPUTE}/servers/${server.id}/action`, { createImage: { name: randomName('img') } })).status).toBe(202);
    const adminVol = await createVolume(admin);
    // Cinder's volume types, transfers: an admin's type (shared with demo), the default type changed, a pending transfer.
    const seededTypes = (await admin.request('GET', V('/types?is_public=none'))).body.volume_types;
    const type = await admin.request('POST', V('/types'), { volume_type: { name: randomName('vt'), 'os-volume-type-access:is_public': false } });
    expect(type.status).toBe(200);
    expect((await admin.request('POST', V(`/types/${type.body.volume_type.id}/action`), { addProjectAccess: { project: demo.projectId } })).status).toBe(202);
    expect((await admin.request('PUT', V(`/types/${seededTypes[0].id}`), { volume_type: { description: 'changed' } })).status).toBe(200);
    expect((await admin.request('POST', V('/os-volume-transfer'), { transfer: { volume_id: adminVol.id } })).status).toBe(202);
    const image = await demo.request('POST', `${GLANCE}/images`, { name: randomName('img'), disk_format: 'raw', container_format: 'bare' });
    expect(image.status).toBe(201);
    expect((await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { name: randomName('fl'), ram: 64, vcpus: 1, disk: 1 } })).status).toBe(200);
    await admin.request('DELETE', `${COMPUTE}/flavors/1`); // a seeded flavor deleted comes back
    const project = await admin.request('POST', '/identity/v3/projects', { project: { name: randomName('p'), domain_id: 'default' } });
    expect(project.status).toBe(201);
    expect(await dockerObjects(h.app.instanceId)).toBeGreaterThan(0);
    // Nova's per-user and per-server records: a key pair, a tag, a server group (and the server's actions)
    expect((await demo.request('POST', `${COMPUTE}/os-keypairs`, { keypair: { name: randomName('kp') } })).status).toBe(200);
    expect((await demo.request('PUT', `${COMPUTE}/servers/${server.id}/tags/t`, undefined, { 'OpenStack-API-Version': 'compute 2.26' })).status).toBe(201);
    expect((await demo.request('POST', `${COMPUTE}/os-server-groups`, { server_group: { name: randomName('sg'), policies: ['affinity'] } })).status).toBe(200);

    const res = await admin.request('POST', '/snapstack/v1/reset');
    expect(res.status).toBe(200);
    expect(res.body.reset.docker.containers).toBeGreaterThanOrEqual(1);
    expect(res.body.reset.rows).toMatchObject({
      volumes: 2, servers: 1, projects: 1, keypairs: 1, server_tags: 1, server_groups: 1, instance_actions: 2,
      volume_types: 1, volume_type_projects: 1, volume_transfers: 1,
    });

    expect(await dockerObjects(h.app.instanceId)).toBe(0);
    // the same tokens still work
    expect((await demo.request('GET', V('/volumes'))).body.volumes).toEqual([]);
    expect((await demo.request('GET', V('/snapshots'))).body.snapshots).toEqual([]);
    expect((await demo.request('GET', `${COMPUTE}/servers`)).body.servers).toEqual([]);
    expect((await demo.request('GET', `${COMPUTE}/os-keypairs`)).body.keypairs).toEqual([]);
    expect((await demo.request('GET', `${COMPUTE}/os-server-groups`)).body.server_groups).toEqual([]);
    expect((await admin.request('GET', V('/volumes'))).body.volumes).toEqual([]);
    expect((await admin.request('GET', `${GLANCE}/images`)).body.images.map((i: any) => i.id).sort()).toEqual(seededImages);
    expect((await admin.request('GET', `${COMPUTE}/flavors`)).body.flavors.map((f: any) => f.id).sort()).toEqual(seededFlavors);
    expect((await admin.request('GET', '/identity/v3/projects')).body.projects.map((p: any) => p.id).sort()).toEqual(projects);
    expect((await admin.request('GET', V('/types?is_public=none'))).body.volume_types).toEqual(seededTypes);

    // and the instance works as before
    const again = await createVolume(demo);
    expect(again.status).toBe('available');
  });
});
