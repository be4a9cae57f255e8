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
import os from 'os';
import path from 'path';
import Docker from 'dockerode';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startSnapstack, Snapstack } from '../src/app';

const MiB = 1024 * 1024;
const FILES = Number(process.env.BENCH_FILES || 1024);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const PASSWORD = 'bench-secret';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => performance.now();

class Api {
  constructor(readonly base: string, readonly token: string, readonly projectId: string) {}

  static async login(base: string, user: string): Promise<Api> {
    const res = await fetch(`${base}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password: PASSWORD } } },
          scope: { project: { name: user, domain: { name: 'Default' } } },
        },
      }),
    });
    if (res.status !== 201) throw new Error(`login: ${res.status} ${await res.text()}`);
    const body: any = await res.json();
    return new Api(base, res.headers.get('x-subject-token')!, body.token.project.id);
  }

  async call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const url = p.startsWith('/snapstack') ? `${this.base}${p}` : `${this.base}/volume/v3/${this.projectId}${p}`;
    const res = await fetch(url, {
      method,
      headers: { 'X-Auth-Token': this.token, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async createAndWait(kind: 'volumes' | 'snapshots', body: unknown): Promise<string> {
    const key = kind === 'volumes' ? 'volume' : 'snapshot';
    const created = await this.call('POST', `/${kind}`, body);
    if (created.status !== 202) throw new Error(`create ${key}: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body[key].id;
    for (;;) {
      const status = (await this.call('GET', `/${kind}/${id}`)).body?.[key]?.status;
      if (status === 'available') return id;
      if (!status || status.startsWith('error')) throw new Error(`${key} ${id}: ${status}`);
      await sleep(5);
    }
  }

  /** POST export, then poll the job: the time a user waits for the file. */
  async exportAndWait(snapshotId: string, body: Record<string, string>): Promise<{ name: string; ms: number }> {
    const started = now();
    const res = await this.call('POST', `/snapstack/v1/snapshots/${snapshotId}/export`, body);
    if (res.status !== 202) throw new Error(`export: ${res.status} ${JSON.stringify(res.body)}`);
    for (;;) {
      const job = (await this.call('GET', `/snapstack/v1/jobs/${res.body.job.id}`)).body.job;
      if (job.status === 'succeeded') return { name: res.body.archive.name, ms: now() - started };
      if (job.status === 'failed') throw new Error(`export failed: ${job.error}`);
      await sleep(5);
    }
  }
}

async function run(docker: Docker, image: string, instanceId: string, binds: string[], script: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image, Cmd: ['sh', '-c', script], Tty: true,
    Labels: { 'snapstack.managed': 'true', 'snapstack.instance': instanceId, 'snapstack.role': 'bench' },
    HostConfig: { Binds: binds },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const out = (await c.logs({ stdout: true, stderr: true })).toString();
    if (StatusCode !== 0) throw new Error(`container exited ${StatusCode}: ${out}`);
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-archive-bench-'));
  const config = loadConfig(process.env, {
    host: '127.0.0.1', port: 0, dataDir: path.join(work, 'data'), demoPassword: PASSWORD, altDemoPassword: PASSWORD,
    volumeQuotas: { ...loadConfig(process.env).volumeQuotas, volumes: -1, snapshots: -1, gigabytes: -1 },
  });
  const app: Snapstack = await startSnapstack(config, { logger: createLogger(process.env.SNAPSTACK_LOG_LEVEL || 'warn') });
  const docker = new Docker({ socketPath: config.dockerSocket });
  const image = app.config.helperImage;
  try {
    if (app.volume.driverKind !== 'overlay-docker') throw new Error(`needs Docker (the copy-on-write driver); got ${app.volume.driverKind}`);
    const demo = await Api.login(app.url, 'demo');
    const alt = await Api.login(app.url, 'alt_demo');
    const mount = async (api: Api, volumeId: string) => (await app.volume.prepareMount(api.projectId, volumeId)).dockerVolume;
    console.log(`Snapstack at ${app.url}, data in ${config.dataDir}`);

    const vol = await demo.createAndWait('volumes', { volume: { size: 2, name: 'bench-archive' } });
    process.stdout.write(`filling the volume: ${FILES} files of 1 MiB of random data and 200 small files...`);
    let t = now();
    await run(docker, image, app.instanceId, [`${await mount(demo, vol)}:/data`],
      `mkdir -p /data/small /data/big && for i in $(seq 1 200); do echo $i > /data/small/$i; done && `
      + `i=0; while [ $i -lt ${FILES} ]; do dd if=/dev/urandom of=/data/big/f$i bs=1M count=1 2>/dev/null; i=$((i+1)); done && sync`);
    console.log(` ${((now() - t) / 1000).toFixed(1)} s`);
    const dataBytes = FILES * MiB;
    const snap1 = await demo.createAndWait('snapshots', { snapshot: { volume_id: vol, name: 'bench-1' } });

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
      const ex = await demo.exportAndWait(snap1, { file_name: `full-${i}.tar` });
      exportMs.push(ex.ms);
      fullName = ex.name;
      fs.copyFileSync(path.join(demoFolder, ex.name), path.join(altFolder, ex.name));
      t = now();
      const imp = await alt.call('POST', '/snapstack/v1/archives/import', { file: ex.name });
      if (imp.status !== 201) throw new Error(`import: ${imp.status} ${JSON.stringify(imp.body)}`);
      importMs.push(now() - t);
      if (i === 0) {
        // The imported snapshot holds the data (checked: file count and bytes through a restored volume).
        const restored = await alt.createAndWait('volumes', { volume: { snapshot_id: imp.body.import.snapshots[0].id, name: 'bench-restored' } });
        const out = await run(docker, image, app.instanceId, [`${await mount(alt, restored)}:/data:ro`], 'ls /data/big | wc -l; du -sk /data/big | cut -f1');
        const [files, kib] = out.trim().split(/\s+/).map(Number);
        if (files !== FILES || kib < FILES * 1024) throw new Error(`restored volume holds ${files} files, ${kib} KiB`);
      }
    }
    clearInterval(sampler);
    const fullBytes = fs.statSync(path.join(demoFolder, fullName)).size;

    // The seed procedure: tar -czf of the volume, tar -xzf into a new volume.
    const backup = fs.mkdtempSync(path.join(work, 'tar-'));
    t = now();
    await run(docker, image, app.instanceId, [`${await mount(demo, vol)}:/data:ro`, `${backup}:/backup`], 'tar -czf /backup/volume.tgz -C /data . && sync');
    const tarCzfMs = now() - t;
    const tgzBytes = fs.statSync(path.join(backup, 'volume.tgz')).size;
    const restoreName = `snapstack-bench-${app.instanceId}-restore`;
    t = now();
    await docker.createVolume({ Name: restoreName, Labels: { 'snapstack.managed': 'true', 'snapstack.instance': app.instanceId } });
    await run(docker, image, app.instanceId, [`${restoreName}:/restore`, `${backup}:/backup:ro`], 'tar -xzf /backup/volume.tgz -C /restore && sync');
    const tarXzfMs = now() - t;
    await docker.getVolume(restoreName).remove({ force: true }).catch(() => undefined);
    fs.rmSync(backup, { recursive: true, force: true });

    // 1 % of the data changes (files rewritten), then an incremental export relative to the full one.
    const changed = Math.max(1, Math.round(FILES / 100));
    await run(docker, image, app.instanceId, [`${await mount(demo, vol)}:/data`],
      `i=0; while [ $i -lt ${changed} ]; do dd if=/dev/urandom of=/data/big/f$((i*97 % ${FILES})) bs=1M count=1 conv=notrunc 2>/dev/null; i=$((i+1)); done; sync`);
    const snap2 = await demo.createAndWait('snapshots', { snapshot: { volume_id: vol, name: 'bench-2' } });
    const incr = await demo.exportAndWait(snap2, { base_archive: fullName, file_name: 'incr.tar' });
    const incrBytes = fs.statSync(path.join(demoFolder, incr.name)).size;
    const full2 = await demo.exportAndWait(snap2, { file_name: 'after-change.tar' });
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
    const header = ['operation', 'time', 'rate', 'archive'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    console.log(fmt(header));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(fmt(r));
    const exportVsTar = tarCzfMs / median(exportMs);
    const importVsTar = tarXzfMs / median(importMs);
    const incrRatio = incrBytes / full2Bytes;
    console.log('\nRatios');
    console.log(`  export vs tar -czf:                      ${exportVsTar.toFixed(1)}x faster  (target >= 3x)  ${exportVsTar >= 3 ? 'OK' : 'MISSED'}`);
    console.log(`  import vs tar -xzf:                      ${importVsTar.toFixed(1)}x faster`);
    console.log(`  (export + import) vs (czf + xzf):        ${((tarCzfMs + tarXzfMs) / (median(exportMs) + median(importMs))).toFixed(1)}x faster`);
    console.log(`  incremental after 1 % changed vs full:   ${(100 * incrRatio).toFixed(2)} %  (target <= 5 %)  ${incrRatio <= 0.05 ? 'OK' : 'MISSED'}`);
    console.log(`  memory: peak RSS during exports and imports ${mb(peakRss)} (${mb(baseRss)} before them)`);
  } finally {
    await app.close();
    const filters = JSON.stringify({ label: [`snapstack.instance=${app.instanceId}`] });
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
