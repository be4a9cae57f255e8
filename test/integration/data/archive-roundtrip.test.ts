/**
 * Snapshot archives between two Snapstack instances on one machine (separate data dirs and
 * databases): export on A, copy the file into B's snapshots folder, import, restore, and read
 * the same bytes (sha256 through a busybox container); incremental archives; every refusal,
 * with nothing left behind; workspace snapshots seen and restored by two projects.
 */
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startHarness, type Harness, type Session } from '../../support/snapstack-harness';
import {
  bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, mv, pollUntil, randomName, waitForServerGone,
} from '../../support/compute-helpers';
import {
  copyArchive, exportAndWait, fingerprintOf, rowCounts, tree, newSnapshot, newVolume, onVolume, projectFolder, snapshotFingerprint, SS, VOL,
} from '../../support/archive-helpers';
import { craftArchive, plainLayer, tarOf } from '../../support/archive-craft';
import { snapshotServer } from '../../support/launch-helpers';

jest.setTimeout(300_000);

const WRITE_V1 = `set -e; cd /data; mkdir -p d/sub keep; echo old > d/old; echo sub > d/sub/x; echo gone > gone.txt; echo k > keep/k;
  head -c 200000 /dev/urandom > big; ln big big.hard; ln -s keep/k link; chown -R 1234:5678 keep; chmod 0751 keep; chmod 640 big`;
// Deletes a file (overlay whiteout), replaces a directory (overlay opaque dir), adds and changes.
const WRITE_V2 = `set -e; cd /data; rm gone.txt; rm -rf d; mkdir d; echo new > d/new; echo changed > keep/k; echo added > added`;

describe('snapshot archives across two Snapstack instances', () => {
  let a: Harness;
  let b: Harness;
  let demoA: Session;
  let demoB: Session;
  let altB: Session;
  const chain: { s1?: string; s2?: string; fp1?: string; fp2?: string } = {};

  beforeAll(async () => {
    [a, b] = await Promise.all([startHarness(), startHarness()]);
    [demoA, demoB, altB] = await Promise.all([a.login('demo'), b.login('demo'), b.login('alt_demo')]);
    // A chain of two snapshots: the second holds a whiteout and an opaque directory.
    const vol = await newVolume(demoA);
    await onVolume(a, demoA, vol, WRITE_V1);
    chain.s1 = await newSnapshot(demoA, vol, 'first');
    await onVolume(a, demoA, vol, WRITE_V2);
    chain.s2 = await newSnapshot(demoA, vol, 'second');
    chain.fp1 = await snapshotFingerprint(a, demoA, chain.s1);
    chain.fp2 = await snapshotFingerprint(a, demoA, chain.s2);
  });

  afterAll(async () => {
    for (const h of [a, b]) {
      if (!h) continue;
      await h.stop();
    }
  });

  test('the chain really holds a deleted file and a replaced directory', () => {
    expect(chain.fp1).toContain('./gone.txt|');
    expect(chain.fp1).toContain('./d/old|');
    expect(chain.fp2).not.toContain('./gone.txt|');
    expect(chain.fp2).not.toContain('./d/old|');
    expect(chain.fp2).not.toContain('./d/sub');
    expect(chain.fp2).toContain('./d/new|');
    expect(chain.fp2).toContain('./keep|directory|751|1234|5678');
  });

  test('volume snapshots: full and incremental archives restore identical data on the other instance', async () => {
    const full1 = await exportAndWait(demoA, `${SS}/snapshots/${chain.s1}/export`, { file_name: 'first.tar' });
    const incr2 = await exportAndWait(demoA, `${SS}/snapshots/${chain.s2}/export`, { base_archive: full1 });
    const full2 = await exportAndWait(demoA, `${SS}/snapshots/${chain.s2}/export`);
    expect(full1).toBe('first.tar');
    expect(incr2).toMatch(/^second-\d{8}-\d{6}-incr\.tar$/);

    const listA = (await demoA.request('GET', `${SS}/archives`)).body.archives;
    const byName = new Map<string, any>(listA.map((x: any) => [x.name, x]));
    expect(byName.get(full1)).toMatchObject({ valid: true, status: 'ready', kind: 'volume-snapshot', incremental: false, verified: true });
    expect(byName.get(incr2)).toMatchObject({ valid: true, incremental: true, base_archive_id: byName.get(full1).archive_id, stored_layers: 1 });
    expect(byName.get(full2).stored_layers).toBe(2);
    expect(byName.get(incr2).size).toBeLessThan(byName.get(full2).size);

    for (const n of [full1, incr2, full2]) copyArchive(a, demoA, n, b, demoB);
    // Copied by hand: listed with what it holds.
    const listB = (await demoB.request('GET', `${SS}/archives?verify=true`)).body.archives;
    expect(listB.map((x: any) => x.name).sort()).toEqual([full1, full2, incr2].sort());
    expect(listB.every((x: any) => x.valid && x.verified === true)).toBe(true);
    expect(listB.find((x: any) => x.name === full1).volumes[0]).toMatchObject({ snapshot_id: chain.s1, name: 'first', size_gb: 1 });

    // The incremental one first: its base is not here yet.
    const early = await demoB.request('POST', `${SS}/archives/import`, { file: incr2 });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/is incremental: it needs 1 layer\(s\) of archive .*Import archive .* first/);

    const imp1 = await demoB.request('POST', `${SS}/archives/import`, { file: full1 });
    expect(imp1.status).toBe(201);
    expect(imp1.body.import).toMatchObject({ kind: 'volume-snapshot', scope: 'namespace', image: null });
    const s1b = imp1.body.import.snapshots[0];
    expect(s1b).toMatchObject({ name: 'first', size: 1, source_snapshot_id: chain.s1 });
    expect(s1b.id).not.toBe(chain.s1);
    const shown = (await demoB.request('GET', `${VOL}/snapshots/${s1b.id}`)).body.snapshot;
    expect(shown).toMatchObject({ status: 'available', name: 'first', size: 1 });
    expect(shown.metadata).toMatchObject({ snapstack_scope: 'namespace', snapstack_source_snapshot_id: chain.s1 });
    expect(await snapshotFingerprint(b, demoB, s1b.id)).toEqual(chain.fp1);

    const imp2 = await demoB.request('POST', `${SS}/archives/import`, { file: incr2 });
    expect(imp2.status).toBe(201);
    expect(imp2.body.import.base_archive_id).toBe(byName.get(full1).archive_id);
    expect(await snapshotFingerprint(b, demoB, imp2.body.import.snapshots[0].id)).toEqual(chain.fp2);

    // Another project of B has not imported the base: refused there.
    copyArchive(a, demoA, incr2, b, altB);
    expect((await altB.request('POST', `${SS}/archives/import`, { file: incr2 })).status).toBe(409);
    copyArchive(a, demoA, full2, b, altB);
    const imp3 = await altB.request('POST', `${SS}/archives/import`, { file: full2 });
    expect(imp3.status).toBe(201);
    expect(await snapshotFingerprint(b, altB, imp3.body.import.snapshots[0].id)).toEqual(chain.fp2);

    // Downloaded bytes are the file's.
    const dl = await fetch(`${b.url}${SS}/archives/${full1}/download`, { headers: { 'X-Auth-Token': demoB.token } });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/x-tar');
    expect(Buffer.from(await dl.arrayBuffer()).equals(fs.readFileSync(path.join(projectFolder(b, demoB), full1)))).toBe(true);
  });

  test('instance snapshot: image and every volume, restored and booted on the other instance', async () => {
    const image = await busyboxImage(demoA);
    const server = await bootServer(demoA, {
      imageRef: '', flavorRef: '1',
      block_device_mapping_v2: [
        { uuid: image.id, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true },
        { source_type: 'blank', destination_type: 'volume', volume_size: 2, delete_on_termination: true },
      ],
    });
    const c = (await containerOf(a.app.instanceId, server.id))!;
    await dockerExec(c.Id, 'echo root > /mnt/vda/root.txt; mkdir -p /mnt/vdb/d; echo data > /mnt/vdb/d/data.txt; head -c 100000 /dev/urandom > /mnt/vdb/blob');
    const snap = await demoA.request('POST', `${COMPUTE}/servers/${server.id}/action`, { createImage: { name: randomName('web') } }, mv('2.45'));
    expect(snap.status).toBe(202);
    const imageId = snap.body.image_id;
    const source = (await demoA.request('GET', `${GLANCE}/images/${imageId}`)).body;
    const mapping = JSON.parse(source.block_device_mapping);
    const fps = new Map<string, string>();
    for (const m of mapping) fps.set(m.device_name, await snapshotFingerprint(a, demoA, m.snapshot_id));
    await demoA.request('DELETE', `${COMPUTE}/servers/${server.id}`);

    const name = await exportAndWait(demoA, `${SS}/images/${imageId}/export`);
    const info = (await demoA.request('GET', `${SS}/archives/${name}`)).body.archive;
    expect(info).toMatchObject({ kind: 'instance-snapshot', valid: true, image: { name: source.name, min_disk: source.min_disk, root_device_name: '/dev/vda' } });
    expect(info.volumes.map((v: any) => [v.device, v.boot_index, v.size_gb])).toEqual([['/dev/vda', 0, 1], ['/dev/vdb', null, 2]]);
    // No root image: written as format version 1, which older Snapstacks read.
    expect(info.root_image).toBeNull();
    const head = fs.readFileSync(path.join(projectFolder(a, demoA), name));
    const manifestSize = parseInt(head.toString('latin1', 124, 136).replace(/[\0 ]+/g, ''), 8);
    expect(JSON.parse(head.toString('utf8', 512, 512 + manifestSize))).toMatchObject({ version: 1 });
    expect(JSON.parse(head.toString('utf8', 512, 512 + manifestSize))).not.toHaveProperty('root_image');

    copyArchive(a, demoA, name, b, demoB);
    const imp = await demoB.request('POST', `${SS}/archives/import`, { file: name });
    expect(imp.status).toBe(201);
    const newImage = (await demoB.request('GET', `${GLANCE}/images/${imp.body.import.image.id}`)).body;
    expect(newImage).toMatchObject({ name: source.name, status: 'active', size: 0, visibility: 'private', min_disk: source.min_disk, snapstack_scope: 'namespace', bdm_v2: 'True', root_device_name: '/dev/vda' });
    const newMapping = JSON.parse(newImage.block_device_mapping);
    const newIds = imp.body.import.snapshots.map((s: any) => s.id);
    expect(newMapping.map((m: any) => m.snapshot_id).sort()).toEqual([...newIds].sort());
    for (const m of newMapping) {
      expect(mapping.some((o: any) => o.snapshot_id === m.snapshot_id)).toBe(false);
      expect(await snapshotFingerprint(b, demoB, m.snapshot_id)).toEqual(fps.get(m.device_name));
    }
    // Boot from the imported image: every volume reads what the source server had.
    const booted = await bootServer(demoB, { imageRef: newImage.id, flavorRef: '1' });
    const bc = (await containerOf(b.app.instanceId, booted.id))!;
    for (const [device, expected] of fps) expect(await dockerExec(bc.Id, fingerprintOf(`/mnt/${device.slice('/dev/'.length)}`))).toEqual(expected);
    expect(await dockerExec(bc.Id, 'cat /mnt/vda/root.txt /mnt/vdb/d/data.txt')).toBe('root\ndata\n');
    await demoB.request('DELETE', `${COMPUTE}/servers/${booted.id}`);
    await waitForServerGone(demoB, booted.id);
    // A volume restored from the imported root snapshot is bootable, as its source was.
    const root = newMapping.find((m: any) => m.boot_index === 0);
    const rootVol = await newVolume(demoB, { snapshot_id: root.snapshot_id });
    expect((await demoB.request('GET', `${VOL}/volumes/${rootVol}`)).body.volume.bootable).toBe('true');
  });

  describe('refusals: each with a clear message, nothing left behind', () => {
    const cases: Array<[string, () => Promise<Buffer>, RegExp]> = [
      ['an unknown format version', async () => (await craftArchive({ layers: [plainLayer('x-1')], manifest: (m: any) => (m.version = 3) })).buffer,
        /unsupported archive format version 3/],
      ['a checksum mismatch', async () => {
        const { buffer } = await craftArchive({ layers: [plainLayer('x-1')] });
        const bad = Buffer.from(buffer);
        bad[bad.indexOf('hello\n')] = 'j'.charCodeAt(0);
        return bad;
      }, /checksum mismatch: layers\/x-1.tar/],
      ['a truncated file', async () => {
        const { buffer } = await craftArchive({ layers: [plainLayer('x-1', [{ name: 'big', data: Buffer.alloc(100_000, 3) }])] });
        return buffer.subarray(0, 60_000);
      }, /truncated/],
      ['an absolute path', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: '/etc/evil', data: 'x' }])] })).buffer, /absolute path/],
      ['a path with ..', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'dir/../../../evil', data: 'x' }])] })).buffer, /climbs out with '\.\.'/],
      ['a symlink outside the volume', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'up', type: 'symlink', linkname: '../../..' }])] })).buffer,
        /symlink "up" -> "..\/..\/.." points outside the volume/],
      ['a hard link outside the volume', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'pw', type: 'link', linkname: '/etc/shadow' }])] })).buffer,
        /hard link "pw" -> "\/etc\/shadow" points outside the volume/],
      ['a device file', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'mem', type: 'character-device' }])] })).buffer, /"mem" is a device file/],
      ['more data than the manifest declares', async () => {
        const layer = plainLayer('x-1');
        const bigger = await tarOf([...layer.entries, { name: 'extra', data: Buffer.alloc(8192, 1) }]);
        return (await craftArchive({ layers: [layer], replaceLayer: { 'x-1': bigger } })).buffer;
      }, /holds more data than the manifest declares/],
      // A bad entry after good data: the good layer was already staged when the bad one is met.
      ['a bad second layer after a good first one', async () => (await craftArchive({
        layers: [plainLayer('x-1', [{ name: 'payload', data: Buffer.alloc(50_000, 9) }]), plainLayer('x-2', [{ name: 'dev', type: 'block-device' }])],
      })).buffer, /layer x-2: "dev" is a device file/],
    ];

    test.each(cases)('%s', async (_what, make, message) => {
      const name = `bad-${randomBytes(4).toString('hex')}.tar`;
      fs.writeFileSync(path.join(projectFolder(b, demoB), name), await make());
      await b.app.jobs.idle(); // earlier tests' deletions settle first
      const beforeTree = tree(b.dataDir);
      const beforeRows = await rowCounts(b);
      const listed = (await demoB.request('GET', `${SS}/archives/${name}?verify=true`)).body.archive;
      expect(listed.valid).toBe(false);
      const res = await demoB.request('POST', `${SS}/archives/import`, { file: name });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^Invalid archive: /);
      expect(res.body.error.message).toMatch(message);
      expect(listed.reason).toMatch(message);
      expect(tree(b.dataDir)).toEqual(beforeTree);
      expect(await rowCounts(b)).toEqual(beforeRows);
      // And nothing outside the data dir (absolute targets, '..' escapes).
      expect(fs.existsSync('/etc/evil')).toBe(false);
      expect(fs.existsSync(path.join(b.dataDir, '..', 'evil'))).toBe(false);
    });

    test('an export refuses what an import would: a symlink out of the volume, named', async () => {
      const vol = await newVolume(demoA);
      await onVolume(a, demoA, vol, 'ln -s ../../../etc/passwd /data/passwd');
      const snap = await newSnapshot(demoA, vol);
      const before = fs.readdirSync(projectFolder(a, demoA)).sort();
      const res = await demoA.request('POST', `${SS}/snapshots/${snap}/export`, {});
      expect(res.status).toBe(202);
      const job = await pollUntil(() => demoA.request('GET', `${SS}/jobs/${res.body.job.id}`), (r) => ['succeeded', 'failed'].includes(r.body.job.status));
      expect(job.body.job).toMatchObject({ status: 'failed', error: expect.stringMatching(/symlink "passwd" -> "..\/..\/..\/etc\/passwd" points outside the volume/) });
      expect(fs.readdirSync(projectFolder(a, demoA)).sort()).toEqual(before);
    });

    test('a name outside the folder is refused', async () => {
      expect((await demoB.request('POST', `${SS}/archives/import`, { file: '../../etc/passwd' })).status).toBe(400);
      expect((await demoB.request('POST', `${SS}/archives/import`, { file: 'missing.tar' })).status).toBe(404);
    });
  });
});

describe('workspace snapshots', () => {
  let a: Harness;
  let w: Harness;
  let wsDir: string;
  let demo: Session;
  let alt: Session;
  let admin: Session;
  let fp = '';
  let imageFps = new Map<string, string>();

  beforeAll(async () => {
    // Archives made on A are dropped in W's workspace folder before W starts.
    a = await startHarness();
    const demoA = await a.login('demo');
    const vol = await newVolume(demoA);
    await onVolume(a, demoA, vol, WRITE_V1);
    const s1 = await newSnapshot(demoA, vol, 'demo-data');
    await onVolume(a, demoA, vol, WRITE_V2);
    const s2 = await newSnapshot(demoA, vol, 'demo-data-v2');
    fp = await snapshotFingerprint(a, demoA, s2);
    const base = await exportAndWait(demoA, `${SS}/snapshots/${s1}/export`, { file_name: 'demo-data.tar' });
    const incr = await exportAndWait(demoA, `${SS}/snapshots/${s2}/export`, { file_name: 'demo-data-v2.tar', base_archive: base });
    wsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-ws-'));
    // The incremental one sorts first: loading waits for its base.
    fs.copyFileSync(path.join(projectFolder(a, demoA), incr), path.join(wsDir, 'a-demo-data-v2.tar'));
    fs.copyFileSync(path.join(projectFolder(a, demoA), base), path.join(wsDir, 'b-demo-data.tar'));
    fs.writeFileSync(path.join(wsDir, 'broken.tar'), Buffer.alloc(3000, 1));
    // An instance snapshot archive too.
    const img = await busyboxImage(demoA);
    const server = await bootServer(demoA, {
      imageRef: '', flavorRef: '1',
      block_device_mapping_v2: [{ uuid: img.id, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
    });
    const c = (await containerOf(a.app.instanceId, server.id))!;
    await dockerExec(c.Id, 'echo workspace-root > /mnt/vda/hello.txt');
    const snap = await demoA.request('POST', `${COMPUTE}/servers/${server.id}/action`, { createImage: { name: 'demo-web' } }, mv('2.45'));
    const mapping = JSON.parse((await demoA.request('GET', `${GLANCE}/images/${snap.body.image_id}`)).body.block_device_mapping);
    imageFps = new Map([[mapping[0].device_name, await snapshotFingerprint(a, demoA, mapping[0].snapshot_id)]]);
    await demoA.request('DELETE', `${COMPUTE}/servers/${server.id}`);
    const web = await exportAndWait(demoA, `${SS}/images/${snap.body.image_id}/export`, { file_name: 'demo-web.tar' });
    fs.copyFileSync(path.join(projectFolder(a, demoA), web), path.join(wsDir, web));

    w = await startHarness({ workspaceDir: wsDir });
    [demo, alt, admin] = await Promise.all([w.login('demo'), w.login('alt_demo'), w.login('admin')]);
  });

  afterAll(async () => {
    for (const h of [a, w]) {
      if (!h) continue;
      await h.stop();
    }
    if (wsDir) fs.rmSync(wsDir, { recursive: true, force: true });
  });

  test('loaded at start; listed in the workspace folder with the broken one explained', async () => {
    const list = (await demo.request('GET', `${SS}/archives?scope=workspace`)).body.archives;
    expect(list.map((x: any) => [x.name, x.valid])).toEqual([['a-demo-data-v2.tar', true], ['b-demo-data.tar', true], ['broken.tar', false], ['demo-web.tar', true]]);
    expect(list.find((x: any) => x.name === 'broken.tar').reason).toMatch(/not a readable tar file|not a snapstack archive/);
  });

  test.each(['demo', 'alt_demo'])('%s sees the workspace snapshots and restores identical data from them', async (user) => {
    const s = user === 'demo' ? demo : alt;
    const snaps = (await s.request('GET', `${VOL}/snapshots/detail`)).body.snapshots.filter((x: any) => x.metadata.snapstack_scope === 'workspace');
    expect(snaps.map((x: any) => x.name).sort()).toEqual(['demo-data', 'demo-data-v2', 'snapshot for demo-web']);
    const v2 = snaps.find((x: any) => x.name === 'demo-data-v2');
    expect(await snapshotFingerprint(w, s, v2.id)).toEqual(fp);
    // The restored volume is the project's own.
    const vols = (await s.request('GET', `${VOL}/volumes/detail`)).body.volumes;
    expect(vols.some((v: any) => v.snapshot_id === v2.id)).toBe(true);

    const images = (await s.request('GET', `${GLANCE}/images?name=demo-web`)).body.images;
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ visibility: 'public', snapstack_scope: 'workspace', owner: 'workspace', status: 'active' });
    const mapping = JSON.parse(images[0].block_device_mapping);
    expect(await snapshotFingerprint(w, s, mapping[0].snapshot_id)).toEqual(imageFps.get(mapping[0].device_name));
    // Boots from the public workspace image; the server's volumes are the project's own.
    const server = await bootServer(s, { imageRef: images[0].id, flavorRef: '1' });
    const c = (await containerOf(w.app.instanceId, server.id))!;
    expect(await dockerExec(c.Id, 'cat /mnt/vda/hello.txt')).toBe('workspace-root\n');
    await s.request('DELETE', `${COMPUTE}/servers/${server.id}`);
    await waitForServerGone(s, server.id);

    // Read-only for projects.
    const del = await s.request('DELETE', `${VOL}/snapshots/${v2.id}`);
    expect(del.status).toBe(403);
    expect(del.body.forbidden.message).toMatch(/workspace snapshot/);
    expect((await s.request('PUT', `${VOL}/snapshots/${v2.id}`, { snapshot: { name: 'mine' } })).status).toBe(403);
    expect((await s.request('DELETE', `${GLANCE}/images/${images[0].id}`)).status).toBe(403);
    const rename = await s.request('PATCH', `${GLANCE}/images/${images[0].id}`, [{ op: 'replace', path: '/name', value: 'mine' }],
      { 'Content-Type': 'application/openstack-images-v2.1-json-patch' });
    expect(rename.status).toBe(403);
    expect((await s.request('GET', `${VOL}/snapshots/${v2.id}`)).body.snapshot.name).toBe('demo-data-v2');
  });

  test('loading the folder again (as a restart does) loads nothing twice', async () => {
    const before = (await admin.request('GET', `${VOL}/snapshots/detail?all_tenants=1`)).body.snapshots.length;
    const again = await w.app.archives.loadWorkspace();
    expect(again.loaded).toEqual([]);
    expect((await admin.request('GET', `${VOL}/snapshots/detail?all_tenants=1`)).body.snapshots.length).toBe(before);
  });

  test('an admin promotes a project snapshot to the workspace; projects cannot', async () => {
    const vol = await newVolume(demo);
    await onVolume(w, demo, vol, 'echo promoted > /data/p.txt');
    const snap = await newSnapshot(demo, vol, 'to-promote');
    expect((await demo.request('POST', `${SS}/snapshots/${snap}/promote`, {})).status).toBe(403);
    const name = await exportAndWait(admin, `${SS}/snapshots/${snap}/promote`, { file_name: 'promoted.tar' });
    expect(fs.existsSync(path.join(wsDir, name))).toBe(true);
    const seen = (await alt.request('GET', `${VOL}/snapshots/detail?name=to-promote`)).body.snapshots;
    expect(seen).toHaveLength(1);
    expect(seen[0].metadata.snapstack_scope).toBe('workspace');
    expect(await snapshotFingerprint(w, alt, seen[0].id)).toContain('./p.txt|');
  });

  test("a snapshot of a server booted from a workspace image is the project's (namespace); its promoted copy says workspace", async () => {
    const ws = (await demo.request('GET', `${GLANCE}/images?name=demo-web`)).body.images[0];
    const server = await bootServer(demo, { imageRef: ws.id, flavorRef: '1' });
    const own = await snapshotServer(demo, server.id, 'demo-web-mine');
    await demo.request('DELETE', `${COMPUTE}/servers/${server.id}`);
    // It inherits the workspace image's properties, but not its scope.
    expect(own).toMatchObject({ visibility: 'private', owner: demo.projectId, snapstack_scope: 'namespace', snapstack_docker_image: ws.snapstack_docker_image });
    expect((await demo.request('POST', `${SS}/images/${own.id}/promote`, {})).status).toBe(403);
    await exportAndWait(admin, `${SS}/images/${own.id}/promote`, { file_name: 'demo-web-mine.tar' });
    const copies = (await alt.request('GET', `${GLANCE}/images?name=demo-web-mine`)).body.images;
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ visibility: 'public', owner: 'workspace', snapstack_scope: 'workspace' });
    expect(copies[0].id).not.toBe(own.id);
    expect((await demo.request('GET', `${GLANCE}/images/${own.id}`)).body.snapstack_scope).toBe('namespace');
  });
});
