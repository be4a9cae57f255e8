/**
 * Issue 16: generated requests over every operation of openapi/*.yaml, with and without
 * tokens, mixed with the hostile classes that once broke Snapstack. None may answer 5xx (but
 * the uniform 501 of an operation Snapstack does not implement), take over 1 s, answer HTML,
 * or leak a stack trace or a path; health checks keep answering during the run. A request over
 * 1 s is timed once more and counts as slow only if it is slow again (the machine's other work
 * can delay one answer; an input that stalls the server stalls it every time).
 *
 * FUZZ_RUNS (default 10,000, what CI runs) and FUZZ_SEED reproduce a run; each batch of 1,000 gets a
 * fresh cast of callers and resources (an admin request may disable or delete them). The server runs
 * in-process on real PostgreSQL without a Docker engine (no container work to wait for: bodies
 * that fail validation are the bulk, valid ones end in quick failures or quick successes).
 */
import fc from 'fast-check';
import { startHarness, Harness, Session } from '../support/snapstack-harness';
import { makeCast, PERSONAS } from '../support/personas';
import { FuzzRequest, loadOperations, requestArbitrary } from './openapi-requests';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
/**
 * CI runs one fixed seed, so a red run is the code's doing and reproducible; elsewhere each run
 * explores a new one (its seed is printed: FUZZ_SEED=<seed> replays it). When a local run finds
 * something, fix it and add its seed here as the CI seed, so CI keeps covering it.
 */
const CI_SEED = 727743385;
const SEED = Number(process.env.FUZZ_SEED ?? (process.env.CI === 'true' ? CI_SEED : Date.now() % 2 ** 31));
const BATCH = 1000;
const CONCURRENCY = 4;
/** 1 s (CI); FUZZ_SLOW_MS only for a machine shared with other heavy work, where even health checks wait for CPU. */
const SLOW_MS = Number(process.env.FUZZ_SLOW_MS ?? 1000);

jest.setTimeout(15 * 60_000);

interface Finding { request: FuzzRequest; status: number; ms: number; why: string; text: string }

const LEAK = /<html|<!doctype|\bat [\w.<>]+ \(|node_modules|\/work\/|\/home\/|\/tmp\/|\.ts:\d+:\d+|\.js:\d+:\d+/i;

describe(`fuzzing every operation (${RUNS} requests, seed ${SEED})`, () => {
  let h: Harness;
  let admin: Session;
  beforeAll(async () => {
    h = await startHarness({ dockerMode: 'none' });
    admin = await h.login('admin');
  });
  afterAll(async () => { await h?.stop(); });

  it('answers every generated request in the service shape, under 1 s, never 5xx, while health stays up', async () => {
    const ops = loadOperations();
    expect(ops.length).toBeGreaterThan(100);
    const seen = new Map<string, number>();
    const findings: Finding[] = [];
    let notImplemented = 0;
    let sent = 0;

    let healthRunning = true;
    const health: number[] = [];
    const healthFailures: string[] = [];
    const healthLoop = (async () => {
      while (healthRunning) {
        const started = Date.now();
        const r = await h.request('GET', '/snapstack/v1/health').catch((e) => ({ status: 0, text: String(e) }));
        health.push(Date.now() - started);
        if (r.status !== 200) healthFailures.push(`${r.status} ${r.text.slice(0, 200)}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    })();

    const busybox = (await admin.request('GET', '/image/v2/images?name=busybox')).body.images[0].id;
    try {
    for (let batch = 0; sent < RUNS; batch++) {
      const batchStarted = Date.now();
      const cast = await makeCast(h, admin);
      const member = cast.callers.member;
      const asMember = (method: string, p: string, body?: unknown) => h.request(method, p, body, { 'X-Auth-Token': member.token, 'OpenStack-API-Version': 'compute 2.37' });
      const volume = (await asMember('POST', `/volume/v3/${cast.projectId}/volumes`, { volume: { size: 1, name: 'fuzz' } })).body.volume?.id;
      const image = (await asMember('POST', '/image/v2/images', { name: 'fuzz', disk_format: 'raw', container_format: 'bare' })).body.id;
      const server = (await asMember('POST', '/compute/v2.1/servers', { server: { name: 'fuzz', imageRef: busybox, flavorRef: '1', networks: 'none' } })).body.server?.id;
      const projects = [cast.projectId, cast.otherProjectId, cast.callers.admin.projectId!];
      const users = [member.userId, cast.callers.reader.userId, cast.callers.other.userId];
      const pools = {
        ids: {
          project_id: projects, target_project_id: projects, member_id: projects, user_id: users,
          role_id: Object.values(cast.roleIds), server_id: [server].filter(Boolean), volume_id: [volume].filter(Boolean),
          image_id: [image, busybox].filter(Boolean), snapshot_id: [], flavor_id: ['1', '2'], key: ['k'], tag: ['t'],
          type_id: ['default'], domain_id: ['default'], job_id: [], name: [],
          // The seeded metadefs catalog: admin writes reach its protected namespaces.
          namespace_name: ['OS::Compute::Libvirt', 'OS::Compute::Quota', 'OS::Glance::CommonImageProperties'], object_name: ['CPU Limits'],
          property_name: ['boot_menu', 'hw_boot_menu'], tag_name: ['t'], resource_type_name: ['OS::Glance::Image', 'OS::Nova::Flavor'],
        } as Record<string, string[]>,
        callers: ['none', 'bogus', ...PERSONAS],
      };
      const tokens: Record<string, string | undefined> = { none: undefined, bogus: 'not-a-token' };
      for (const p of PERSONAS) tokens[p] = cast.callers[p].token;

      // Every operation gets its share of each batch, in a shuffled order.
      const count = Math.min(BATCH, RUNS - sent);
      const perOp = Math.ceil(count / ops.length);
      const perOpSamples = ops.map((op, i) => fc.sample(requestArbitrary(op, pools), { numRuns: perOp, seed: SEED + batch * 1000 + i }));
      const firsts = batch === 0 ? perOpSamples.map((list) => list[0]) : [];
      const rest = perOpSamples.flatMap((list) => (batch === 0 ? list.slice(1) : list));
      const requests = fc.sample(fc.shuffledSubarray([...firsts, ...fc.sample(fc.shuffledSubarray(rest, { minLength: Math.max(0, count - firsts.length), maxLength: Math.max(0, count - firsts.length) }), { numRuns: 1, seed: SEED + batch })[0]], { minLength: Math.max(count, firsts.length), maxLength: Math.max(count, firsts.length) }), { numRuns: 1, seed: SEED - batch })[0];
      sent += count;
      process.stderr.write(`[fuzz] batch ${batch}: cast and resources in ${Date.now() - batchStarted} ms\n`);
      const requestsStarted = Date.now();
      let next = 0;
      const worker = async () => {
        while (next < requests.length) {
          const r = requests[next++];
          seen.set(r.operationId, (seen.get(r.operationId) ?? 0) + 1);
          const headers: Record<string, string> = { ...r.headers };
          const token = tokens[r.caller];
          if (token) headers['X-Auth-Token'] = token;
          if (r.contentType) headers['Content-Type'] = r.contentType;
          const send = async () => {
            const started = Date.now();
            let status = 0;
            let text = '';
            let type = '';
            try {
              const res = await fetch(`${h.url}${r.url}`, { method: r.method, headers, body: r.body, signal: AbortSignal.timeout(10_000) });
              status = res.status;
              type = res.headers.get('content-type') ?? '';
              text = r.method === 'HEAD' ? '' : await res.text();
            } catch (err) {
              text = String(err);
            }
            return { status, text, type, ms: Date.now() - started };
          };
          let { status, text, type, ms } = await send();
          // A slow answer is sent again: an input that stalls the server (a costly pattern, a
          // huge body) is slow both times; a machine busy with other work rarely twice running.
          if (status !== 0 && ms > SLOW_MS) ({ status, text, type, ms } = await send().then((again) => (again.ms < ms ? again : { status, text, type, ms })));
          const why = status === 0 ? 'no answer'
            : status >= 500 && !(status === 501 && /not (implemented|supported)/i.test(text)) ? `${status}`
              : ms > SLOW_MS ? `slow (${ms} ms)`
                : LEAK.test(text) ? 'HTML, trace or path in the body'
                  : status >= 400 && r.method !== 'HEAD' && !type.includes('json') ? `error body is ${type || 'untyped'}`
                    : '';
          if (status === 501) notImplemented++;
          if (why) findings.push({ request: r, status, ms, why, text: text.slice(0, 300) });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      process.stderr.write(`[fuzz] batch ${batch}: ${count} requests in ${Date.now() - requestsStarted} ms\n`);
    }
    } finally {
      healthRunning = false;
      await healthLoop;
    }

    const untouched = ops.map((o) => o.operationId).filter((id) => !seen.has(id));
    process.stderr.write(`[fuzz] seed ${SEED}: ${sent} requests over ${seen.size} operations; ${notImplemented} answered 501 (not implemented); `
      + `${findings.length} findings; health checks ${health.length}, slowest ${Math.max(0, ...health)} ms\n`);
    if (findings.length) process.stderr.write(`${findings.slice(0, 15).map((f) => JSON.stringify({ ...f.request, body: f.request.body?.slice(0, 200) }) + ` -> ${f.why}: ${f.text}`).join('\n')}\n`);
    expect(untouched).toEqual([]);
    expect(findings.map((f) => `${f.request.method} ${f.request.url.slice(0, 120)} as ${f.request.caller}: ${f.why}`).slice(0, 20)).toEqual([]);
    expect(healthFailures).toEqual([]);
    expect(Math.max(0, ...health)).toBeLessThan(SLOW_MS);
  });
});
