/**
 * Archives of image-backed instance snapshots between two Snapstack instances: the root disk
 * travels as images/root.tar (`docker save`, format version 2) beside the data volume's
 * snapshot; imported on the other instance it boots with the same files. A tampered root.tar
 * is refused before anything is made: no Docker image, no rows, no files.
 */
import Docker from 'dockerode';
import fs from 'fs';
import path from 'path';
import { startHarness, type Harness, type Session } from '../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, mv, randomName, waitForImage, waitForServer, waitForSnapshot, waitForVolume,
} from '../../support/compute-helpers';
import { copyArchive, exportAndWait, newVolume, projectFolder, rowCounts, SS, tree, VOL } from '../../support/archive-helpers';

jest.setTimeout(300_000);

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Offset and size of a tar entry's data (ustar headers, as the archive writer makes them). */
function entryOf(buf: Buffer, name: string): { offset: number; size: number } {
  for (let pos = 0; pos + 512 <= buf.length;) {
    const h = buf.subarray(pos, pos + 512);
    if (h.every((b) => b === 0)) break;
    const n = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(h.toString('latin1', 124, 136).replace(/[\0 ]+/g, '') || '0', 8);
    if (n === name) return { offset: pos + 512, size };
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no entry ${name}`);
}

function readManifest(file: string): any {
  const buf = fs.readFileSync(file);
  const m = entryOf(buf, 'manifest.json');
  return JSON.parse(buf.toString('utf8', m.offset, m.offset + m.size));
}

async function dockerImagesOf(h: Harness): Promise<string[]> {
  const list = await docker.listImages({ all: true, filters: JSON.stringify({ label: [`snapstack.instance=${h.app.instanceId}`] }) });
  return list.map((i) => i.Id).sort();
}

describe('image-backed instance snapshot archives across two Snapstack instances', () => {
  let a: Harness;
  let b: Harness;
  let demoA: Session;
  let demoB: Session;
  let archive: string;
  let snapImage: any;
  const servers: Array<[Session, string]> = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([startHarness(), startHarness()]);
    [demoA, demoB] = await Promise.all([a.login('demo'), b.login('demo')]);
  });

  afterAll(async () => {
    for (const [s, id] of servers) await s.request('DELETE', `${COMPUTE}/servers/${id}`).catch(() => undefined);
    for (const h of [a, b]) if (h) await h.stop();
  });

  test('export on A: the archive carries the root disk as images/root.tar (format version 2)', async () => {
    const busybox = await busyboxImage(demoA);
    const server = await bootServer(demoA, { imageRef: busybox.id, flavorRef: '1', networks: 'none' });
    servers.push([demoA, server.id]);
    const data = await newVolume(demoA);
    const att = await demoA.request('POST', `${COMPUTE}/servers/${server.id}/os-volume_attachments`, { volumeAttachment: { volumeId: data } });
    expect(att.status).toBe(200);
    await waitForVolume(demoA, data, ['in-use']);
    const c = (await containerOf(a.app.instanceId, server.id))!;
    await dockerExec(c.Id, 'echo hello-root > /root/hello; echo hello-volume > /mnt/vdb/hello');

    const res = await demoA.request('POST', `${COMPUTE}/servers/${server.id}/action`, { createImage: { name: randomName('ib') } }, mv('2.45'));
    expect(res.status).toBe(202);
    snapImage = await waitForImage(demoA, res.body.image_id, ['active']);
    await waitForServer(demoA, server.id, ['ACTIVE']);
    expect(snapImage.snapstack_docker_image).toBe(`snapstack/snap-${snapImage.id}:latest`);
    for (const m of JSON.parse(snapImage.block_device_mapping)) await waitForSnapshot(demoA, m.snapshot_id, ['available']);

    archive = await exportAndWait(demoA, `${SS}/images/${snapImage.id}/export`);
    const manifest = readManifest(path.join(projectFolder(a, demoA), archive));
    expect(manifest).toMatchObject({ version: 2, kind: 'instance-snapshot', root_image: { file: 'images/root.tar', docker_image: snapImage.snapstack_docker_image } });
    expect(manifest.root_image.bytes).toBeGreaterThan(1024 * 1024);
    expect(manifest.volumes).toHaveLength(1);
    expect(manifest.volumes[0]).toMatchObject({ device: '/dev/vdb', boot_index: null });
    const listed = (await demoA.request('GET', `${SS}/archives/${archive}?verify=true`)).body.archive;
    expect(listed).toMatchObject({ valid: true, verified: true, kind: 'instance-snapshot', root_image: { bytes: manifest.root_image.bytes } });
    // No staging file left beside the archive.
    expect(fs.readdirSync(projectFolder(a, demoA))).toEqual([archive]);
  });

  test('a tampered images/root.tar is refused on B, and nothing is left behind', async () => {
    const buf = fs.readFileSync(path.join(projectFolder(a, demoA), archive));
    const root = entryOf(buf, 'images/root.tar');
    buf[root.offset + Math.floor(root.size / 2)] ^= 0xff;
    fs.writeFileSync(path.join(projectFolder(b, demoB), 'tampered.tar'), buf);

    const before = { tree: tree(b.dataDir), rows: await rowCounts(b), images: await dockerImagesOf(b) };
    const res = await demoB.request('POST', `${SS}/archives/import`, { file: 'tampered.tar' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^Invalid archive: checksum mismatch: images\/root\.tar has sha256 [0-9a-f]{64}, the manifest declares/);
    expect(tree(b.dataDir)).toEqual(before.tree);
    expect(await rowCounts(b)).toEqual(before.rows);
    expect(await dockerImagesOf(b)).toEqual(before.images);
    fs.rmSync(path.join(projectFolder(b, demoB), 'tampered.tar'));
  });

  test('import on B, boot from the imported image: the root file and the data volume file read back', async () => {
    copyArchive(a, demoA, archive, b, demoB);
    const imp = await demoB.request('POST', `${SS}/archives/import`, { file: archive });
    expect(imp.status).toBe(201);
    const imported = imp.body.import;
    expect(imported.kind).toBe('instance-snapshot');
    expect(imported.snapshots).toHaveLength(1);
    const image = (await demoB.request('GET', `${GLANCE}/images/${imported.image.id}`)).body;
    expect(image).toMatchObject({ status: 'active', container_format: 'docker', snapstack_docker_image: `snapstack/snap-${imported.image.id}:latest` });
    const mapping = JSON.parse(image.block_device_mapping);
    expect(mapping).toEqual([expect.objectContaining({ snapshot_id: imported.snapshots[0].id, device_name: '/dev/vdb' })]);
    // The loaded image is B's: its cleanup (instance label) finds it.
    const info = await docker.getImage(image.snapstack_docker_image).inspect();
    expect(info.Config?.Labels?.['snapstack.instance']).toBe(b.app.instanceId);

    const server = await bootServer(demoB, { imageRef: imported.image.id, flavorRef: '1', networks: 'none' });
    servers.push([demoB, server.id]);
    const restored = await newVolume(demoB, { snapshot_id: imported.snapshots[0].id });
    await demoB.request('POST', `${COMPUTE}/servers/${server.id}/os-volume_attachments`, { volumeAttachment: { volumeId: restored } });
    await waitForVolume(demoB, restored, ['in-use']);
    const c = (await containerOf(b.app.instanceId, server.id))!;
    expect(await dockerExec(c.Id, 'cat /root/hello /mnt/vdb/hello')).toBe('hello-root\nhello-volume\n');
  });

  test('a server without data volumes: the archive holds only the root image, and boots on B', async () => {
    const busybox = await busyboxImage(demoA);
    const server = await bootServer(demoA, { imageRef: busybox.id, flavorRef: '1', networks: 'none' });
    servers.push([demoA, server.id]);
    await dockerExec((await containerOf(a.app.instanceId, server.id))!.Id, 'echo alone > /root/alone');
    const res = await demoA.request('POST', `${COMPUTE}/servers/${server.id}/action`, { createImage: { name: randomName('solo') } }, mv('2.45'));
    const image = await waitForImage(demoA, res.body.image_id, ['active']);
    await waitForServer(demoA, server.id, ['ACTIVE']);
    const name = await exportAndWait(demoA, `${SS}/images/${image.id}/export`);
    expect(readManifest(path.join(projectFolder(a, demoA), name))).toMatchObject({ version: 2, volumes: [] });

    copyArchive(a, demoA, name, b, demoB);
    const imp = await demoB.request('POST', `${SS}/archives/import`, { file: name });
    expect(imp.status).toBe(201);
    expect(imp.body.import.snapshots).toEqual([]);
    const clone = await bootServer(demoB, { imageRef: imp.body.import.image.id, flavorRef: '1', networks: 'none' });
    servers.push([demoB, clone.id]);
    expect(await dockerExec((await containerOf(b.app.instanceId, clone.id))!.Id, 'cat /root/alone')).toBe('alone\n');
  });
});

