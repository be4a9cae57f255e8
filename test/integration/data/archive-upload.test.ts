/**
 * Archives from anywhere: an archive downloaded from one Snapstack is uploaded into another's
 * snapshots folder over HTTP (PUT /snapstack/v1/archives/{name}), imported and restored with the
 * same bytes. Refusals (too large, cut short, not an archive, a taken name, another project's
 * workspace write) answer in the service's shape and leave no file behind.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startHarness, type Harness, type Session } from '../../support/snapstack-harness';
import { exportAndWait, newSnapshot, newVolume, onVolume, projectFolder, snapshotFingerprint, SS } from '../../support/archive-helpers';

jest.setTimeout(300_000);

async function put(h: Harness, s: Session, name: string, body: Buffer, query = ''): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}${SS}/archives/${name}${query}`, {
    method: 'PUT',
    headers: { 'X-Auth-Token': s.token, 'Content-Type': 'application/x-tar' },
    body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

describe('uploading archives into a snapshots folder', () => {
  let a: Harness;
  let b: Harness;
  let demoA: Session;
  let demoB: Session;
  let adminB: Session;
  let archive: Buffer;
  let archiveName: string;
  let fingerprint: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startHarness(), startHarness({ maxUploadBytes: 4 * 1024 * 1024, workspaceDir: fs.mkdtempSync(path.join(os.tmpdir(), 'ss-ws-')) })]);
    [demoA, demoB, adminB] = await Promise.all([a.login('demo'), b.login('demo'), b.login('admin')]);
    const vol = await newVolume(demoA);
    await onVolume(a, demoA, vol, 'set -e; cd /data; mkdir d; echo hello > d/hello; head -c 100000 /dev/urandom > blob');
    const snap = await newSnapshot(demoA, vol, 'uploaded');
    fingerprint = await snapshotFingerprint(a, demoA, snap);
    archiveName = await exportAndWait(demoA, `${SS}/snapshots/${snap}/export`, { file_name: 'up.tar' });
    const dl = await fetch(`${a.url}${SS}/archives/${archiveName}/download`, { headers: { 'X-Auth-Token': demoA.token } });
    archive = Buffer.from(await dl.arrayBuffer());
  });

  afterAll(async () => {
    for (const h of [a, b]) if (h) await h.stop();
  });

  const hidden = (s: Session) => fs.readdirSync(projectFolder(b, s)).filter((n) => n.startsWith('.'));

  test('an uploaded archive is listed, imported and restored with the same data', async () => {
    const res = await put(b, demoB, 'moved.tar', archive);
    expect(res.status).toBe(201);
    expect(res.body.archive).toMatchObject({ name: 'moved.tar', scope: 'namespace', valid: true, verified: true, size: archive.length, kind: 'volume-snapshot' });
    const listed = (await demoB.request('GET', `${SS}/archives`)).body.archives.map((x: any) => x.name);
    expect(listed).toEqual(['moved.tar']);
    expect(fs.readFileSync(`${projectFolder(b, demoB)}/moved.tar`).equals(archive)).toBe(true);

    const imp = await demoB.request('POST', `${SS}/archives/import`, { file: 'moved.tar' });
    expect(imp.status).toBe(201);
    expect(await snapshotFingerprint(b, demoB, imp.body.import.snapshots[0].id)).toEqual(fingerprint);
  });

  test('a taken name is refused with 409 and the first file is kept', async () => {
    const res = await put(b, demoB, 'moved.tar', Buffer.from('other bytes'));
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/already in the snapshots folder/);
    expect(fs.readFileSync(`${projectFolder(b, demoB)}/moved.tar`).equals(archive)).toBe(true);
  });

  test('bytes that are not an archive, or an archive cut short, are refused with 400 and nothing is kept', async () => {
    const garbage = await put(b, demoB, 'garbage.tar', Buffer.alloc(10_240, 7));
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.message).toMatch(/^Invalid archive: /);
    const cut = await put(b, demoB, 'cut.tar', archive.subarray(0, Math.floor(archive.length / 2)));
    expect(cut.status).toBe(400);
    const names = (await demoB.request('GET', `${SS}/archives`)).body.archives.map((x: any) => x.name);
    expect(names).toEqual(['moved.tar']);
    expect(hidden(demoB)).toEqual([]);
  });

  test('over the upload limit: 413 in the service shape, whether the length is declared or not', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024);
    const declared = await put(b, demoB, 'big.tar', big);
    expect(declared.status).toBe(413);
    expect(declared.body.error.message).toMatch(/upload limit of 4194304 bytes/);
    // Without Content-Length (chunked): counted as it streams.
    const res = await fetch(`${b.url}${SS}/archives/big2.tar`, {
      method: 'PUT',
      headers: { 'X-Auth-Token': demoB.token, 'Content-Type': 'application/x-tar' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(1024 * 1024));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(hidden(demoB)).toEqual([]);
  });

  test('names are checked, and only an admin writes into the workspace folder', async () => {
    expect((await put(b, demoB, '.hidden.tar', archive)).status).toBe(400);
    const denied = await put(b, demoB, 'x.tar', archive, '?scope=workspace');
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe('Only an admin adds archives to the workspace folder.');
    const ws = await put(b, adminB, 'shared.tar', archive, '?scope=workspace');
    expect(ws.status).toBe(201);
    expect(ws.body.archive).toMatchObject({ name: 'shared.tar', scope: 'workspace', valid: true });
    expect((await demoB.request('GET', `${SS}/archives?scope=workspace`)).body.archives.map((x: any) => x.name)).toEqual(['shared.tar']);
    const noToken = await fetch(`${b.url}${SS}/archives/anon.tar`, { method: 'PUT', body: archive });
    expect(noToken.status).toBe(401);
    expect(adminB.projectId).not.toBe(demoB.projectId);
    // Each project's folder is its own.
    expect((await adminB.request('GET', `${SS}/archives`)).body.archives).toEqual([]);
    expect(fs.readdirSync(b.app.config.workspaceDir!).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
