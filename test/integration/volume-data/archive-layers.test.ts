// The overlay driver's archive support on a real engine: a snapshot chain holding whiteouts,
// an opaque directory, hard links, owners and modes goes out through the archive writer and
// comes back on another instance (own data dir) through the reader, reading the same; a
// refused import leaves nothing; flattening cannot take layers an export holds.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createReadStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { readArchive } from '../../../src/archive/archive-reader';
import { writeArchive, type LayerToWrite } from '../../../src/archive/archive-writer';
import { createLogger } from '../../../src/logger';
import type { ArchiveManifest } from '../../../src/archive/archive-format';
import { requireCapability, type VolumeDataDriver } from '../../../src/volume/data/volume-data-driver';
import { craftArchive, plainLayer } from '../../support/archive-craft';
import { VolumeDataHarness, describeWithDocker, newId } from './volume-data-harness';

jest.setTimeout(180_000);

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const name of (await fs.readdir(path.join(dir, rel))).sort()) {
      const p = path.join(rel, name);
      out.push(p);
      const st = await fs.lstat(path.join(dir, p));
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk('');
  return out;
}

async function exportSnapshot(driver: VolumeDataDriver, snapshotId: string, file: string, base?: ArchiveManifest) {
  const ex = await requireCapability(driver, 'archives').openExport([snapshotId]);
  try {
    const chain = ex.chains.get(snapshotId)!;
    const baseIds = new Set(base ? base.volumes.flatMap((v) => v.layers.map((l) => l.id)) : []);
    const baseFacts = new Map(base ? base.volumes.flatMap((v) => v.layers.map((l) => [l.id, l] as const)) : []);
    const manifest: ArchiveManifest = {
      format: 'snapstack-archive', version: 1, archive_id: randomUUID(), created_at: new Date().toISOString(), kind: 'volume-snapshot',
      source: { instance_id: 'x', project_id: 'p1', project_name: null, snapshot_id: snapshotId, image_id: null, name: null },
      image: null,
      volumes: [{ snapshot_id: snapshotId, name: null, description: null, size_gb: 1, device: null, boot_index: null, bootable: false,
        layers: chain.map((l) => baseFacts.get(l.id) ?? { id: l.id, sha256: '', bytes: 0, files: 0 }) }],
      base: base ? { archive_id: base.archive_id, layer_ids: [...baseIds] } : null,
    };
    const layers = new Map<string, LayerToWrite>();
    for (const l of chain) {
      if (baseIds.has(l.id)) continue;
      layers.set(l.id, { id: l.id, entries: await ex.entries(l.id), open: (e) => ex.open(l.id, e) });
    }
    const written = await writeArchive(file, manifest, layers, { log: createLogger('silent') });
    for (const [id, sha] of written.digests) await ex.recordDigest(id, sha);
    return written.manifest;
  } finally {
    ex.release();
  }
}

async function importArchive(driver: VolumeDataDriver, file: string, projectId: string): Promise<string> {
  const session = await requireCapability(driver, 'archives').beginImport();
  try {
    const snapshotId = newId('imp');
    const result = await readArchive(createReadStream(file), {
      onManifest: async (m) => {
        const needed = m.base?.layer_ids ?? [];
        const found = await session.findExisting(needed, [projectId]);
        const missing = needed.filter((id) => m.volumes[0].layers.some((l) => l.id === id) && !found.has(id));
        if (missing.length) throw new Error(`base layers missing: ${missing.join(', ')}`);
      },
      layerSink: (l) => session.stage(l.id),
    });
    await session.commit(
      [{ snapshotId, projectId, volumeId: newId('phantom'), chain: result.manifest.volumes[0].layers.map((l) => l.id) }],
      result.digests,
    );
    return snapshotId;
  } catch (err) {
    await session.abort();
    throw err;
  }
}

describeWithDocker('archive layers (overlay-docker)', () => {
  const h = new VolumeDataHarness();
  let a: VolumeDataDriver;
  let b: VolumeDataDriver;
  let bDir: string;

  beforeAll(async () => {
    await h.setup();
    a = await h.driver('overlay-docker');
    const other = h.newInstance();
    bDir = other.dataDir;
    b = await h.driver('overlay-docker', other);
  });
  afterAll(() => h.teardown());

  /** A fingerprint's modes as an import keeps them: no setuid/setgid, no group/world write. */
  const asImported = (fp: string) => fp.split('\n').map((line) => {
    const f = line.split('|');
    if (f.length > 2 && f[1] !== 'symbolic link' && /^[0-7]+$/.test(f[2])) f[2] = (parseInt(f[2], 8) & (f[1] === 'directory' && (parseInt(f[2], 8) & 0o1000) ? ~0o6000 : ~0o6022)).toString(8);
    return f.join('|');
  }).join('\n');

  it('a chain with whiteouts, an opaque dir, hard links and owners reads the same on another instance; incremental too', async () => {
    const vol = newId('vol');
    await a.createVolume(vol, { projectId: 'p1' });
    await h.write(a, vol, `mkdir -p d/sub keep; echo old > d/old; echo sub > d/sub/x; echo gone > gone; echo k > keep/k;
      head -c 300000 /dev/urandom > big; ln big big.hard; ln -s keep/k rel-link; chown -R 1234:5678 keep; chmod 0751 keep; chmod 4755 big`);
    const s1 = newId('s1');
    await a.createSnapshot(s1, vol, { projectId: 'p1' });
    // Replace a directory (opaque), delete a file (whiteout), add one.
    await h.write(a, vol, `rm -rf d; mkdir d; echo new > d/new; rm gone; echo added > added; chmod 700 /data`);
    const s2 = newId('s2');
    await a.createSnapshot(s2, vol, { projectId: 'p1' });
    const fp1 = await h.snapshotFingerprint(a, s1);
    const fp2 = await h.snapshotFingerprint(a, s2);
    expect(fp1).toContain('./big|regular file|4755|');
    expect(fp2).toContain('./d/new|');
    expect(fp2).not.toContain('./d/old|');
    expect(fp2).not.toContain('./gone|');

    const dir = await fs.mkdtemp(path.join(h.dataDir, 'out-'));
    const full1 = await exportSnapshot(a, s1, path.join(dir, 's1.tar'));
    const full2 = await exportSnapshot(a, s2, path.join(dir, 's2.tar'));
    expect(full2.volumes[0].layers).toHaveLength(2);
    const incr = await exportSnapshot(a, s2, path.join(dir, 's2-incr.tar'), full1);
    expect(incr.base?.layer_ids).toEqual(full1.volumes[0].layers.map((l) => l.id));
    const incrSize = (await fs.stat(path.join(dir, 's2-incr.tar'))).size;
    expect(incrSize).toBeLessThan((await fs.stat(path.join(dir, 's2.tar'))).size / 4);

    // Incremental: refused while the base is missing, read the same once it is imported.
    await expect(importArchive(b, path.join(dir, 's2-incr.tar'), 'q1')).rejects.toThrow(/base layers missing/);
    const i1 = await importArchive(b, path.join(dir, 's1.tar'), 'q1');
    // An import drops setuid/setgid and group/world write (issue 16); everything else reads the same.
    expect(await h.snapshotFingerprint(b, i1)).toEqual(asImported(fp1));
    expect(asImported(fp1)).toContain('./big|regular file|755|');
    // Another project does not see q1's layers.
    await expect(importArchive(b, path.join(dir, 's2-incr.tar'), 'q2')).rejects.toThrow(/base layers missing/);
    const i3 = await importArchive(b, path.join(dir, 's2-incr.tar'), 'q1');
    expect(await h.snapshotFingerprint(b, i3)).toEqual(asImported(fp2));
    const i2 = await importArchive(b, path.join(dir, 's2.tar'), 'q3');
    expect(await h.snapshotFingerprint(b, i2)).toEqual(asImported(fp2));

    // Layers keep their ids: re-exported from b, the chain names the same layers.
    const again = await exportSnapshot(b, i3, path.join(dir, 'again.tar'));
    expect(again.volumes[0].layers.map((l) => l.id)).toEqual(full2.volumes[0].layers.map((l) => l.id));
    // Their bytes may differ from the first export (the import normalised modes); their data reads the same.
    const i4 = await importArchive(b, path.join(dir, 'again.tar'), 'q4');
    expect(await h.snapshotFingerprint(b, i4)).toEqual(asImported(fp2));
  });

  it('a refused import leaves nothing behind in the data dir', async () => {
    const before = await listTree(bDir);
    const dir = await fs.mkdtemp(path.join(h.dataDir, 'bad-'));
    const { buffer } = await craftArchive({ layers: [plainLayer('x-1', [{ name: 'up', type: 'symlink', linkname: '../../../etc' }])] });
    await fs.writeFile(path.join(dir, 'bad.tar'), buffer);
    await expect(importArchive(b, path.join(dir, 'bad.tar'), 'q1')).rejects.toThrow(/points outside the volume/);
    expect(await listTree(bDir)).toEqual(before);
  });

  it('an export holds its layers: a flatten meanwhile does not take them', async () => {
    const vol = newId('vol');
    await a.createVolume(vol, { projectId: 'p1' });
    for (let i = 0; i < 3; i++) {
      await h.write(a, vol, `echo ${i} > f${i}`);
      await a.createSnapshot(newId('chain'), vol, { projectId: 'p1' });
    }
    const snap = newId('snap');
    await a.createSnapshot(snap, vol, { projectId: 'p1' });
    const ex = await requireCapability(a, 'archives').openExport([snap]);
    try {
      const chain = ex.chains.get(snap)!;
      await requireCapability(a, 'flatten').flatten(snap);
      for (const l of chain) expect((await ex.entries(l.id)).length).toBeGreaterThan(0);
    } finally {
      ex.release();
    }
  });
});
