/**
 * `npm run bench:snapshot`: what a snapshot and a volume-from-snapshot cost through the
 * Cinder API (POST, then polling GET until `available`), for volumes holding 64 MiB, 1 GiB
 * and 4 GiB of random data, beside the procedure users follow without Snapstack: `tar -czf`
 * of the volume's data, then `tar -xzf` into a new Docker volume, both through containers.
 *
 * Needs a Docker engine (the copy-on-write driver) and the helper image
 * (scripts/build-base-image.sh). Uses DATABASE_URL when set, else embedded PGlite.
 * Targets (issue 3): snapshot at 4 GiB within 1.2x of 64 MiB; at 1 GiB, at least 100x faster than tar.
 */
import fs from 'fs';
import path from 'path';
import type Docker from 'dockerode';
import type { Snapstack } from '../src/app';
import { Api, fmtMs, median, MiB, now, printTable, runContainer, runMain, withSnapstack } from './bench-helpers';

const SIZES = [
  { label: '64 MiB', mib: 64, gib: 1 },
  { label: '1 GiB', mib: 1024, gib: 1 },
  { label: '4 GiB', mib: 4096, gib: 4 },
];
const REPEATS = Number(process.env.BENCH_REPEATS || 9);

interface Row {
  label: string;
  snapshotMs: number;
  fromSnapshotMs: number;
  tarCzfMs: number;
  tarXzfMs: number;
  archiveMiB: number;
}

async function benchOne(app: Snapstack, api: Api, docker: Docker, work: string, size: (typeof SIZES)[number]): Promise<Row> {
  const image = app.config.helperImage;
  const mount = async (volumeId: string) => (await app.volume.prepareMount(api.projectId, volumeId)).dockerVolume;
  const vol = await api.createAndWait('volumes', { volume: { size: size.gib, name: `bench-${size.mib}` } });
  process.stdout.write(`  ${size.label}: filling with random data...`);
  const fillStarted = now();
  await runContainer(docker, image, app.instanceId, [`${await mount(vol.id)}:/data`],
    `mkdir -p /data/small && for i in $(seq 1 200); do echo $i > /data/small/$i; done && dd if=/dev/urandom of=/data/fill.bin bs=1M count=${size.mib} 2>/dev/null && sync`);
  process.stdout.write(` ${((now() - fillStarted) / 1000).toFixed(1)} s\n`);

  const snapshotMs: number[] = [];
  const fromSnapshotMs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    // A write before each snapshot, so none is the free "nothing changed" case.
    if (i > 0) await runContainer(docker, image, app.instanceId, [`${await mount(vol.id)}:/data`], `echo ${i} > /data/marker`);
    const snap = await api.createAndWait('snapshots', { snapshot: { volume_id: vol.id, name: `bench-${size.mib}-${i}` } });
    snapshotMs.push(snap.ms);
    const restored = await api.createAndWait('volumes', { volume: { snapshot_id: snap.id, name: `bench-${size.mib}-r${i}` } });
    fromSnapshotMs.push(restored.ms);
    if (i === 0) {
      // The restored volume holds the data (checked cheaply: the file's size).
      const out = await runContainer(docker, image, app.instanceId, [`${await mount(restored.id)}:/data:ro`], 'stat -c %s /data/fill.bin');
      if (Number(out.trim()) !== size.mib * MiB) throw new Error(`restored volume holds ${out.trim()} bytes, expected ${size.mib * MiB}`);
    }
  }

  // Without Snapstack: archive the volume's data, then unpack it into a new Docker volume.
  const backup = fs.mkdtempSync(path.join(work, 'tar-'));
  const t0 = now();
  await runContainer(docker, image, app.instanceId, [`${await mount(vol.id)}:/data:ro`, `${backup}:/backup`], 'tar -czf /backup/volume.tgz -C /data . && sync');
  const tarCzfMs = now() - t0;
  const archiveMiB = fs.statSync(path.join(backup, 'volume.tgz')).size / MiB;
  const restoreName = `snapstack-bench-${app.instanceId}-${size.mib}`;
  const t1 = now();
  await docker.createVolume({ Name: restoreName, Labels: { 'snapstack.managed': 'true', 'snapstack.instance': app.instanceId } });
  await runContainer(docker, image, app.instanceId, [`${restoreName}:/restore`, `${backup}:/backup:ro`], 'tar -xzf /backup/volume.tgz -C /restore && sync');
  const tarXzfMs = now() - t1;
  await docker.getVolume(restoreName).remove({ force: true }).catch(() => undefined);
  fs.rmSync(backup, { recursive: true, force: true });

  // Free the space before the next size.
  await api.purgeVolumes();
  return { label: size.label, snapshotMs: median(snapshotMs), fromSnapshotMs: median(fromSnapshotMs), tarCzfMs, tarXzfMs, archiveMiB };
}

function report(rows: Row[], driver: string): void {
  const header = ['data', 'snapshot', 'volume from snapshot', 'tar -czf', 'tar -xzf new volume', 'tar total', 'archive'];
  const lines = rows.map((r) => [r.label, fmtMs(r.snapshotMs), fmtMs(r.fromSnapshotMs), fmtMs(r.tarCzfMs), fmtMs(r.tarXzfMs), fmtMs(r.tarCzfMs + r.tarXzfMs), `${r.archiveMiB.toFixed(0)} MiB`]);
  console.log(`\nSnapstack ${driver}; Snapstack times: POST to status available through the HTTP API, median of ${REPEATS}\n`);
  printTable(header, lines);
  const small = rows.find((r) => r.label === '64 MiB')!;
  const gib = rows.find((r) => r.label === '1 GiB')!;
  const big = rows.find((r) => r.label === '4 GiB')!;
  const snapRatio = big.snapshotMs / small.snapshotMs;
  const restoreRatio = big.fromSnapshotMs / small.fromSnapshotMs;
  const vsTar = (gib.tarCzfMs + gib.tarXzfMs) / (gib.snapshotMs + gib.fromSnapshotMs);
  console.log('\nRatios');
  console.log(`  snapshot, 4 GiB vs 64 MiB:              ${snapRatio.toFixed(2)}x  (target <= 1.2x)  ${snapRatio <= 1.2 ? 'OK' : 'MISSED'}`);
  console.log(`  volume from snapshot, 4 GiB vs 64 MiB:  ${restoreRatio.toFixed(2)}x  (target <= 1.2x)  ${restoreRatio <= 1.2 ? 'OK' : 'MISSED'}`);
  console.log(`  at 1 GiB, tar (czf + xzf) vs snapstack (snapshot + volume from snapshot): ${vsTar.toFixed(0)}x faster  (target >= 100x)  ${vsTar >= 100 ? 'OK' : 'MISSED'}`);
}

async function main(): Promise<void> {
  await withSnapstack('bench', async ({ app, api, docker, work }) => {
    const rows: Row[] = [];
    for (const size of SIZES) rows.push(await benchOne(app, api, docker, work, size));
    report(rows, `${app.volume.driverKind} driver`);
  });
}

runMain(main);
