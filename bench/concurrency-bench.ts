/**
 * `npm run bench:concurrency`: whether operations overlap when many arrive at once. Two
 * workloads, each run one after another (serial: the next request is sent when the previous
 * one is done) and all at once (concurrent), through the HTTP API:
 *
 * - 20 snapshot creates, each of its own fresh volume (POST, then polling GET until available);
 * - 10 boots from one instance snapshot (POST /servers with imageRef = the snapshot image,
 *   then polling GET until ACTIVE), the source a volume-backed server whose root volume holds
 *   a marker file every booted server must read back.
 *
 * Every operation must succeed, and every booted server must read the marker. Beside them, the
 * ceiling the engine allows: 10 bare `docker create` + `start` of the same image, serial vs
 * concurrent (a boot is at least that, and on a busy 2-core machine Docker itself overlaps
 * container starts only so much). Needs a Docker engine and the helper image
 * (scripts/build-base-image.sh). The database is Snapstack's own choice (loadConfig): PostgreSQL
 * at DATABASE_URL when set, else the embedded default (PostgreSQL binaries run as a child
 * process; SNAPSTACK_DB=pglite for PGlite); the run prints which.
 * Beside each phase, the whole machine's CPU (bench/machine-cpu.ts): what it cost per operation,
 * whose it was, and the ratio's bound it sets (a phase cannot end before its CPU work is spread
 * over every core: serial time x cores / the concurrent phase's CPU).
 * Target (issue 15): 10 concurrent boots at least 2x faster than 10 serial ones on 2 cores.
 */
import { randomUUID } from 'crypto';
import os from 'os';
import { describeDatabase } from '../src/db/database';
import { KEEPALIVE_COMMAND } from '../src/compute/runtime/docker-server-runtime';
import {
  Api, BenchEnv, bootAndWait, COMPUTE, containerOf, execIn, fmtMs, MV, now, printTable, runMain, serverStatus, sleep, withSnapstack,
} from './bench-helpers';
import { cores, measuredCpu, type CpuUse } from './machine-cpu';

const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS || 20);
const BOOTS = Number(process.env.BENCH_BOOTS || 10);
/**
 * How often each waiting client polls. A client only learns that an operation is done; when it
 * was done is read from the service's own timestamps (a snapshot's updated_at, a server's
 * launched_at, microseconds, this machine's clock): ten clients polling back to back would
 * measure the API's polling load, and polling slowly would add up to POLL_MS to each serial step.
 */
const POLL_MS = Number(process.env.BENCH_POLL_MS || 100);

/** One operation: when its request was sent and when the service finished it (epoch ms). */
interface Span {
  id: string;
  sent: number;
  done: number;
}

/** Cinder's and Nova's microsecond times carry no zone: they are UTC. */
const utc = (t: string) => Date.parse(`${t}Z`);

/** Serial: the sum of each operation's time (the next is sent once the previous is seen done). Concurrent: first sent to last done. */
const serialTime = (spans: Span[]) => spans.reduce((n, x) => n + x.done - x.sent, 0);
const wallTime = (spans: Span[]) => Math.max(...spans.map((x) => x.done)) - Math.min(...spans.map((x) => x.sent));

interface Row {
  workload: string;
  serialMs: number;
  concurrentMs: number;
  /** The machine's CPU during each phase (its operations, from the first request to the last seen done). */
  serialCpu: CpuUse;
  concurrentCpu: CpuUse;
}

async function serially<T>(n: number, op: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await op(i));
  return out;
}

const atOnce = <T>(n: number, op: (i: number) => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, (_, i) => op(i)));

async function snapshot(api: Api, volumeId: string, name: string): Promise<Span> {
  const sent = Date.now();
  const created = await api.call('POST', '/snapshots', { snapshot: { volume_id: volumeId, name } });
  if (created.status !== 202) throw new Error(`create snapshot: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.snapshot.id;
  for (;;) {
    await sleep(POLL_MS);
    const s = (await api.call('GET', `/snapshots/${id}`)).body?.snapshot;
    if (s?.status === 'available') return { id, sent, done: utc(s.updated_at) };
    if (!s || s.status !== 'creating') throw new Error(`snapshot ${id}: ${JSON.stringify(s)}`);
  }
}

async function boot(api: Api, imageId: string, name: string): Promise<Span> {
  const sent = Date.now();
  const res = await api.request('POST', `${COMPUTE}/servers`, { server: { name, imageRef: imageId, flavorRef: '1', networks: 'none' } }, MV);
  if (res.status !== 202) throw new Error(`server create: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.server.id;
  for (;;) {
    await sleep(POLL_MS);
    const s = await serverStatus(api, id);
    if (s?.status === 'ACTIVE') return { id, sent, done: utc(s['OS-SRV-USG:launched_at']) };
    if (!s || s.status === 'ERROR') throw new Error(`server ${id}: ${JSON.stringify(s?.fault ?? s)}`);
  }
}

async function benchSnapshots(api: Api): Promise<Row> {
  const volumes = await atOnce(SNAPSHOTS * 2, (i) => api.createAndWait('volumes', { volume: { size: 1, name: `bench-conc-${i}` } }, POLL_MS));
  const snapshotOf = (offset: number) => (i: number) => snapshot(api, volumes[offset + i].id, `bench-conc-snap-${offset + i}`);
  const serial = await measuredCpu(() => serially(SNAPSHOTS, snapshotOf(0)));
  const concurrent = await measuredCpu(() => atOnce(SNAPSHOTS, snapshotOf(SNAPSHOTS)));
  await api.purgeVolumes();
  return {
    workload: `${SNAPSHOTS} snapshot creates`, serialMs: serialTime(serial.result), concurrentMs: wallTime(concurrent.result),
    serialCpu: serial.cpu, concurrentCpu: concurrent.cpu,
  };
}

/** Boots BOOTS servers from `imageId` (serially or at once); checks each reads `marker`, then deletes them and their volumes. */
async function boots(env: BenchEnv, imageId: string, marker: string, concurrent: boolean): Promise<{ ms: number; cpu: CpuUse }> {
  const { api, app, docker } = env;
  const one = (i: number) => boot(api, imageId, `bench-conc-boot-${concurrent ? 'c' : 's'}${i}`);
  const { result: servers, cpu } = await measuredCpu(() => (concurrent ? atOnce(BOOTS, one) : serially(BOOTS, one)));
  for (const s of servers) {
    const read = (await execIn(docker, (await containerOf(docker, app, s.id)).Id, 'cat /mnt/vda/marker')).trim();
    if (read !== marker) throw new Error(`server ${s.id} reads ${JSON.stringify(read)}, expected ${marker}`);
  }
  const volumes = (await Promise.all(servers.map(async (s) => (await serverStatus(api, s.id))['os-extended-volumes:volumes_attached']))).flat();
  await Promise.all(servers.map((s) => api.request('DELETE', `${COMPUTE}/servers/${s.id}`)));
  for (const v of volumes) {
    while ((await api.call('GET', `/volumes/${v.id}`)).body.volume.status !== 'available') await sleep(20);
    await api.call('DELETE', `/volumes/${v.id}`);
  }
  // Gone before the next round starts, so it does not share the machine with these deletes.
  for (const v of volumes) while ((await api.call('GET', `/volumes/${v.id}`)).status !== 404) await sleep(20);
  return { ms: concurrent ? wallTime(servers) : serialTime(servers), cpu };
}

async function benchBoots(env: BenchEnv): Promise<Row> {
  const { api, app, docker } = env;
  const busybox = (await api.request('GET', '/image/v2/images?name=busybox')).body.images[0];
  const source = await bootAndWait(api, {
    name: 'bench-conc-src', imageRef: '', flavorRef: '1',
    block_device_mapping_v2: [{ uuid: busybox.id, boot_index: 0, source_type: 'image', destination_type: 'volume', volume_size: 1 }],
  });
  const marker = randomUUID();
  await execIn(docker, (await containerOf(docker, app, source.id)).Id, `echo ${marker} > /mnt/vda/marker && sync`);
  const snap = await api.request('POST', `${COMPUTE}/servers/${source.id}/action`, { createImage: { name: 'bench-conc-snap' } }, MV);
  if (snap.status !== 202) throw new Error(`createImage: ${snap.status} ${JSON.stringify(snap.body)}`);
  const imageId: string = snap.body.image_id;
  for (;;) {
    const image = (await api.request('GET', `/image/v2/images/${imageId}`)).body;
    if (image.status === 'active') break;
    if (image.status !== 'queued' && image.status !== 'saving') throw new Error(`image ${imageId}: ${image.status}`);
    await sleep(20);
  }
  await api.request('DELETE', `${COMPUTE}/servers/${source.id}`);
  while ((await api.request('GET', `${COMPUTE}/servers/${source.id}`)).status !== 404) await sleep(20);
  const serial = await boots(env, imageId, marker, false);
  const concurrent = await boots(env, imageId, marker, true);
  await api.request('DELETE', `/image/v2/images/${imageId}`);
  await api.purgeVolumes();
  return {
    workload: `${BOOTS} boots from one instance snapshot`, serialMs: serial.ms, concurrentMs: concurrent.ms, serialCpu: serial.cpu, concurrentCpu: concurrent.cpu,
  };
}

/** The engine alone: BOOTS containers of the helper image created and started, then removed. */
async function benchDocker({ app, docker }: BenchEnv): Promise<Row> {
  const start = async () => {
    const c = await docker.createContainer({
      Image: app.config.helperImage, Entrypoint: [], Cmd: KEEPALIVE_COMMAND,
      Labels: { 'snapstack.managed': 'true', 'snapstack.instance': app.instanceId, 'snapstack.role': 'bench' },
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    await c.inspect();
    return c;
  };
  const run = async (concurrent: boolean) => {
    const started = now();
    const { result: containers, cpu } = await measuredCpu(() => (concurrent ? atOnce(BOOTS, start) : serially(BOOTS, start)));
    const ms = now() - started;
    await Promise.all(containers.map((c) => c.remove({ force: true })));
    return { ms, cpu };
  };
  const serial = await run(false);
  const concurrent = await run(true);
  return {
    workload: `(ceiling) ${BOOTS} bare docker create + start`, serialMs: serial.ms, concurrentMs: concurrent.ms, serialCpu: serial.cpu, concurrentCpu: concurrent.cpu,
  };
}

async function main(): Promise<void> {
  await withSnapstack('concurrency-bench', async (env) => {
    console.log(`Database: ${describeDatabase(env.app.config, { where: false })}; job workers per lane: ${env.app.config.jobWorkers}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const rows = [await benchSnapshots(env.api), await benchBoots(env), await benchDocker(env)];
    console.log('\nThrough the HTTP API. Serial: one after another, the sum of each one\'s time from request to done. Concurrent: all at once, first request to last done.\n');
    printTable(
      ['workload', 'serial', 'concurrent', 'serial / concurrent'],
      rows.map((r) => [r.workload, fmtMs(r.serialMs), fmtMs(r.concurrentMs), `${(r.serialMs / r.concurrentMs).toFixed(2)}x`]),
    );
    // What overlap can give at most: the concurrent phase cannot end before its CPU work is spread over every core.
    const n = cores();
    const bound = (r: Row) => (r.concurrentCpu.machineMs ? (r.serialMs * n) / r.concurrentCpu.machineMs : null);
    const ms = (x: number | null) => (x === null ? '-' : `${x.toFixed(0)} ms`);
    const per = (c: CpuUse, ops: number) => (c.machineMs === null ? '-' : `${(c.machineMs / ops).toFixed(0)} ms`);
    const ops = (r: Row) => (r === rows[0] ? SNAPSHOTS : BOOTS);
    console.log(`\nCPU: the whole machine's busy time per operation in each phase (this process holds Snapstack and the bench's clients), and the ratio's bound from it: the serial time over the concurrent phase's CPU spread over ${n} cores.\n`);
    printTable(
      ['workload', 'machine CPU / op, serial / concurrent', 'cores busy, serial / concurrent', 'concurrent: this process / PostgreSQL / engine and rest', `bound on ${n} cores`],
      rows.map((r) => [
        r.workload,
        `${per(r.serialCpu, ops(r))} / ${per(r.concurrentCpu, ops(r))}`,
        `${r.serialCpu.cores?.toFixed(2) ?? '-'} / ${r.concurrentCpu.cores?.toFixed(2) ?? '-'}`,
        `${ms(r.concurrentCpu.processMs)} / ${ms(r.concurrentCpu.postgresMs)} / ${ms(r.concurrentCpu.otherMs)}`,
        bound(r) === null ? '-' : `${bound(r)!.toFixed(2)}x`,
      ]),
    );
    const boot = rows[1].serialMs / rows[1].concurrentMs;
    console.log('\nTarget');
    console.log(`  boots, serial vs concurrent: ${boot.toFixed(2)}x  (target >= 2x)  ${boot >= 2 ? 'OK' : 'MISSED'}`);
    console.log(`  (the engine's own ratio on this machine now: ${(rows[2].serialMs / rows[2].concurrentMs).toFixed(2)}x; boots against it: ${(boot / (rows[2].serialMs / rows[2].concurrentMs)).toFixed(2)})`);
    if (bound(rows[1]) !== null) console.log(`  (what the boots' CPU allows on ${n} cores: ${bound(rows[1])!.toFixed(2)}x; the engine's alone: ${bound(rows[2])!.toFixed(2)}x)`);
    console.log(`  load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  });
}

runMain(main);
