/**
 * Hostile archives (issue 16): each is refused with 400 and leaves nothing behind: no file
 * under the data directory, no row, no Docker image, no tag moved. Layers that are imported
 * lose setuid/setgid bits and group/world write; the data directory is the service's alone.
 */
import Docker from 'dockerode';
import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { startHarness, type Harness, type Session } from '../../support/snapstack-harness';
import { craftArchive, plainLayer, sha256, tarOf } from '../../support/archive-craft';
import { onVolume, newVolume, projectFolder, rowCounts, SS, tree } from '../../support/archive-helpers';

jest.setTimeout(120_000);

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const BASE_IMAGE = process.env.SNAPSTACK_BASE_IMAGE || 'snapstack/busybox:latest';

async function instanceImages(h: Harness): Promise<string[]> {
  const list = await docker.listImages({ all: true, filters: JSON.stringify({ label: [`snapstack.instance=${h.app.instanceId}`] }) });
  return list.map((i) => i.Id).sort();
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** `docker save` of the base image by id (no names), with `edit` applied to each entry. */
async function savedBaseImage(edit: (name: string, data: Buffer) => Buffer | null = (_n, d) => d, add: Array<{ name: string; data: Buffer }> = []): Promise<Buffer> {
  const id = (await docker.getImage(BASE_IMAGE).inspect()).Id;
  const saved = await collect(await docker.getImage(id).get());
  const ex = tarExtract();
  const p = tarPack();
  const out = collect(p as unknown as NodeJS.ReadableStream);
  ex.on('entry', (header, stream, next) => {
    void collect(stream as unknown as NodeJS.ReadableStream).then((data) => {
      const edited = header.type === 'file' ? edit(header.name, data) : data;
      if (edited === null) return next();
      p.entry({ ...header, size: edited.length }, edited, next);
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    ex.end(saved);
  });
  for (const a of add) await new Promise<void>((resolve, reject) => p.entry({ name: a.name }, a.data, (err) => (err ? reject(err) : resolve())));
  p.finalize();
  return out;
}

describe('hostile archives are refused with 400, nothing left behind', () => {
  let h: Harness;
  let demo: Session;
  const planted = `snapstack-hostile/planted-${randomBytes(4).toString('hex')}:latest`;

  beforeAll(async () => {
    h = await startHarness();
    demo = await h.login('demo');
  });
  afterAll(async () => {
    await docker.getImage(planted).remove().catch(() => undefined);
    await h?.stop();
  });

  async function refused(buffer: Buffer, message: RegExp): Promise<void> {
    const name = `hostile-${randomBytes(4).toString('hex')}.tar`;
    fs.writeFileSync(path.join(projectFolder(h, demo), name), buffer);
    await h.app.jobs.idle();
    const before = { tree: tree(h.dataDir), rows: await rowCounts(h), images: await instanceImages(h), base: (await docker.getImage(BASE_IMAGE).inspect()).Id };
    const res = await demo.request('POST', `${SS}/archives/import`, { file: name });
    expect({ status: res.status, message: res.body?.error?.message }).toEqual({ status: 400, message: expect.stringMatching(message) });
    expect(res.body.error.message).toMatch(/^Invalid archive: /);
    expect(tree(h.dataDir)).toEqual(before.tree);
    expect(await rowCounts(h)).toEqual(before.rows);
    expect(await instanceImages(h)).toEqual(before.images);
    expect((await docker.getImage(BASE_IMAGE).inspect()).Id).toBe(before.base);
    fs.rmSync(path.join(projectFolder(h, demo), name));
  }

  test('an inner layer entry declaring more bytes than the layer holds (outer sizes and checksums right)', async () => {
    const full = await tarOf([{ name: './', type: 'directory' }, { name: 'big', data: Buffer.alloc(100_000, 7) }]);
    const cut = full.subarray(0, 60_000);
    const layer = { id: 'cut-1', entries: [{ name: './', type: 'directory' as const }, { name: 'big', data: 'x' }] };
    const { buffer } = await craftArchive({
      layers: [layer], replaceLayer: { 'cut-1': cut },
      manifest: (m) => Object.assign(m.volumes[0].layers[0], { sha256: sha256(cut), bytes: cut.length }),
    });
    await refused(buffer, /layer cut-1: .*(truncated|end)/i);
  });

  test('an archive cut inside a layer, at every kind of place (headers, data, between entries)', async () => {
    const files = Array.from({ length: 12 }, (_, i) => ({ name: `f${i}`, data: Buffer.alloc(9_000 + i * 777, i) }));
    const { buffer } = await craftArchive({ layers: [plainLayer('cut-2', files)] });
    const start = buffer.indexOf('layers/cut-2.tar') + 512;
    for (const at of [start + 10, start + 512, start + 700, start + 20_000, start + 40_960, start + 65_536, start + 90_001]) {
      await refused(buffer.subarray(0, at), /truncated/);
    }
  });

  test('a garbage images/root.tar with correct sizes and checksums', async () => {
    const { buffer } = await craftArchive({ layers: [], rootImage: randomBytes(64 * 1024) });
    await refused(buffer, /images\/root\.tar is not a root image Snapstack loads/);
  });

  test('a root.tar that is a tar but not a docker image', async () => {
    const { buffer } = await craftArchive({ layers: [], rootImage: await tarOf([{ name: 'hello', data: Buffer.alloc(4096, 1) }]) });
    await refused(buffer, /holds no manifest\.json/);
  });

  test('a root.tar naming tags (RepoTags): neither a new tag is planted nor the base image moved', async () => {
    const root = await savedBaseImage((name, data) => {
      if (name !== 'manifest.json') return data;
      const m = JSON.parse(data.toString());
      m[0].RepoTags = [BASE_IMAGE, planted];
      return Buffer.from(JSON.stringify(m));
    });
    const { buffer } = await craftArchive({ layers: [], rootImage: root });
    await refused(buffer, /names the image tag\(s\)/);
    await expect(docker.getImage(planted).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  test('a root.tar naming tags through the legacy repositories file', async () => {
    const id = (await docker.getImage(BASE_IMAGE).inspect()).Id.replace('sha256:', '');
    const [repo, tag] = planted.split(':');
    const root = await savedBaseImage((name, data) => (name === 'repositories' ? null : data), [{ name: 'repositories', data: Buffer.from(JSON.stringify({ [repo]: { [tag]: id } })) }]);
    const { buffer } = await craftArchive({ layers: [], rootImage: root });
    await refused(buffer, /repositories file names image tags/);
    await expect(docker.getImage(planted).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  test('setuid/setgid and group/world write are dropped on import (a sticky /tmp-like directory stays open); the data directory is private', async () => {
    const layer = {
      id: 'modes-1',
      entries: [
        { name: './', type: 'directory' as const, mode: 0o755 },
        { name: 'pub/', type: 'directory' as const, mode: 0o1777 },
        { name: 'open/', type: 'directory' as const, mode: 0o777 },
        { name: 'sgdir/', type: 'directory' as const, mode: 0o3777 },
        { name: 'suid', data: '#!/bin/sh\n', mode: 0o4755 },
        { name: 'sgid', data: '#!/bin/sh\n', mode: 0o2775 },
        { name: 'pub/ww', data: 'w\n', mode: 0o666 },
        { name: 'plain', data: 'p\n', mode: 0o640 },
      ],
    };
    const { buffer } = await craftArchive({ layers: [layer] });
    const name = `modes-${randomBytes(4).toString('hex')}.tar`;
    fs.writeFileSync(path.join(projectFolder(h, demo), name), buffer);
    const res = await demo.request('POST', `${SS}/archives/import`, { file: name });
    expect(res.status).toBe(201);
    const vol = await newVolume(demo, { snapshot_id: res.body.import.snapshots[0].id });
    const modes = await onVolume(h, demo, vol, 'cd /data && stat -c "%n %a" pub open sgdir suid sgid pub/ww plain');
    // A root file system's /tmp (1777) must work after a restore; the sticky bit keeps each user to
    // their own files there, and the layer tree above it is the service's alone (0700).
    expect(modes.trim().split('\n')).toEqual(['pub 1777', 'open 755', 'sgdir 1777', 'suid 755', 'sgid 755', 'pub/ww 644', 'plain 640']);
    for (const dir of [h.dataDir, path.join(h.dataDir, 'cow'), path.join(h.dataDir, 'cow', 'l')]) {
      expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
    }
  });
});
