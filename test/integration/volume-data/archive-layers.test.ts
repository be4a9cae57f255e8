// The overlay driver's archive support on a real engine: a snapshot chain holding whiteouts,
// an opaque directory, hard links, owners and modes goes out through the archive writer and
// comes back on another instance (own data dir) through the reader, reading the same; a
// refused import leaves nothing; flattening cannot take layers an export holds.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { requireCapability, type VolumeDataDriver } from '../../../src/volume/data/volume-data-driver';
import { asImported, exportSnapshot, importArchive } from './volume-data-archives';
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
