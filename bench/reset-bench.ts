/**
 * `npm run bench:reset`: how long POST /snapstack/v1/reset takes to remove 50 resources
 * (5 servers with their containers, 25 volumes, 20 volume snapshots) and every Docker object
 * they made; beside the reference, what a test suite does without reset: delete them all
 * through the API and wait until they are gone. Median of BENCH_REPEATS (default 5).
 * Needs a Docker engine and the base image (scripts/build-base-image.sh).
 */
import { Api, BenchEnv, fmtMs, median, now, printTable, runMain, sleep, withSnapstack } from './bench-helpers';

const REPEATS = Number(process.env.BENCH_REPEATS || 5);
const SERVERS = 5;
const VOLUMES = 25;
const SNAPSHOTS = 20;
const COMPUTE = '/compute/v2.1';
const MV = { 'OpenStack-API-Version': 'compute 2.37', 'X-OpenStack-Nova-API-Version': '2.37' };

async function waitServers(api: Api, done: (servers: any[]) => boolean): Promise<void> {
  for (;;) {
    const list = (await api.request('GET', `${COMPUTE}/servers/detail`, undefined, MV)).body.servers;
    if (list.some((s: any) => s.status === 'ERROR')) throw new Error(`a server failed: ${JSON.stringify(list.find((s: any) => s.status === 'ERROR'))}`);
    if (done(list)) return;
    await sleep(50);
  }
}

/** 5 servers, 25 volumes, 20 snapshots of them: 50 resources. */
async function makeResources(api: Api): Promise<void> {
  const image = (await api.request('GET', '/image/v2/images?name=busybox')).body.images[0].id;
  for (let i = 0; i < SERVERS; i++) {
    const res = await api.request('POST', `${COMPUTE}/servers`, { server: { name: `bench-${i}`, imageRef: image, flavorRef: '1', networks: 'none' } }, MV);
    if (res.status !== 202) throw new Error(`server: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const volumes: Array<{ id: string }> = [];
  for (let i = 0; i < VOLUMES; i += 5) {
    volumes.push(...(await Promise.all([0, 1, 2, 3, 4].map((j) => api.createAndWait('volumes', { volume: { size: 1, name: `bench-${i + j}` } })))));
  }
  for (let i = 0; i < SNAPSHOTS; i += 5) {
    await Promise.all(volumes.slice(i, i + 5).map((v, j) => api.createAndWait('snapshots', { snapshot: { volume_id: v.id, name: `bench-${i + j}` } })));
  }
  await waitServers(api, (list) => list.length === SERVERS && list.every((s: any) => s.status === 'ACTIVE'));
}

/** The reference: delete everything through the API and wait until it is gone. */
async function deleteThroughApi(api: Api): Promise<void> {
  const servers = (await api.request('GET', `${COMPUTE}/servers`, undefined, MV)).body.servers;
  await Promise.all(servers.map((s: any) => api.request('DELETE', `${COMPUTE}/servers/${s.id}`, undefined, MV)));
  await waitServers(api, (list) => list.length === 0);
  await api.purgeVolumes();
}

async function bench({ app }: BenchEnv): Promise<void> {
  const demo = await Api.login(app.url);
  const admin = await Api.login(app.url, 'admin');
  const reset: number[] = [];
  const manual: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await makeResources(demo);
    let t = now();
    const res = await admin.request('POST', '/snapstack/v1/reset');
    if (res.status !== 200) throw new Error(`reset: ${res.status} ${JSON.stringify(res.body)}`);
    reset.push(now() - t);
    await makeResources(demo);
    t = now();
    await deleteThroughApi(demo);
    manual.push(now() - t);
    console.log(`run ${i + 1}: reset ${fmtMs(reset[i])}, delete through the API ${fmtMs(manual[i])}`);
  }
  console.log(`\nremoving ${SERVERS + VOLUMES + SNAPSHOTS} resources (${SERVERS} servers, ${VOLUMES} volumes, ${SNAPSHOTS} snapshots), median of ${REPEATS}\n`);
  printTable(['how', 'median', 'min - max'], [
    ['POST /snapstack/v1/reset', fmtMs(median(reset)), `${fmtMs(Math.min(...reset))} - ${fmtMs(Math.max(...reset))}`],
    ['delete through the API (reference)', fmtMs(median(manual)), `${fmtMs(Math.min(...manual))} - ${fmtMs(Math.max(...manual))}`],
  ]);
  console.log(`\nreset is ${(median(manual) / median(reset)).toFixed(1)}x faster than deleting through the API`);
}

runMain(() => withSnapstack('reset', bench));
