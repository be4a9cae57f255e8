/**
 * What replicas share beyond rows and jobs (issue 15 with issue 13's fault rules): two
 * `snapstack serve` replicas (SNAPSTACK_REPLICA=1) on one PostgreSQL, one data directory and the
 * Docker engine. A token revoked through one is refused by the other at once. A fault rule posted to one applies to operations the other serves, a count of 2
 * fires twice across both, a clear or reset through one ends it everywhere; a snapshot deleted
 * through one while a volume is made from it through the other gets one process's answer.
 */
import fs from 'fs';
import path from 'path';
import { serveChild, type ServedChild } from '../../support/serve-child';
import { login, ok, request, sessionAt, type Session } from '../../support/snapstack-harness';
import { pollUntil, waitForSnapshot, waitForVolume } from '../../support/compute-helpers';
import { ServedReplicas } from '../../support/replica-helpers';

jest.setTimeout(240_000);

const VOL = '/volume/v3/{project_id}';
const FAULTS = '/snapstack/v1/faults';

describe('fault rules and clone sources shared by two replicas', () => {
  const served = new ServedReplicas();
  const { dataDir } = served;
  let a: ServedChild;
  let b: ServedChild;
  let admin: { token: string };
  let demo: { token: string; projectId: string; userId: string };

  /** demo's session through one replica. */
  const via = (r: ServedChild): Session => sessionAt(r.url, demo);
  const asAdmin = (r: ServedChild, method: string, p: string, body?: unknown) => request(r.url, method, p, body, { 'X-Auth-Token': admin.token });

  beforeAll(async () => {
    await served.setup();
    a = await served.serve();
    b = await served.serve();
    admin = await login(a.url, 'admin');
    demo = await login(b.url, 'demo');
  });
  afterAll(() => served.teardown());

  it('a rule posted to one replica is listed by the other and fires on calls it serves; a count of 2 fires twice across both', async () => {
    const rule = ok(await asAdmin(a, 'POST', FAULTS, {
      fault: { target: 'api', action: 'fail', status: 503, message: 'busy', service: 'volume', operation_id: 'listVolumes', project_id: demo.projectId, count: 2 },
    }), 201).fault;
    expect(ok(await asAdmin(b, 'GET', FAULTS), 200).faults.map((f: { id: string }) => f.id)).toEqual([rule.id]);
    expect(ok(await asAdmin(b, 'GET', `${FAULTS}/${rule.id}`), 200).fault).toMatchObject({ remaining: 2 });

    // Alternating replicas, B first: the first two calls fail (one on each), the rest pass.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await via(i % 2 ? a : b).request('GET', `${VOL}/volumes`);
      statuses.push(res.status);
      if (res.status === 503) expect(res.body).toEqual({ serviceUnavailable: { code: 503, message: 'busy' } });
    }
    expect(statuses).toEqual([503, 503, 200, 200, 200, 200]);
    expect(ok(await asAdmin(a, 'GET', FAULTS), 200).faults).toEqual([]);
  });

  it('a token revoked through one replica is refused by the other on its next request, though that one had it cached', async () => {
    const m = await login(a.url, 'demo');
    const flavors = (r: ServedChild) => request(r.url, 'GET', '/compute/v2.1/flavors', undefined, { 'X-Auth-Token': m.token });
    expect((await flavors(b)).status).toBe(200);
    expect((await flavors(b)).status).toBe(200); // from B's cache now
    expect((await request(a.url, 'DELETE', '/identity/v3/auth/tokens', undefined, { 'X-Auth-Token': admin.token, 'X-Subject-Token': m.token })).status).toBe(204);
    expect((await flavors(b)).status).toBe(401);
    expect((await flavors(a)).status).toBe(401);
  });

  it('a job rule with a count of 2 fails two operations in all, whichever replica serves or runs them', async () => {
    const vol = ok(await via(a).request('POST', `${VOL}/volumes`, { volume: { size: 1, name: 'faults-source' } }), 202).volume;
    await waitForVolume(via(a), vol.id, ['available']);
    ok(await asAdmin(b, 'POST', FAULTS, { fault: { target: 'snapshot.create', action: 'fail', project_id: demo.projectId, count: 2 } }), 201);
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const snap = ok(await via(i % 2 ? b : a).request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: vol.id, name: `faults-${i}` } }), 202).snapshot;
      outcomes.push((await waitForSnapshot(via(b), snap.id, ['available', 'error'])).status);
    }
    expect(outcomes).toEqual(['error', 'error', 'available', 'available']);
  });

  it('a clear through one replica ends a delay under way in the other', async () => {
    ok(await asAdmin(a, 'POST', FAULTS, { fault: { target: 'api', action: 'delay', delay_ms: 120_000, service: 'volume', operation_id: 'listVolumesDetail', project_id: demo.projectId } }), 201);
    const started = Date.now();
    const slow = via(b).request('GET', `${VOL}/volumes/detail`);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await asAdmin(a, 'DELETE', FAULTS)).status).toBe(204);
    expect((await slow).status).toBe(200);
    // It waited for the clear (the rule applied in B), not for its 120 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a snapshot deleted through one replica while a volume is made from it through the other: the volume is made, then the snapshot goes', async () => {
    const src = ok(await via(a).request('POST', `${VOL}/volumes`, { volume: { size: 1, name: 'clone-source' } }), 202).volume;
    await waitForVolume(via(a), src.id, ['available']);
    const snap = ok(await via(b).request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: src.id, name: 'clone-snap' } }), 202).snapshot;
    await waitForSnapshot(via(b), snap.id, ['available']);
    // The volume from it stays creating for 3 s (a delay rule: whichever replica claims the job).
    ok(await asAdmin(b, 'POST', FAULTS, { fault: { target: 'volume.create', action: 'delay', delay_ms: 3_000, project_id: demo.projectId } }), 201);
    const clone = ok(await via(a).request('POST', `${VOL}/volumes`, { volume: { snapshot_id: snap.id, name: 'clone' } }), 202).volume;
    await pollUntil(() => served.db('jobs').where({ resource_id: clone.id }).first(), (j) => j?.status === 'running', 30_000, 'the clone job running');
    expect((await via(b).request('DELETE', `${VOL}/snapshots/${snap.id}`)).status).toBe(202);
    expect((await waitForVolume(via(b), clone.id, ['available', 'error'])).status).toBe('available');
    await pollUntil(() => via(a).request('GET', `${VOL}/snapshots/${snap.id}`), (r) => r.status === 404, 60_000, 'the snapshot gone');
    // The clone's data is whole: a snapshot of it works.
    const again = ok(await via(b).request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: clone.id, name: 'of-clone' } }), 202).snapshot;
    expect((await waitForSnapshot(via(a), again.id, ['available', 'error'])).status).toBe('available');
    expect(fs.existsSync(path.join(dataDir, 'cow', 'snapshots', `${snap.id}.json`))).toBe(false);
  });

  it('an export accepted through one replica is listed as being written by both, its name taken in both, and listed as written once done', async () => {
    const src = ok(await via(a).request('POST', `${VOL}/volumes`, { volume: { size: 1, name: 'export-source' } }), 202).volume;
    await waitForVolume(via(a), src.id, ['available']);
    const snap = ok(await via(b).request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: src.id, name: 'export-snap' } }), 202).snapshot;
    await waitForSnapshot(via(b), snap.id, ['available']);
    // The export job starts 3 s late (whichever replica claims it).
    ok(await asAdmin(b, 'POST', FAULTS, { fault: { target: 'archive.export', action: 'delay', delay_ms: 3_000, project_id: demo.projectId } }), 201);
    const file = 'shared-export.tar';
    ok(await via(a).request('POST', `/snapstack/v1/snapshots/${snap.id}/export`, { file_name: file }), 202);
    for (const r of [a, b]) {
      const listed = ok(await via(r).request('GET', '/snapstack/v1/archives'), 200).archives.filter((x: { name: string }) => x.name === file);
      expect(listed).toMatchObject([{ status: 'writing' }]);
      expect((await via(r).request('POST', `/snapstack/v1/snapshots/${snap.id}/export`, { file_name: file })).status).toBe(409);
    }
    for (const r of [a, b]) {
      const done = await pollUntil(() => via(r).request('GET', `/snapstack/v1/archives/${file}`), (res) => res.status === 200 && res.body.archive.status !== 'writing', 60_000, 'the archive written');
      expect(done.body.archive).toMatchObject({ name: file, valid: true });
      const listed = ok(await via(r).request('GET', '/snapstack/v1/archives'), 200).archives.filter((x: { name: string }) => x.name === file);
      expect(listed).toHaveLength(1);
    }
  });

  it('a replica without the Docker engine is refused (its volume data would be its own)', async () => {
    for (const mode of ['none', 'fake']) {
      await expect(serveChild(served.env({ SNAPSTACK_DOCKER: mode }), { timeoutMs: 30_000 })).rejects.toThrow(new RegExp(`replicas need the Docker engine \\(SNAPSTACK_DOCKER=${mode}\\)`));
    }
  });

  it('a reset through one replica clears the rules of all', async () => {
    ok(await asAdmin(a, 'POST', FAULTS, { fault: { target: 'volume.create', action: 'fail', count: 5 } }), 201);
    expect(ok(await asAdmin(b, 'POST', '/snapstack/v1/reset'), 200).reset).toBeDefined();
    expect(ok(await asAdmin(a, 'GET', FAULTS), 200).faults).toEqual([]);
    expect(await served.db('fault_rules').where('remaining', '>', 0)).toEqual([]);
  });
});
