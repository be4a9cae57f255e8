import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { createVolume, V, waitFor } from '../volume/volume-test-helpers';

/** The value of one sample line, e.g. metric{a="b"} 3. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('GET /snapstack/v1/metrics', () => {
  let h: Harness;
  let admin: Session;
  let demo: Session;

  beforeAll(async () => {
    h = await startHarness();
    [admin, demo] = await Promise.all([h.login('admin'), h.login('demo')]);
  });
  afterAll(() => h?.stop());

  it('counts API calls, jobs by outcome, resources by status and layer bytes, in Prometheus text format', async () => {
    await createVolume(demo);
    expect((await admin.request('POST', '/snapstack/v1/faults', { fault: { target: 'volume.create', action: 'fail' } })).status).toBe(201);
    const failing = await demo.request('POST', V('/volumes'), { volume: { size: 1 } });
    await waitFor(demo, 'volumes', failing.body.volume.id, ['error']);
    expect((await demo.request('GET', V('/volumes/nope'))).status).toBe(404);

    const res = await h.request('GET', '/snapstack/v1/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toContain('# TYPE snapstack_api_requests_total counter');
    expect(sample(text, 'snapstack_api_requests_total{service="volume",operation="createVolume",status="202"}')).toBe(2);
    expect(sample(text, 'snapstack_api_requests_total{service="volume",operation="showVolume",status="404"}')).toBe(1);
    expect(sample(text, 'snapstack_api_requests_total{service="identity",operation="createToken",status="201"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'snapstack_api_request_duration_seconds_count{service="volume",operation="createVolume",status="202"}')).toBe(2);
    expect(sample(text, 'snapstack_api_request_duration_seconds_bucket{le="+Inf",service="volume",operation="createVolume",status="202"}')).toBe(2);
    expect(sample(text, 'snapstack_jobs_total{kind="volume.create",outcome="succeeded"}')).toBe(1);
    expect(sample(text, 'snapstack_jobs_total{kind="volume.create",outcome="failed"}')).toBe(1);
    expect(sample(text, 'snapstack_resources{kind="volume",status="available"}')).toBe(1);
    expect(sample(text, 'snapstack_resources{kind="volume",status="error"}')).toBe(1);
    expect(sample(text, 'snapstack_resources{kind="image",status="active"}')).toBe(2);
    expect(sample(text, 'snapstack_layer_bytes')).toBeGreaterThanOrEqual(0);
  });
});
