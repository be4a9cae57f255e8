/**
 * The size rules at server create (src/compute/boot-disk-rules.ts) in both settings of
 * SNAPSTACK_MIN_DISK_RULE, against a volume-backed instance-snapshot image shaped as Nova makes
 * them (contract 3.3: size 0, bdm_v2, a 1 GiB root snapshot, min_disk 20 from the flavor at boot);
 * and GET /flavors?minDisk=N, which tells a client the flavors big enough for an image.
 */
import { loadConfig } from '../../../../src/config';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { COMPUTE, GLANCE, mv, pollUntil, randomName, waitForServer, waitForServerGone, waitForSnapshot, waitForVolume } from '../../../support/compute-helpers';

const GiB = 1024 ** 3;
const VOL = '/volume/v3/{project_id}';
const FLAVORS = { lowRam: 'md-lowram', disk1: 'md-disk1', disk20: 'md-disk20', zero: 'md-zero' };
const flavorDiskTooSmall = (flavorGiB: number, minGiB: number) =>
  `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${flavorGiB * GiB} bytes, minimum size is ${minGiB * GiB} bytes.`;
const volumeTooSmall = (volumeGiB: number, minGiB: number) =>
  `Volume is smaller than the minimum size specified in image metadata. Volume size is ${volumeGiB * GiB} bytes, minimum size is ${minGiB * GiB} bytes.`;

interface Cloud {
  h: Harness;
  demo: Session;
  /** min_disk 20, min_ram 1024, root snapshot of 1 GiB recorded with volume_size 1 */
  image: string;
  rootSnapshot: string;
}

/** A Cinder snapshot of a 1 GiB volume and a Glance image mapping it as root, as Nova's createImage leaves them. */
async function snapshotImage(s: Session, minDisk: number, minRam: number): Promise<{ image: string; rootSnapshot: string }> {
  const vol = await s.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: randomName('src') } });
  await waitForVolume(s, vol.body.volume.id, ['available']);
  const snap = await s.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: vol.body.volume.id, name: randomName('root') } });
  await waitForSnapshot(s, snap.body.snapshot.id, ['available']);
  const mapping = [{
    source_type: 'snapshot', destination_type: 'volume', snapshot_id: snap.body.snapshot.id, boot_index: 0, device_name: '/dev/vda',
    delete_on_termination: true, volume_size: 1, disk_bus: 'virtio', device_type: 'disk', guest_format: null, image_id: null, volume_id: null,
    no_device: null, tag: null, volume_type: null, encrypted: null, encryption_secret_uuid: null, encryption_format: null, encryption_options: null,
  }];
  const img = await s.request('POST', `${GLANCE}/images`, {
    name: randomName('vbsnap'), disk_format: 'raw', container_format: 'bare', min_disk: minDisk, min_ram: minRam,
    block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True', root_device_name: '/dev/vda', snapstack_docker_image: 'snapstack/busybox:latest',
  });
  await s.request('PUT', `${GLANCE}/images/${img.body.id}/file`, Buffer.alloc(0), { 'Content-Type': 'application/octet-stream' });
  return { image: img.body.id, rootSnapshot: snap.body.snapshot.id };
}

async function startCloud(minDiskRule: 'flavor' | 'nova'): Promise<Cloud> {
  const h = await startHarness({ minDiskRule, volumeQuotas: { ...loadConfig({}).volumeQuotas, volumes: -1, snapshots: -1 } });
  const [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
  for (const [id, ram, disk] of [[FLAVORS.lowRam, 512, 40], [FLAVORS.disk1, 2048, 1], [FLAVORS.disk20, 2048, 20], [FLAVORS.zero, 2048, 0]] as const) {
    const res = await admin.request('POST', `${COMPUTE}/flavors`, { flavor: { id, name: id, ram, disk, vcpus: 1 } });
    expect(res.status).toBe(200);
  }
  return { h, demo, ...(await snapshotImage(demo, 20, 1024)) };
}

async function stopCloud(c: Cloud | undefined): Promise<void> {
  if (!c) return;
  await c.h.stop();
}

function create(c: Cloud, flavorRef: string, extra: Record<string, unknown> = {}) {
  return c.demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('md'), imageRef: c.image, flavorRef, networks: 'none', ...extra } }, mv('2.37'));
}

/** The request's own root: the image's snapshot at /dev/vda, with a chosen size. */
const rootOf = (c: Cloud, size: number) => ({
  block_device_mapping_v2: [{ uuid: c.rootSnapshot, boot_index: 0, source_type: 'snapshot', destination_type: 'volume', device_name: '/dev/vda', volume_size: size, delete_on_termination: true }],
});

async function expectRefused(c: Cloud, flavorRef: string, message: string, extra: Record<string, unknown> = {}) {
  const res = await create(c, flavorRef, extra);
  expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { badRequest: { code: 400, message } } });
}

/** Accepted: it builds to ACTIVE; the root volume has the expected size; then it goes. */
async function expectBoots(c: Cloud, flavorRef: string, rootSize: number, extra: Record<string, unknown> = {}) {
  const res = await create(c, flavorRef, extra);
  expect(res.status).toBe(202);
  const s = await waitForServer(c.demo, res.body.server.id, ['ACTIVE', 'ERROR']);
  expect(s.status).toBe('ACTIVE');
  const [root] = s['os-extended-volumes:volumes_attached'];
  expect((await c.demo.request('GET', `${VOL}/volumes/${root.id}`)).body.volume).toMatchObject({ size: rootSize, snapshot_id: c.rootSnapshot });
  await c.demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
  await waitForServerGone(c.demo, s.id);
}

describe("minDiskRule 'flavor' (default)", () => {
  let c: Cloud;
  beforeAll(async () => { c = await startCloud('flavor'); });
  afterAll(() => stopCloud(c));

  test('min_ram first, for every boot', async () => {
    await expectRefused(c, FLAVORS.lowRam, "Flavor's memory is too small for requested image.");
  });

  test("flavor disk vs min_disk, in bytes, even though the root is a volume", async () => {
    await expectRefused(c, FLAVORS.disk1, flavorDiskTooSmall(1, 20));
    // A bigger root volume does not help: the flavor is what is checked.
    await expectRefused(c, FLAVORS.disk1, flavorDiskTooSmall(1, 20), rootOf(c, 20));
    // Big enough: the 1 GiB root snapshot boots with its recorded size.
    await expectBoots(c, FLAVORS.disk20, 1);
  });

  test("zero-disk flavor: Nova's rule for volume-backed boots (the root volume is checked)", async () => {
    await expectRefused(c, FLAVORS.zero, volumeTooSmall(1, 20));
    await expectBoots(c, FLAVORS.zero, 20, rootOf(c, 20));
  });

  test('image-backed boots: the same rules in both settings (flavor disk, zero-disk 403)', async () => {
    const img = await c.demo.request('POST', `${GLANCE}/images`, { name: randomName('plain'), disk_format: 'raw', container_format: 'bare', min_disk: 2, snapstack_docker_image: 'snapstack/busybox:latest' });
    await c.demo.request('PUT', `${GLANCE}/images/${img.body.id}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' });
    const plain = { ...c, image: img.body.id };
    await expectRefused(plain, FLAVORS.disk1, flavorDiskTooSmall(1, 2));
    const zero = await create(plain, FLAVORS.zero);
    expect(zero.status).toBe(403);
    expect(zero.body).toEqual({ forbidden: { code: 403, message: 'Only volume-backed servers are allowed for flavors with zero disk.' } });
  });

  test('GET /flavors?minDisk=N marks the flavors too small for an image: listed exactly when accepted', async () => {
    const image = (await c.demo.request('GET', `${GLANCE}/images/${c.image}`)).body;
    const fits = await c.demo.request('GET', `${COMPUTE}/flavors?minDisk=${image.min_disk}`);
    const detail = await c.demo.request('GET', `${COMPUTE}/flavors/detail?minDisk=${image.min_disk}`);
    expect(fits.body.flavors.map((f: any) => f.id)).toEqual(detail.body.flavors.map((f: any) => f.id));
    expect(detail.body.flavors.every((f: any) => f.disk >= 20)).toBe(true);
    const all = (await c.demo.request('GET', `${COMPUTE}/flavors/detail`)).body.flavors;
    const listed = new Set(fits.body.flavors.map((f: any) => f.id));
    expect([...listed].sort()).toEqual(all.filter((f: any) => f.disk >= 20).map((f: any) => f.id).sort());
    expect(listed.has(FLAVORS.disk1)).toBe(false);
    expect(listed.has(FLAVORS.zero)).toBe(false);
    // Accepted exactly when listed (RAM aside): one create per flavor, nothing built is kept.
    const lowRam = { ...c, ...(await snapshotImage(c.demo, 20, 0)) };
    const accepted: string[] = [];
    for (const f of all) {
      const res = await create(lowRam, f.id);
      expect([202, 400]).toContain(res.status);
      if (res.status === 202) {
        accepted.push(f.id);
        await c.demo.request('DELETE', `${COMPUTE}/servers/${res.body.server.id}`);
      }
    }
    expect(accepted.sort()).toEqual([...listed].sort());
    await pollUntil(() => c.demo.request('GET', `${COMPUTE}/servers`), (r) => r.body.servers.length === 0, 60_000, 'servers gone');
  });
});

describe("minDiskRule 'nova': real Nova's rule for volume-backed boots", () => {
  let c: Cloud;
  beforeAll(async () => { c = await startCloud('nova'); });
  afterAll(() => stopCloud(c));

  test('min_ram still applies', async () => {
    await expectRefused(c, FLAVORS.lowRam, "Flavor's memory is too small for requested image.");
  });

  test('the flavor disk is ignored; the root volume_size is checked against min_disk', async () => {
    // The recorded root (1 GiB) is smaller than min_disk (20, from the source flavor): refused
    // whatever the flavor, as real Nova does.
    await expectRefused(c, FLAVORS.disk20, volumeTooSmall(1, 20));
    await expectRefused(c, FLAVORS.disk1, volumeTooSmall(1, 20));
    await expectRefused(c, FLAVORS.zero, volumeTooSmall(1, 20));
    // A root of 20 GiB from the request (same device) fits, on any flavor disk.
    await expectBoots(c, FLAVORS.disk1, 20, rootOf(c, 20));
    await expectBoots(c, FLAVORS.zero, 20, rootOf(c, 20));
  });

  test('image-backed boots keep the flavor rule', async () => {
    const img = await c.demo.request('POST', `${GLANCE}/images`, { name: randomName('plain'), disk_format: 'raw', container_format: 'bare', min_disk: 2 });
    await c.demo.request('PUT', `${GLANCE}/images/${img.body.id}/file`, Buffer.from('x'), { 'Content-Type': 'application/octet-stream' });
    await expectRefused({ ...c, image: img.body.id }, FLAVORS.disk1, flavorDiskTooSmall(1, 2));
  });
});
