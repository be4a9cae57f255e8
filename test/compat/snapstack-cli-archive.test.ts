// `snapstack snapshot export / archive list / import / list`, run as a subprocess (as a user
// runs it, output in a pipe) against harness servers: an archive exported and downloaded,
// listed with what it holds, imported into another project (new ids, identical data), loaded
// as workspace snapshots by a second server started with it in its workspace folder, listed
// with Kind and Scope, read-only for projects; an invalid archive refused; progress only on a
// terminal.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { main, type CliIo } from '../../src/cli/main';
import { craftArchive, plainLayer } from '../support/archive-craft';
import {
  copyArchive, FINGERPRINT, newSnapshot, newVolume, onVolume, projectFolder, snapshotFingerprint,
} from '../support/archive-helpers';
import { bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, randomName } from '../support/compute-helpers';
import { snapshotServer } from '../support/launch-helpers';
import { CLI_USERS, type CliUser } from '../support/openstack-cli';
import { snapstackCli } from '../support/snapstack-cli';
import { startHarness, type Harness, type Session } from '../support/snapstack-harness';

jest.setTimeout(240_000);

const { demo, alt_demo: altDemo } = CLI_USERS;
const VOL = '/volume/v3/{project_id}';
const REQ = '\\(Request-ID: req-[^)]+\\)';

let a: Harness; // exports, imports, project snapshots
let w: Harness; // started with A's archives in its workspace folder
let demoA: Session;
let altA: Session;
let demoW: Session;
let outDir: string;
let wsDir: string;
const src = { snapName: randomName('cli-data'), snapId: '', fp: '', imageName: randomName('cli-web'), imageId: '', archive: '', imageArchive: '' };

const ss = (h: Harness, user: CliUser, args: string[]) => snapstackCli(h.url, args, { user });
async function ssJson<T = any>(h: Harness, user: CliUser, args: string[]): Promise<T> {
  const r = await ss(h, user, [...args, '-f', 'json']);
  if (r.code !== 0) throw new Error(`snapstack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  a = await startHarness();
  [demoA, altA] = await Promise.all([a.login('demo'), a.login('alt_demo')]);
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-cli-out-'));
  wsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-cli-ws-'));
  // A volume snapshot with data, and a volume-backed instance snapshot.
  const vol = await newVolume(demoA);
  await onVolume(a, demoA, vol, 'set -e; cd /data; echo hello > hello.txt; mkdir d; head -c 100000 /dev/urandom > d/blob; ln -s d/blob link');
  src.snapId = await newSnapshot(demoA, vol, src.snapName);
  src.fp = await snapshotFingerprint(a, demoA, src.snapId);
  const server = await bootServer(demoA, {
    imageRef: '', flavorRef: '1',
    block_device_mapping_v2: [{ uuid: (await busyboxImage(demoA)).id, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 1, delete_on_termination: true }],
  });
  await dockerExec((await containerOf(a.app.instanceId, server.id))!.Id, 'echo web > /mnt/vda/index.html');
  src.imageId = (await snapshotServer(demoA, server.id, src.imageName)).id;
  await demoA.request('DELETE', `${COMPUTE}/servers/${server.id}`);
});

afterAll(async () => {
  for (const h of [a, w]) if (h) await h.stop();
  for (const d of [outDir, wsDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('on one server: export, archive list, import into another project', () => {
  it('snapshot export ID -o FILE: the archive in the project folder and downloaded, manifest.json first; nothing on stderr in a pipe', async () => {
    const file = path.join(outDir, 'data.tar');
    const r = await ss(a, demo, ['snapshot', 'export', src.snapId, '-o', file, '-f', 'json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ scope: 'namespace', status: 'ready', valid: true, kind: 'volume-snapshot', incremental: false });
    expect(info.name).toMatch(new RegExp(`^${src.snapName}-\\d{8}-\\d{6}\\.tar$`));
    src.archive = info.name;
    const entries = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(entries[0]).toBe('manifest.json');
    expect(entries[entries.length - 1]).toBe('checksums.sha256');
    expect(entries.filter((e) => e.startsWith('layers/')).length).toBeGreaterThan(0);
    expect(fs.readFileSync(file).equals(fs.readFileSync(path.join(projectFolder(a, demoA), src.archive)))).toBe(true);
    expect(info.size).toBe(fs.statSync(file).size);

    // An instance snapshot by image ID (no --image needed): image and every volume.
    const imageFile = path.join(outDir, 'web.tar');
    const img = await ssJson(a, demo, ['snapshot', 'export', src.imageId, '-o', imageFile]);
    expect(img).toMatchObject({ kind: 'instance-snapshot', valid: true });
    expect(img.volumes).toMatch(/^\/dev\/vda snapshot for /);
    src.imageArchive = img.name;
    expect(execFileSync('tar', ['-tf', imageFile], { encoding: 'utf8' }).split('\n')[0]).toBe('manifest.json');
  });

  it('snapshot archive list: each archive with what it holds', async () => {
    const rows = await ssJson<any[]>(a, demo, ['snapshot', 'archive', 'list']);
    expect(rows).toEqual(expect.arrayContaining([
      { Name: src.archive, Scope: 'namespace', Kind: 'volume-snapshot', Source: src.snapName, Volumes: 1, Size: fs.statSync(path.join(outDir, 'data.tar')).size, Status: 'valid' },
      expect.objectContaining({ Name: src.imageArchive, Scope: 'namespace', Kind: 'instance-snapshot', Source: src.imageName, Volumes: 1, Status: 'valid' }),
    ]));
    const long = await ssJson<any[]>(a, demo, ['snapshot', 'archive', 'list', '--long', '--verify']);
    expect(long.find((x) => x.Name === src.archive)).toMatchObject({ Verified: true, Reason: null, Base: null, 'Archive ID': expect.any(String) });
  });

  it('snapshot import ARCHIVE into alt_demo: new snapshot ids, and a volume made from one reads identical data', async () => {
    copyArchive(a, demoA, src.archive, a, altA);
    const imp = await ssJson(a, altDemo, ['snapshot', 'import', src.archive]);
    expect(imp).toMatchObject({ kind: 'volume-snapshot', scope: 'namespace', image: null, base_archive_id: null });
    const newId = String(imp.snapshots).split(' ')[0];
    expect(newId).toMatch(/^[0-9a-f-]{36}$/);
    expect(newId).not.toBe(src.snapId);
    const shown = await ssJson(a, altDemo, ['volume', 'snapshot', 'show', newId]);
    expect(shown).toMatchObject({ name: src.snapName, status: 'available', properties: { snapstack_scope: 'namespace', snapstack_source_snapshot_id: src.snapId } });
    const vol = await ssJson(a, altDemo, ['volume', 'create', '--snapshot', newId, '--size', '1', '--wait', randomName('restored')]);
    expect(vol).toMatchObject({ status: 'available', snapshot_id: newId });
    expect(await onVolume(a, altA, vol.id, FINGERPRINT)).toEqual(src.fp);

    // The instance snapshot too: a new image pointing at new snapshots.
    copyArchive(a, demoA, src.imageArchive, a, altA);
    const web = await ssJson(a, altDemo, ['snapshot', 'import', src.imageArchive]);
    expect(web).toMatchObject({ kind: 'instance-snapshot', scope: 'namespace', image: expect.stringMatching(new RegExp(` ${src.imageName}$`)) });
    const imageId = String(web.image).split(' ')[0];
    expect(imageId).not.toBe(src.imageId);
    expect((await ssJson(a, altDemo, ['image', 'show', imageId])).properties).toMatchObject({ snapstack_scope: 'namespace' });
  });

  it('snapshot import ./FILE --name: uploaded into the project folder, checked, imported under the new name; the same file again is refused', async () => {
    // The instance snapshot downloaded above: the image takes the name, its volume snapshot follows.
    const webName = randomName('cli-uploaded');
    const web = await ssJson(a, altDemo, ['snapshot', 'import', path.join(outDir, 'web.tar'), '--name', webName]);
    expect(web).toMatchObject({ kind: 'instance-snapshot', scope: 'namespace', image: expect.stringMatching(new RegExp(` ${webName}$`)) });
    expect(fs.readFileSync(path.join(projectFolder(a, altA), 'web.tar')).equals(fs.readFileSync(path.join(outDir, 'web.tar')))).toBe(true);
    const [snapId] = String(web.snapshots).split(' ');
    expect((await ssJson(a, altDemo, ['volume', 'snapshot', 'show', snapId])).name).toBe(`snapshot for ${webName}`);
    expect((await ssJson(a, altDemo, ['image', 'show', String(web.image).split(' ')[0]])).name).toBe(webName);

    // A relative path, from the working directory: a volume snapshot takes the name itself.
    const dataName = randomName('cli-data-copy');
    const r = await snapstackCli(a.url, ['snapshot', 'import', './data.tar', '--name', dataName, '-f', 'json'], { user: altDemo, cwd: outDir });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const data = JSON.parse(r.stdout);
    expect(data).toMatchObject({ kind: 'volume-snapshot', snapshots: expect.stringMatching(new RegExp(` ${dataName}$`)) });
    const vol = await ssJson(a, altDemo, ['volume', 'create', '--snapshot', dataName, '--size', '1', '--wait', randomName('restored')]);
    expect(await onVolume(a, altA, vol.id, FINGERPRINT)).toEqual(src.fp);

    const again = await snapstackCli(a.url, ['snapshot', 'import', './data.tar'], { user: altDemo, cwd: outDir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^An archive named data\\.tar is already in the snapshots folder\\. \\(HTTP 409\\) ${REQ}\\n$`));
    const missing = await snapstackCli(a.url, ['snapshot', 'import', './nope.tar'], { user: altDemo, cwd: outDir });
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({ code: 1, stderr: 'No such file: ./nope.tar\n' });
  });

  it('snapshot list: volume and instance snapshots of the project, Kind and Scope namespace', async () => {
    const rows = await ssJson<any[]>(a, demo, ['snapshot', 'list']);
    expect(rows).toEqual(expect.arrayContaining([
      { ID: src.snapId, Name: src.snapName, Kind: 'volume', Scope: 'namespace', Status: 'available', Size: 1 },
      { ID: src.imageId, Name: src.imageName, Kind: 'instance', Scope: 'namespace', Status: 'active', Size: 1 },
      expect.objectContaining({ Name: `snapshot for ${src.imageName}`, Kind: 'volume', Scope: 'namespace' }),
    ]));
    expect(rows).toHaveLength(3); // the seeded images are not snapshots
    expect((await ssJson(a, demo, ['image', 'show', src.imageId])).properties).toMatchObject({ snapstack_scope: 'namespace' });
    expect(await ssJson(a, demo, ['snapshot', 'list', '--scope', 'workspace'])).toEqual([]);
    expect((await ss(a, demo, ['snapshot', 'list', '--kind', 'instance', '-f', 'value', '-c', 'ID'])).stdout).toBe(`${src.imageId}\n`);
  });

  it('an invalid archive: the refusal printed, exit 1, listed as invalid', async () => {
    const { buffer } = await craftArchive({ layers: [plainLayer('x-1')], manifest: (m: any) => (m.version = 3) });
    fs.writeFileSync(path.join(projectFolder(a, demoA), 'bad.tar'), buffer);
    const r = await ss(a, demo, ['snapshot', 'import', 'bad.tar']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^Invalid archive: unsupported archive format version 3[^\\n]* \\(HTTP 400\\) ${REQ}\\n$`));
    const listed = (await ssJson<any[]>(a, demo, ['snapshot', 'archive', 'list'])).find((x) => x.Name === 'bad.tar');
    expect(listed.Status).toMatch(/^invalid: unsupported archive format version 3/);
  });

  it('on a terminal, an upload shows its progress on stderr (stdout unchanged)', async () => {
    const err: string[] = [];
    const out: string[] = [];
    const io: CliIo = {
      stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); }, stderrIsTTY: true,
      env: { OS_AUTH_URL: `${a.url}/identity/v3`, OS_USERNAME: demo.name, OS_PASSWORD: demo.password, OS_PROJECT_NAME: demo.project },
    };
    const file = path.join(outDir, 'tty-upload.tar');
    fs.copyFileSync(path.join(outDir, 'data.tar'), file);
    const name = randomName('tty-upload');
    expect(await main(['snapshot', 'import', file, '--name', name, '-f', 'value', '-c', 'kind'], io)).toBe(0);
    expect(out.join('')).toBe('volume-snapshot\n');
    expect(err.join('')).toMatch(/Uploading tty-upload\.tar: 100% \(/);
    expect(err.join('')).toMatch(/Uploaded tty-upload\.tar \([^)]+\), checked by the server\n$/);
  });

  it('on a terminal, export shows its progress on stderr (stdout unchanged)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); }, stderrIsTTY: true,
      env: { OS_AUTH_URL: `${a.url}/identity/v3`, OS_USERNAME: demo.name, OS_PASSWORD: demo.password, OS_PROJECT_NAME: demo.project, SNAPSTACK_CLI_POLL_INTERVAL: '0.2' },
    };
    const file = path.join(outDir, 'tty.tar');
    expect(await main(['snapshot', 'export', src.snapName, '--name', 'tty', '-o', file, '-f', 'value', '-c', 'name'], io)).toBe(0);
    expect(out.join('')).toBe('tty.tar\n');
    const progress = err.join('');
    expect(progress).toContain('\r\x1b[KExported tty.tar: ');
    expect(progress).toMatch(/\r\x1b\[KDownloaded tty\.tar to .*tty\.tar \([\d.]+ KiB\)\n$/);
    expect(fs.existsSync(file)).toBe(true);
  });
});

describe('a second server with the archives in its workspace folder', () => {
  let ownSnap: string;
  let wsSnap: any;

  beforeAll(async () => {
    fs.copyFileSync(path.join(outDir, 'data.tar'), path.join(wsDir, src.archive));
    fs.copyFileSync(path.join(outDir, 'web.tar'), path.join(wsDir, src.imageArchive));
    w = await startHarness({ workspaceDir: wsDir });
    demoW = await w.login('demo');
    ownSnap = await newSnapshot(demoW, await newVolume(demoW), randomName('own'));
  });

  it('snapshot list: workspace snapshots beside the project\'s own, Kind and Scope columns, --scope filters', async () => {
    const rows = await ssJson<any[]>(w, demo, ['snapshot', 'list']);
    wsSnap = rows.find((x) => x.Name === src.snapName);
    expect(rows).toEqual(expect.arrayContaining([
      { ID: wsSnap.ID, Name: src.snapName, Kind: 'volume', Scope: 'workspace', Status: 'available', Size: 1 },
      expect.objectContaining({ Name: `snapshot for ${src.imageName}`, Kind: 'volume', Scope: 'workspace' }),
      expect.objectContaining({ Name: src.imageName, Kind: 'instance', Scope: 'workspace', Status: 'active', Size: 1 }),
      expect.objectContaining({ ID: ownSnap, Kind: 'volume', Scope: 'namespace' }),
    ]));
    expect(rows).toHaveLength(4);
    expect(wsSnap.ID).not.toBe(src.snapId);
    const table = (await ss(w, demo, ['snapshot', 'list'])).stdout;
    expect(table.split('\n')[1]).toMatch(/^\| ID +\| Name +\| Kind +\| Scope +\| Status +\| Size \|$/);
    expect(table).toMatch(new RegExp(`\\| ${wsSnap.ID} \\| ${src.snapName} +\\| volume +\\| workspace \\| available +\\| +1 \\|`));
    const workspace = await ssJson<any[]>(w, demo, ['snapshot', 'list', '--scope', 'workspace', '-c', 'Scope']);
    expect(workspace).toEqual([{ Scope: 'workspace' }, { Scope: 'workspace' }, { Scope: 'workspace' }]);
    expect((await ss(w, demo, ['snapshot', 'list', '--scope', 'namespace', '-f', 'value', '-c', 'ID'])).stdout).toBe(`${ownSnap}\n`);
    const image = (await ssJson(w, demo, ['image', 'show', src.imageName]));
    expect(image).toMatchObject({ visibility: 'public', owner: 'workspace', properties: expect.objectContaining({ snapstack_scope: 'workspace' }) });
    // The workspace folder is listed too.
    expect(await ssJson<any[]>(w, demo, ['snapshot', 'archive', 'list', '--workspace', '-c', 'Name', '-c', 'Scope', '-c', 'Status'])).toEqual([
      { Name: src.archive, Scope: 'workspace', Status: 'valid' }, { Name: src.imageArchive, Scope: 'workspace', Status: 'valid' },
    ].sort((x, y) => (x.Name < y.Name ? -1 : 1)));
  });

  it('a project cannot delete or rename a workspace snapshot: the API\'s 403, exit 1', async () => {
    const id = wsSnap.ID;
    const apiMessage = (await demoW.request('DELETE', `${VOL}/snapshots/${id}`)).body.forbidden.message;
    expect(apiMessage).toBe(`Snapshot ${id} is a workspace snapshot: projects can restore from it but not change or delete it.`);
    const esc = apiMessage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const del = await ss(w, demo, ['volume', 'snapshot', 'delete', id]);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(new RegExp(`^Failed to delete snapshot with name or ID '${id}': ${esc} \\(HTTP 403\\) ${REQ}\\n1 of 1 snapshots failed to delete\\.\\n$`));
    const rename = await ss(w, demo, ['volume', 'snapshot', 'set', '--name', 'mine', src.snapName]);
    expect(rename.code).toBe(1);
    expect(rename.stderr).toMatch(new RegExp(`^Failed to update snapshot name or description: ${esc} \\(HTTP 403\\) ${REQ}\\nOne or more of the set operations failed\\n$`));
    expect((await ss(w, demo, ['volume', 'snapshot', 'show', '-f', 'value', '-c', 'name', id])).stdout).toBe(`${src.snapName}\n`);
    // Restoring from it is allowed, and the data is the source's.
    const vol = await ssJson(w, demo, ['volume', 'create', '--snapshot', id, '--size', '1', '--wait', randomName('from-ws')]);
    expect(await onVolume(w, demoW, vol.id, FINGERPRINT)).toEqual(src.fp);
  });
});
