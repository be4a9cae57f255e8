/**
 * `npm run bench:boot`: how long a server booted from an instance snapshot takes to be ACTIVE
 * (POST /servers with imageRef = the snapshot image, then polling GET until ACTIVE), when the
 * snapshot's volumes hold 64 MiB, 1 GiB and 4 GiB of random data in all; beside the procedure
 * users follow without Snapstack: `tar -xzf` of each volume's archive into a new Docker volume,
 * then `docker run` of a container mounting them all.
 *
 * The source server is volume-backed: a root volume and two data volumes holding 1/4, 1/4 and
 * 1/2 of the data. Needs a Docker engine and the helper image (scripts/build-base-image.sh).
 * Uses DATABASE_URL when set, else embedded PGlite.
 * Targets (issue 5): boot at 4 GiB within 1.2x of 64 MiB and under 1 s; at 1 GiB at least 20x
 * faster than the tar procedure.
 */
import fs from 'fs';
import path from 'path';
import { KEEPALIVE_COMMAND } from '../src/compute/runtime/docker-server-runtime';
import { BenchEnv, bootAndWait, COMPUTE, containerOf, deleteAndWait, execIn, fmtMs, median, MiB, MV, now, printTable, runContainer, runMain, serverStatus, sleep, withSnapstack } from './bench-helpers';

const SIZES = [
  { label: '64 MiB', mib: 64 },
  { label: '1 GiB', mib: 1024 },
  { label: '4 GiB', mib: 4096 },
];
const REPEATS = Number(process.env.BENCH_REPEATS || 9);
/** Device, nominal size (GiB), share of the data. */
const DISKS = [
  { device: 'vda', gib: 1, share: 1 / 4 },
  { device: 'vdb', gib: 2, share: 1 / 4 },
  { device: 'vdc', gib: 4, share: 1 / 2 },
];

interface Row {
  label: string;
  bootMs: number;
  bootMinMs: number;
  bootMaxMs: number;
  tarCzfMs: number;
  tarProcedureMs: number;
  archiveMiB: number;
}

async function benchOne({ app, api, docker, work }: BenchEnv, size: (typeof SIZES)[number]): Promise<Row> {
  const helper = app.config.helperImage;
  const busybox = (await api.request('GET', '/image/v2/images?name=busybox')).body.images[0];
  // The source: volume-backed; its volumes, and those of servers booted from its snapshot, outlive the servers.
  const source = await bootAndWait(api, {
    name: `bench-src-${size.mib}`, imageRef: '', flavorRef: '1',
    block_device_mapping_v2: DISKS.map((d, i) => (i === 0
      ? { uuid: busybox.id, boot_index: 0, source_type: 'image', destination_type: 'volume', volume_size: d.gib }
      : { source_type: 'blank', destination_type: 'volume', volume_size: d.gib })),
  });
  const sourceContainer = (await containerOf(docker, app, source.id)).Id;
  process.stdout.write(`  ${size.label}: filling with random data...`);
  const fillStarted = now();
  for (const d of DISKS) {
    await execIn(docker, sourceContainer, `mkdir -p /mnt/${d.device}/small && for i in $(seq 1 200); do echo $i > /mnt/${d.device}/small/$i; done && `
      + `dd if=/dev/urandom of=/mnt/${d.device}/fill.bin bs=1M count=${Math.round(size.mib * d.share)} 2>/dev/null`);
  }
  await execIn(docker, sourceContainer, 'sync');
  process.stdout.write(` ${((now() - fillStarted) / 1000).toFixed(1)} s\n`);

  const snap = await api.request('POST', `${COMPUTE}/servers/${source.id}/action`, { createImage: { name: `bench-snap-${size.mib}` } }, MV);
  const image = (await api.request('GET', `/image/v2/images/${snap.body.image_id}`)).body;
  const mapping: any[] = JSON.parse(image.block_device_mapping);
  const sourceVolumes: string[] = (await serverStatus(api, source.id))['os-extended-volumes:volumes_attached'].map((v: any) => v.id);
  await api.request('DELETE', `${COMPUTE}/servers/${source.id}`);

  const bootMs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const booted = await bootAndWait(api, { name: `bench-boot-${size.mib}-${i}`, imageRef: image.id, flavorRef: '1' });
    bootMs.push(booted.ms);
    const volumes = (await serverStatus(api, booted.id))['os-extended-volumes:volumes_attached'].map((v: any) => v.id);
    if (i === 0) {
      // The new server reads the data (checked cheaply: each file's size).
      const c = (await containerOf(docker, app, booted.id)).Id;
      for (const d of DISKS) {
        const bytes = Number((await execIn(docker, c, `stat -c %s /mnt/${d.device}/fill.bin`)).trim());
        if (bytes !== Math.round(size.mib * d.share) * MiB) throw new Error(`/mnt/${d.device}/fill.bin holds ${bytes} bytes`);
      }
    }
    await deleteAndWait(api, booted.id, volumes);
  }

  // Without Snapstack: each volume's archive (made beforehand, timed apart) is unpacked into a
  // new Docker volume, then a container mounting them all is started.
  const backup = fs.mkdtempSync(path.join(work, 'tar-'));
  const mount = async (volumeId: string) => (await app.volume.prepareMount(api.projectId, volumeId)).dockerVolume;
  for (const v of sourceVolumes) {
    while ((await api.call('GET', `/volumes/${v}`)).body.volume.status !== 'available') await sleep(20);
  }
  const t0 = now();
  for (const d of DISKS) {
    const snapshotId = mapping.find((m) => m.device_name === `/dev/${d.device}`).snapshot_id;
    const volumeId = (await api.call('GET', `/snapshots/${snapshotId}`)).body.snapshot.volume_id;
    await runContainer(docker, helper, app.instanceId, [`${await mount(volumeId)}:/data:ro`, `${backup}:/backup`], `tar -czf /backup/${d.device}.tgz -C /data . && sync`);
  }
  const tarCzfMs = now() - t0;
  const archiveMiB = DISKS.reduce((n, d) => n + fs.statSync(path.join(backup, `${d.device}.tgz`)).size, 0) / MiB;
  const labels = { 'snapstack.managed': 'true', 'snapstack.instance': app.instanceId };
  const names = DISKS.map((d) => `snapstack-bench-${app.instanceId}-${size.mib}-${d.device}`);
  const t1 = now();
  for (const [i, d] of DISKS.entries()) {
    await docker.createVolume({ Name: names[i], Labels: labels });
    await runContainer(docker, helper, app.instanceId, [`${names[i]}:/restore`, `${backup}:/backup:ro`], `tar -xzf /backup/${d.device}.tgz -C /restore && sync`);
  }
  const server = await docker.createContainer({
    Image: image.snapstack_docker_image ?? helper, Entrypoint: [], Cmd: KEEPALIVE_COMMAND, Labels: labels,
    HostConfig: { NetworkMode: 'none', Mounts: DISKS.map((d, i) => ({ Type: 'volume' as const, Source: names[i], Target: `/mnt/${d.device}` })) },
  });
  await server.start();
  while ((await server.inspect()).State.Status !== 'running') await sleep(2);
  const tarProcedureMs = now() - t1;
  await server.remove({ force: true });
  for (const n of names) await docker.getVolume(n).remove({ force: true }).catch(() => undefined);
  fs.rmSync(backup, { recursive: true, force: true });

  // Free the space before the next size.
  await api.request('DELETE', `/image/v2/images/${image.id}`);
  await api.purgeVolumes();
  return { label: size.label, bootMs: median(bootMs), bootMinMs: Math.min(...bootMs), bootMaxMs: Math.max(...bootMs), tarCzfMs, tarProcedureMs, archiveMiB };
}

function report(rows: Row[]): void {
  console.log(`\nBoot from an instance snapshot (3 volumes): POST /servers to ACTIVE through the HTTP API, median of ${REPEATS}\n`);
  printTable(
    ['data', 'boot to ACTIVE', 'min', 'max', 'tar -xzf x3 + docker run', '(tar -czf x3, beforehand)', 'archives'],
    rows.map((r) => [r.label, fmtMs(r.bootMs), fmtMs(r.bootMinMs), fmtMs(r.bootMaxMs), fmtMs(r.tarProcedureMs), fmtMs(r.tarCzfMs), `${r.archiveMiB.toFixed(0)} MiB`]),
  );
  const small = rows.find((r) => r.label === '64 MiB')!;
  const gib = rows.find((r) => r.label === '1 GiB')!;
  const big = rows.find((r) => r.label === '4 GiB')!;
  const ratio = big.bootMs / small.bootMs;
  const vsTar = gib.tarProcedureMs / gib.bootMs;
  console.log('\nTargets');
  console.log(`  boot, 4 GiB vs 64 MiB:  ${ratio.toFixed(2)}x  (target <= 1.2x)  ${ratio <= 1.2 ? 'OK' : 'MISSED'}`);
  console.log(`  boot at 4 GiB:          ${fmtMs(big.bootMs)}  (target < 1 s)  ${big.bootMs < 1000 ? 'OK' : 'MISSED'}`);
  console.log(`  at 1 GiB, tar procedure vs snapstack boot: ${vsTar.toFixed(0)}x faster  (target >= 20x)  ${vsTar >= 20 ? 'OK' : 'MISSED'}`);
}

async function main(): Promise<void> {
  await withSnapstack('boot-bench', async (env) => {
    const rows: Row[] = [];
    for (const size of SIZES) rows.push(await benchOne(env, size));
    report(rows);
  });
}

runMain(main);
