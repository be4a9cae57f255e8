/**
 * Launch from an instance snapshot (issue 5), end to end on real Docker: a server with a boot
 * volume and two data volumes is snapshotted (createImage); servers booted from the image read
 * exactly the data of that instant at the same mount paths, on new volumes sharing the
 * snapshots' layers. Refusals and half-way failures leave nothing behind and never touch the
 * snapshots; later deletions of the source never change the new servers' data.
 */
import fs from 'fs';
import { loadConfig } from '../../../src/config';
import { startHarness, Harness, Session } from '../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, dockerExec, GLANCE, mv, pollUntil, randomName, waitForServer, waitForServerGone,
} from '../../support/compute-helpers';
import {
  fingerprint, leftovers, lowerDirsOf, mountsOf, snapshotLayerPaths, snapshotServer, sourceServer, VOL,
} from '../../support/launch-helpers';

jest.setTimeout(240_000);

const GiB = 1024 ** 3;
const MOUNTS = ['/mnt/vda', '/mnt/vdb', '/mnt/vdc'];
let h: Harness;
let demo: Session;
let admin: Session;
let source: any;
let image: any;
let mapping: any[];
let atSnapshot: Record<string, string>;
let booted: any;
let bootedPrint: Record<string, string>;

const post = (server: Record<string, unknown>) =>
  demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('launch'), networks: 'none', ...server } }, mv('2.37'));
const snapOf = (device: string) => mapping.find((m) => m.device_name === device).snapshot_id as string;

beforeAll(async () => {
  const quotas = { ...loadConfig({}).volumeQuotas, volumes: -1, snapshots: -1, gigabytes: -1 };
  h = await startHarness({ volumeQuotas: quotas });
  [demo, admin] = await Promise.all([h.login('demo'), h.login('admin')]);
  const busybox = await busyboxImage(demo);
  // m1.small (disk 20) on a 1 GiB root: the snapshot's min_disk is 20, from the flavor.
  source = await sourceServer(demo, { imageId: busybox.id, flavorRef: '2', networks: 'auto', dataSizes: [1, 2], deleteOnTermination: [false, true, false] });
  const c = await mountsOf(h, source.id);
  await dockerExec(c.id, [
    'mkdir -p /mnt/vda/etc /mnt/vdb/db/x && echo root-v1 > /mnt/vda/etc/app.conf && head -c 1048576 /dev/urandom > /mnt/vda/blob',
    'for i in 1 2 3 4 5; do head -c 4096 /dev/urandom > /mnt/vdb/db/x/$i; done && echo gone-later > /mnt/vdb/gone.txt',
    'head -c 3145728 /dev/urandom > /mnt/vdc/big.bin',
  ].join(' && '));
  atSnapshot = await fingerprint(c.id, MOUNTS);
  image = await snapshotServer(demo, source.id);
  mapping = JSON.parse(image.block_device_mapping);
  // Changed after the snapshot: none of it may show in servers booted from it.
  await dockerExec(c.id, 'echo root-v2 > /mnt/vda/etc/app.conf; rm /mnt/vdb/gone.txt; echo new > /mnt/vdb/new.txt; head -c 1000 /dev/urandom >> /mnt/vdc/big.bin');
});
afterAll(async () => {
  await h?.stop();
});

test('the snapshot image: size 0, min_disk from the flavor, three snapshot mappings', () => {
  expect(image).toMatchObject({ size: 0, min_disk: 20, bdm_v2: 'True', root_device_name: '/dev/vda', snapstack_docker_image: 'snapstack/busybox:latest' });
  expect(mapping.map((m) => [m.device_name, m.boot_index, m.volume_size, m.delete_on_termination])).toEqual([
    ['/dev/vda', 0, 1, false], ['/dev/vdb', null, 1, true], ['/dev/vdc', null, 2, false],
  ]);
});

test("a too-small flavor is refused with Nova's error; nothing is made, no snapshot touched", async () => {
  const before = await leftovers(h, admin);
  const res = await post({ imageRef: image.id, flavorRef: '1' });
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ badRequest: {
    code: 400,
    message: `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${GiB} bytes, minimum size is ${20 * GiB} bytes.`,
  } });
  await h.app.jobs.idle();
  expect(await leftovers(h, admin)).toEqual(before);
  // What a client shows as "too small": the flavors GET /flavors?minDisk leaves out.
  const fits = (await demo.request('GET', `${COMPUTE}/flavors?minDisk=${image.min_disk}`)).body.flavors.map((f: any) => f.name);
  expect(fits).toEqual(['m1.small', 'm1.medium', 'm1.large', 'm1.xlarge']);
});

test('a big enough flavor: new volumes from every snapshot, same devices and mounts, exactly the snapshot-time data', async () => {
  booted = await bootServer(demo, { imageRef: image.id, flavorRef: '2', networks: 'auto' }, mv('2.37'));
  expect(booted.image).toMatchObject({ id: image.id });
  // Networking does not carry over.
  const addr = (s: any) => s.addresses.private[0].addr;
  expect(addr(booted)).toBeTruthy();
  expect(addr(booted)).not.toBe(addr(source));

  const attached = (await demo.request('GET', `${COMPUTE}/servers/${booted.id}`, undefined, mv('2.3'))).body.server['os-extended-volumes:volumes_attached'];
  const sourceVolumes = source['os-extended-volumes:volumes_attached'].map((v: any) => v.id);
  expect(attached).toHaveLength(3);
  for (const a of attached) expect(sourceVolumes).not.toContain(a.id);
  const volumes = await Promise.all(attached.map(async (a: any) => ({ ...(await demo.request('GET', `${VOL}/volumes/${a.id}`)).body.volume, dot: a.delete_on_termination })));
  const byDevice = (d: string) => volumes.find((v) => v.attachments[0]?.device === d);
  for (const [device, size, dot] of [['/dev/vda', 1, false], ['/dev/vdb', 1, true], ['/dev/vdc', 2, false]] as const) {
    const v = byDevice(device);
    expect(v).toMatchObject({ status: 'in-use', size, name: '', description: '', snapshot_id: snapOf(device), dot });
    expect(v.attachments[0].server_id).toBe(booted.id);
  }
  expect(byDevice('/dev/vda').bootable).toBe('true');

  const c = await mountsOf(h, booted.id);
  expect(c.image).toBe('snapstack/busybox:latest');
  expect(c.mounts.map((m) => m.target)).toEqual(MOUNTS);
  bootedPrint = await fingerprint(c.id, MOUNTS);
  expect(bootedPrint).toEqual(atSnapshot);
  // Each new Docker volume is a fresh upper over the snapshot's own layers: nothing was copied.
  for (const m of c.mounts) {
    expect(await lowerDirsOf(m.volume)).toEqual(snapshotLayerPaths(h, snapOf(`/dev/${m.target.split('/').pop()}`)));
  }
});

describe('a failure half-way: ERROR with a fault, everything made for it removed, the snapshots untouched', () => {
  async function bootFails(body: Record<string, unknown>, fault: RegExp) {
    const before = await leftovers(h, admin);
    const res = await post(body);
    expect(res.status).toBe(202);
    const s = await waitForServer(demo, res.body.server.id, ['ERROR', 'ACTIVE']);
    expect(s.status).toBe('ERROR');
    expect(s.fault).toMatchObject({ code: 500, message: expect.stringMatching(fault) });
    expect(s['os-extended-volumes:volumes_attached']).toEqual([]);
    await h.app.jobs.idle();
    const after = await leftovers(h, admin);
    // The ERROR server itself stays (as in Nova) until deleted; nothing else does.
    expect({ ...after, servers: null, serverRows: null, blockDeviceRows: null }).toEqual({ ...before, servers: null, serverRows: null, blockDeviceRows: null });
    expect(after.servers).toEqual([...before.servers, s.id].sort());
    expect((await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`)).status).toBe(204);
    await waitForServerGone(demo, s.id);
  }

  test('a volume that cannot be made (a snapshot layer missing on disk)', async () => {
    const top = snapshotLayerPaths(h, snapOf('/dev/vdc'))[0];
    fs.renameSync(top, `${top}.away`);
    try {
      await bootFails({ imageRef: image.id, flavorRef: '2' }, /^Build of instance .* aborted: Volume .* did not finish being created\. And its status is error\.$/);
    } finally {
      fs.renameSync(`${top}.away`, top);
    }
  });

  test('a container that will not start (its Docker image does not exist)', async () => {
    const broken = await demo.request('POST', `${GLANCE}/images`, {
      name: randomName('broken'), disk_format: 'raw', container_format: 'bare', min_disk: image.min_disk,
      block_device_mapping: image.block_device_mapping, bdm_v2: 'True', root_device_name: '/dev/vda', snapstack_docker_image: 'snapstack/not-there:latest',
    });
    expect(broken.status).toBe(201);
    expect((await demo.request('PUT', `${GLANCE}/images/${broken.body.id}/file`, Buffer.alloc(0), { 'Content-Type': 'application/octet-stream' })).status).toBe(204);
    await bootFails({ imageRef: broken.body.id, flavorRef: '2' }, /not-there/);
    await demo.request('DELETE', `${GLANCE}/images/${broken.body.id}`);
  });
});

test('request BDMs: a bigger volume from a snapshot, --boot-from-volume N with the image, and an override by device', async () => {
  // source_type snapshot -> volume, bigger than the snapshot.
  const fromSnap = await bootServer(demo, {
    imageRef: '', flavorRef: '0',
    block_device_mapping_v2: [{ uuid: snapOf('/dev/vdc'), boot_index: 0, source_type: 'snapshot', destination_type: 'volume', volume_size: 5, delete_on_termination: true }],
  });
  expect(fromSnap.image).toBe('');
  const [root] = fromSnap['os-extended-volumes:volumes_attached'];
  expect((await demo.request('GET', `${VOL}/volumes/${root.id}`)).body.volume).toMatchObject({ size: 5, snapshot_id: snapOf('/dev/vdc') });
  const c1 = await mountsOf(h, fromSnap.id);
  expect((await fingerprint(c1.id, ['/mnt/vda']))['/mnt/vda']).toBe(atSnapshot['/mnt/vdc']);

  // source_type image -> volume with the snapshot image (OSC --boot-from-volume 30): the image's
  // mapping replaces the request root (Nova), which keeps its larger size (Snapstack).
  const bfv = await bootServer(demo, {
    imageRef: '', flavorRef: '2',
    block_device_mapping_v2: [{ uuid: image.id, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 30 }],
  });
  expect(bfv.image).toBe('');
  const vols = await Promise.all(bfv['os-extended-volumes:volumes_attached'].map(async (a: any) => (await demo.request('GET', `${VOL}/volumes/${a.id}`)).body.volume));
  expect(vols.map((v: any) => [v.attachments[0].device, v.size, v.snapshot_id]).sort()).toEqual([
    ['/dev/vda', 30, snapOf('/dev/vda')], ['/dev/vdb', 1, snapOf('/dev/vdb')], ['/dev/vdc', 2, snapOf('/dev/vdc')],
  ]);
  const c2 = await mountsOf(h, bfv.id);
  expect(await fingerprint(c2.id, MOUNTS)).toEqual(atSnapshot);

  // imageRef = the snapshot image; /dev/vdb from the request: vdc's snapshot, bigger.
  const override = await bootServer(demo, {
    imageRef: image.id, flavorRef: '2',
    block_device_mapping_v2: [{ uuid: snapOf('/dev/vdc'), source_type: 'snapshot', destination_type: 'volume', device_name: '/dev/vdb', volume_size: 4, delete_on_termination: true }],
  });
  const c3 = await mountsOf(h, override.id);
  const print = await fingerprint(c3.id, MOUNTS);
  expect(print).toEqual({ '/mnt/vda': atSnapshot['/mnt/vda'], '/mnt/vdb': atSnapshot['/mnt/vdc'], '/mnt/vdc': atSnapshot['/mnt/vdc'] });
  for (const s of [fromSnap, bfv, override]) await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
});

test('deleting the source server, its volumes and other snapshots changes nothing; the snapshot boots more servers', async () => {
  // Writes in the booted server stay its own.
  const c = await mountsOf(h, booted.id);
  await dockerExec(c.id, 'echo mine > /mnt/vdb/b-only.txt; echo b > /mnt/vda/etc/app.conf');
  const bPrint = await fingerprint(c.id, MOUNTS);
  expect(bPrint).not.toEqual(atSnapshot);

  // Another snapshot of the source (after its changes), then gone: image and Cinder snapshots.
  const later = await snapshotServer(demo, source.id);
  await demo.request('DELETE', `${GLANCE}/images/${later.id}`);
  for (const m of JSON.parse(later.block_device_mapping)) expect((await demo.request('DELETE', `${VOL}/snapshots/${m.snapshot_id}`)).status).toBe(202);
  // The source server goes; its volumes stay (they have snapshots).
  expect((await demo.request('DELETE', `${COMPUTE}/servers/${source.id}`)).status).toBe(204);
  await waitForServerGone(demo, source.id);

  // A second boot from the same snapshot.
  const second = await bootServer(demo, { imageRef: image.id, flavorRef: '3' });
  const c2 = await mountsOf(h, second.id);
  expect(await fingerprint(c2.id, MOUNTS)).toEqual(atSnapshot);

  // Now the source volumes go, with every snapshot of them (cascade), the image's too.
  const sourceVolumes: string[] = source['os-extended-volumes:volumes_attached'].map((v: any) => v.id);
  for (const id of sourceVolumes) {
    await pollUntil(() => demo.request('GET', `${VOL}/volumes/${id}`), (r) => r.body.volume.status === 'available', 60_000, `volume ${id} available`);
    expect((await demo.request('DELETE', `${VOL}/volumes/${id}?cascade=True`)).status).toBe(202);
  }
  for (const id of sourceVolumes) await pollUntil(() => demo.request('GET', `${VOL}/volumes/${id}`), (r) => r.status === 404, 60_000, `volume ${id} deleted`);
  expect(await fingerprint(c.id, MOUNTS)).toEqual(bPrint);
  expect(await fingerprint(c2.id, MOUNTS)).toEqual(atSnapshot);
  // The image outlives its snapshots; booting it now fails at the API, as in Nova.
  const orphan = await post({ imageRef: image.id, flavorRef: '2' });
  expect(orphan.status).toBe(400);
  expect(orphan.body.badRequest.message).toBe(`Block Device Mapping is Invalid: failed to get snapshot ${snapOf('/dev/vda')}.`);
  for (const s of [booted, second]) await demo.request('DELETE', `${COMPUTE}/servers/${s.id}`);
});
