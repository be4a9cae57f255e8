/**
 * `npm run bench:volume-from-image`: Cinder volumes from a Glance image (imageRef) through the
 * API (POST, then polling GET until `available`): the first volume, which makes the image's
 * read-only layer, and the tenth, which finds it; for a small image (the busybox base, a few
 * MiB) and a large one (the base plus 512 MiB of random data).
 *
 * Needs a Docker engine and root (the overlay driver). Uses DATABASE_URL when set, else
 * embedded PGlite. Target (issue 10): the tenth volume does not grow with the image's size
 * (large/small within 1.5x), and costs far less than the first of the large image.
 */
import type Docker from 'dockerode';
import type { Snapstack } from '../src/app';
import { Api, fmtMs, median, now, printTable, runMain, withSnapstack } from './bench-helpers';

const LARGE_MIB = Number(process.env.BENCH_IMAGE_MIB || 512);
const VOLUMES = 10;

/** A Docker image: the helper image plus `mib` MiB of random bytes; its Glance image, active. */
async function makeImage(app: Snapstack, docker: Docker, api: Api, name: string, mib: number): Promise<string> {
  const ref = `snapstack/bench-${app.instanceId}-${name}:latest`;
  const labels = { 'snapstack.managed': 'true', 'snapstack.instance': app.instanceId };
  const c = await docker.createContainer({
    Image: app.config.helperImage, Cmd: ['sh', '-c', mib ? `dd if=/dev/urandom of=/payload bs=1M count=${mib} 2>/dev/null; sync` : 'true'], Labels: labels,
  });
  try {
    await c.start();
    await c.wait();
    const [repo, tag] = ref.split(':');
    await c.commit({ repo, tag, changes: Object.entries(labels).map(([k, v]) => `LABEL ${k}=${v}`) });
  } finally {
    await c.remove({ force: true });
  }
  const caller = { projectId: api.projectId, isAdmin: false };
  const image = await app.image.createImage(caller, { name, diskFormat: 'raw', containerFormat: 'docker', visibility: 'private' });
  await app.image.markSaving(image.id);
  const size = Number((await docker.getImage(ref).inspect()).Size);
  await app.image.activateFromDockerImage(image.id, ref, size);
  return image.id;
}

async function main(): Promise<void> {
  await withSnapstack('volume-from-image-bench', async ({ app, api, docker }) => {
    const rows: { label: string; first: number; tenth: number; median2to10: number }[] = [];
    for (const [label, mib] of [['small (base)', 0], [`large (+${LARGE_MIB} MiB)`, LARGE_MIB]] as const) {
      process.stdout.write(`  ${label}: building the image...`);
      const imageId = await makeImage(app, docker, api, `bench-${mib}`, mib);
      console.log(' done');
      const times: number[] = [];
      for (let i = 0; i < VOLUMES; i++) {
        times.push((await api.createAndWait('volumes', { volume: { size: 1, name: `from-${mib}-${i}`, imageRef: imageId } })).ms);
      }
      rows.push({ label, first: times[0], tenth: times[VOLUMES - 1], median2to10: median(times.slice(1)) });
      await api.purgeVolumes();
    }
    console.log();
    printTable(['image', 'first volume', 'tenth volume', 'median of 2nd-10th'], rows.map((r) => [r.label, fmtMs(r.first), fmtMs(r.tenth), fmtMs(r.median2to10)]));
    const ratio = rows[1].median2to10 / rows[0].median2to10;
    console.log(`\nlater volumes, large / small image: ${ratio.toFixed(2)}x (target <= 1.5x); large image, first / tenth: ${(rows[1].first / rows[1].tenth).toFixed(1)}x`);
    if (ratio > 1.5) process.exitCode = 1;
  });
}

runMain(main);
