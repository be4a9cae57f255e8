/**
 * `npm run bench:archive`: export and import of a snapshot of 1 GiB of volume data through the
 * API (POST .../export until its job succeeds; POST /v1/archives/import), beside the seed
 * procedure users follow without Snapstack: `tar -czf` of the volume's data, then `tar -xzf`
 * into a new Docker volume (busybox, through containers). Then 1 % of the data changes and an
 * incremental export is compared with the full one.
 *
 * The data is 1024 files of 1 MiB of random bytes plus 200 small files: overlay copies a
 * changed file whole into the next layer, so "1 % changed" means 1 % of the files rewritten
 * (a byte changed in one 1 GiB file would put the whole file in the incremental archive).
 *
 * Needs a Docker engine and root (the overlay driver, archives). Uses DATABASE_URL when set,
 * else embedded PGlite. Targets (issue 7): export at least 3x faster than tar -czf; incremental
 * after 1 % changed at most 5 % of the full archive.
 */
import fs from 'fs';
import path from 'path';
import { Api, MiB, median, now, printTable, runContainer, runMain, sleep, withSnapstack } from './bench-helpers';

const FILES = Number(process.env.BENCH_FILES || 1024);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);

/** POST export, then poll the job: the time a user waits for the file. */
async function exportAndWait(api: Api, snapshotId: string, body: Record<string, string>): Promise<{ name: string; ms: number }> {
  const started = now();
  const res = await api.request('POST', `/snapstack/v1/snapshots/${snapshotId}/export`, body);
  if (res.status !== 202) throw new Error(`export: ${res.status} ${JSON.stringify(res.body)}`);
  for (;;) {
    const job = (await api.request('GET', `/snapstack/v1/jobs/${res.body.job.id}`)).body.job;
    if (job.status === 'succeeded') return { name: res.body.archive.name, ms: now() - started };
    if (job.status === 'failed') throw new Error(`export failed: ${job.error}`);
    await sleep(5);
  }
}

async function main(): Promise<void> {
  await withSnapstack('archive-bench', async ({ app, api: demo, docker, work }) => {
    const config = app.config;
    const image = config.helperImage;
    const run = (binds: string[], script: string) => runContainer(docker, image, app.instanceId, binds, script);
    const alt = await Api.login(app.url, 'alt_demo');
    const mount = async (api: Api, volumeId: string) => (await app.volume.prepareMount(api.projectId, volumeId)).dockerVolume;

    const vol = (await demo.createAndWait('volumes', { volume: { size: 2, name: 'bench-archive' } })).id;
    process.stdout.write(`filling the volume: ${FILES} files of 1 MiB of random data and 200 small files...`);
    let t = now();
    await run([`${await mount(demo, vol)}:/data`],
      `mkdir -p /data/small /data/big && for i in $(seq 1 200); do echo $i > /data/small/$i; done && `
      + `i=0; while [ $i -lt ${FILES} ]; do dd if=/dev/urandom of=/data/big/f$i bs=1M count=1 2>/dev/null; i=$((i+1)); done && sync`);
    console.log(` ${((now() - t) / 1000).toFixed(1)} s`);
    const dataBytes = FILES * MiB;
    const snap1 = (await demo.createAndWait('snapshots', { snapshot: { volume_id: vol, name: 'bench-1' } })).id;

    // Snapstack: export (job) and import (synchronous), REPEATS times each, with the process's peak RSS.
    let peakRss = 0;
    const baseRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const exportMs: number[] = [];
    const importMs: number[] = [];
    let fullName = '';
    const demoFolder = path.join(config.dataDir, 'snapshots', demo.projectId);
    const altFolder = path.join(config.dataDir, 'snapshots', alt.projectId);
    fs.mkdirSync(altFolder, { recursive: true });
    for (let i = 0; i < REPEATS; i++) {
      const ex = await exportAndWait(demo, snap1, { file_name: `full-${i}.tar` });
      exportMs.push(ex.ms);
      fullName = ex.name;
      fs.copyFileSync(path.join(demoFolder, ex.name), path.join(altFolder, ex.name));
      t = now();
      const imp = await alt.request('POST', '/snapstack/v1/archives/import', { file: ex.name });
      if (imp.status !== 201) throw new Error(`import: ${imp.status} ${JSON.stringify(imp.body)}`);
      importMs.push(now() - t);
      if (i === 0) {
        // The imported snapshot holds the data (checked: file count and bytes through a restored volume).
        const restored = (await alt.createAndWait('volumes', { volume: { snapshot_id: imp.body.import.snapshots[0].id, name: 'bench-restored' } })).id;
        const out = await run([`${await mount(alt, restored)}:/data:ro`], 'ls /data/big | wc -l; du -sk /data/big | cut -f1');
        const [files, kib] = out.trim().split(/\s+/).map(Number);
        if (files !== FILES || kib < FILES * 1024) throw new Error(`restored volume holds ${files} files, ${kib} KiB`);
      }
    }
    clearInterval(sampler);
    const fullBytes = fs.statSync(path.join(demoFolder, fullName)).size;

    // The seed procedure: tar -czf of the volume, tar -xzf into a new volume.
    const backup = fs.mkdtempSync(path.join(work, 'tar-'));
    t = now();
    await run([`${await mount(demo, vol)}:/data:ro`, `${backup}:/backup`], 'tar -czf /backup/volume.tgz -C /data . && sync');
    const tarCzfMs = now() - t;
    const tgzBytes = fs.statSync(path.join(backup, 'volume.tgz')).size;
    const restoreName = `snapstack-bench-${app.instanceId}-restore`;
    t = now();
    await docker.createVolume({ Name: restoreName, Labels: { 'snapstack.managed': 'true', 'snapstack.instance': app.instanceId } });
    await run([`${restoreName}:/restore`, `${backup}:/backup:ro`], 'tar -xzf /backup/volume.tgz -C /restore && sync');
    const tarXzfMs = now() - t;
    await docker.getVolume(restoreName).remove({ force: true }).catch(() => undefined);
    fs.rmSync(backup, { recursive: true, force: true });

    // 1 % of the data changes (files rewritten), then an incremental export relative to the full one.
    const changed = Math.max(1, Math.round(FILES / 100));
    await run([`${await mount(demo, vol)}:/data`],
      `i=0; while [ $i -lt ${changed} ]; do dd if=/dev/urandom of=/data/big/f$((i*97 % ${FILES})) bs=1M count=1 conv=notrunc 2>/dev/null; i=$((i+1)); done; sync`);
    const snap2 = (await demo.createAndWait('snapshots', { snapshot: { volume_id: vol, name: 'bench-2' } })).id;
    const incr = await exportAndWait(demo, snap2, { base_archive: fullName, file_name: 'incr.tar' });
    const incrBytes = fs.statSync(path.join(demoFolder, incr.name)).size;
    const full2 = await exportAndWait(demo, snap2, { file_name: 'after-change.tar' });
    const full2Bytes = fs.statSync(path.join(demoFolder, full2.name)).size;

    const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);
    const mb = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
    const rate = (b: number, x: number) => `${(b / MiB / (x / 1000)).toFixed(0)} MiB/s`;
    console.log(`\n${(dataBytes / MiB).toFixed(0)} MiB of data in ${FILES + 200} files; Snapstack times: median of ${REPEATS}, through the HTTP API\n`);
    const rows = [
      ['snapstack export (full)', ms(median(exportMs)), rate(dataBytes, median(exportMs)), mb(fullBytes)],
      ['tar -czf (busybox, in a container)', ms(tarCzfMs), rate(dataBytes, tarCzfMs), mb(tgzBytes)],
      ['snapstack import (checked, registered)', ms(median(importMs)), rate(dataBytes, median(importMs)), ''],
      ['tar -xzf into a new volume', ms(tarXzfMs), rate(dataBytes, tarXzfMs), ''],
      [`snapstack export (incremental, ${changed} of ${FILES} files changed)`, ms(incr.ms), '', mb(incrBytes)],
      ['snapstack export (full, after the change)', ms(full2.ms), rate(dataBytes, full2.ms), mb(full2Bytes)],
    ];
    printTable(['operation', 'time', 'rate', 'archive'], rows);
    const exportVsTar = tarCzfMs / median(exportMs);
    const importVsTar = tarXzfMs / median(importMs);
    const incrRatio = incrBytes / full2Bytes;
    console.log('\nRatios');
    console.log(`  export vs tar -czf:                      ${exportVsTar.toFixed(1)}x faster  (target >= 3x)  ${exportVsTar >= 3 ? 'OK' : 'MISSED'}`);
    console.log(`  import vs tar -xzf:                      ${importVsTar.toFixed(1)}x faster`);
    console.log(`  (export + import) vs (czf + xzf):        ${((tarCzfMs + tarXzfMs) / (median(exportMs) + median(importMs))).toFixed(1)}x faster`);
    console.log(`  incremental after 1 % changed vs full:   ${(100 * incrRatio).toFixed(2)} %  (target <= 5 %)  ${incrRatio <= 0.05 ? 'OK' : 'MISSED'}`);
    console.log(`  memory: peak RSS during exports and imports ${mb(peakRss)} (${mb(baseRss)} before them)`);
  });
}

runMain(main);
