/**
 * Two Snapstack replicas (SNAPSTACK_REPLICA=1) on one PostgreSQL database, one data directory
 * and the Docker engine, each `snapstack serve` as a user starts it (issue 15). Requests go to
 * both in turn; a long job (a volume from a snapshot, made slow by a delay fault) is killed
 * with SIGKILL in the replica running it, and the other one takes it over and finishes it. No
 * job runs twice: every job's starts, counted from both replicas' logs, match its attempts.
 *
 * And the embedded database still serves one process: a second server on the same data
 * directory (replica or not) is refused.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import Docker from 'dockerode';
import { serveChild, type ServedChild } from '../../support/serve-child';
import { login, ok, sessionAt } from '../../support/snapstack-harness';
import { pollUntil, waitForSnapshot, waitForVolume } from '../../support/compute-helpers';
import { logLines, ServedReplicas } from '../../support/replica-helpers';

jest.setTimeout(240_000);

const VOL = '/volume/v3/{project_id}';
const SS = '/snapstack/v1';

describe('two replicas on one PostgreSQL', () => {
  const served = new ServedReplicas();
  const { dataDir, children: replicas } = served;

  beforeAll(() => served.setup());
  afterAll(() => served.teardown());

  it('spreads requests over both; a job whose replica is killed mid-way is finished by the other, and no job runs twice', async () => {
    const a = await served.serve();
    const b = await served.serve();
    const { db, instanceId } = served;
    expect(b.listening.instance_id).toBe(instanceId);
    expect(a.listening.replica_id).not.toBe(b.listening.replica_id);
    // A non-replica server is refused on the replicas' database.
    const single = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-single-'));
    try {
      await expect(serveChild(served.env({ SNAPSTACK_REPLICA: '0', SNAPSTACK_DATA_DIR: single }), { timeoutMs: 30_000 }))
        .rejects.toThrow(/Another Snapstack server is using the database/);
    } finally {
      fs.rmSync(single, { recursive: true, force: true });
    }

    // Round robin over the live replicas; a token made by one is good on the other.
    const alive = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    let turn = 0;
    const me = await login(a.url, 'demo');
    const admin = await login(b.url, 'admin');
    const s = sessionAt(() => {
      const live = alive();
      return live[turn++ % live.length].url;
    }, me);

    // Data made through both: a volume, its snapshot (layers written by whichever replica ran the job).
    const vol = ok(await s.request('POST', `${VOL}/volumes`, { volume: { size: 1, name: 'rr-source' } }), 202).volume;
    await waitForVolume(s, vol.id, ['available']);
    const snap = ok(await s.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: vol.id, name: 'rr-snap' } }), 202).snapshot;
    await waitForSnapshot(s, snap.id, ['available']);
    for (let i = 0; i < 6; i++) ok(await s.request('GET', `${VOL}/volumes/${vol.id}`), 200);

    // A long job: the volume from the snapshot waits 8 s first (a delay fault, posted to one
    // replica: the rules are shared, so it applies whichever replica claims the job).
    ok(await sessionAt(a.url, admin).request('POST', `${SS}/faults`, { fault: { target: 'volume.create', action: 'delay', delay_ms: 8_000, project_id: me.projectId } }), 201);
    const slow = ok(await s.request('POST', `${VOL}/volumes`, { volume: { snapshot_id: snap.id, name: 'rr-slow' } }), 202).volume;
    const job = await pollUntil(() => db('jobs').where({ resource_id: slow.id }).first(), (j) => j?.status === 'running', 30_000, 'the slow job running');
    const owner = replicas.find((r) => r.listening.replica_id === job.owner)!;
    const other = replicas.find((r) => r !== owner)!;
    expect(owner).toBeDefined();
    owner.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await owner.exited).signal).toBe('SIGKILL');

    // The survivor takes it over (the dead one's heartbeat expires) and finishes it.
    const done = await waitForVolume(s, slow.id, ['available', 'error']);
    expect(done.status).toBe('available');
    // The job's row is marked after its work, the volume's status included: wait for that mark.
    const row = await pollUntil(() => db('jobs').where({ id: job.id }).first(), (j) => j?.status !== 'running', 30_000, 'the slow job ended');
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2, owner: other.listening.replica_id });
    // Its data is there: the manifest in the shared data directory and the Docker volume.
    expect(fs.existsSync(path.join(dataDir, 'cow', 'volumes', `${slow.id}.json`))).toBe(true);
    await new Docker({ socketPath: '/var/run/docker.sock' }).getVolume(`snapstack-${instanceId}-${slow.id}`).inspect();
    // And the survivor goes on with it.
    const again = ok(await s.request('POST', `${VOL}/snapshots`, { snapshot: { volume_id: slow.id, name: 'after' } }), 202).snapshot;
    await waitForSnapshot(s, again.id, ['available']);

    // Requests reached both replicas.
    const requests = (r: ServedChild) => logLines(r.logs()).filter((l) => l.msg === 'request' && l.path?.startsWith('/volume/')).length;
    expect(requests(a)).toBeGreaterThan(2);
    expect(requests(b)).toBeGreaterThan(2);
    // No job ran twice: each job's starts in both logs are its attempts, one per owner; only the
    // killed one started twice, once on each replica, the second after the first one's death.
    const starts = new Map<string, string[]>();
    for (const r of replicas) {
      for (const l of logLines(r.logs())) if (l.msg === 'job started') starts.set(l.job_id, [...(starts.get(l.job_id) ?? []), String(r.listening.replica_id)]);
    }
    const jobs = await pollUntil(() => db('jobs').select('id', 'status', 'attempts', 'kind'), (all) => all.every((j) => j.status !== 'running' && j.status !== 'queued'), 30_000, 'every job ended');
    expect(jobs.length).toBeGreaterThanOrEqual(4);
    for (const j of jobs) {
      expect({ id: j.id, kind: j.kind, status: j.status }).toEqual({ id: j.id, kind: j.kind, status: 'succeeded' });
      expect(starts.get(j.id)?.length ?? 0).toBe(j.attempts);
      if (j.id !== job.id) expect(j.attempts).toBe(1);
    }
    expect([...starts.get(job.id)!].sort()).toEqual([String(owner.listening.replica_id), String(other.listening.replica_id)].sort());
    const resumedAt = logLines(other.logs()).find((l) => l.msg === 'job started' && l.job_id === job.id)!.time;
    expect(resumedAt).toBeGreaterThan(killedAt);
    expect(new Set(jobs.flatMap((j) => starts.get(j.id)!)).size).toBe(2); // both replicas ran jobs
  });

  it('the embedded database still serves one process: a second server on its data directory is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-embedded-'));
    const base = { SNAPSTACK_DATA_DIR: dir, SNAPSTACK_DB: 'pglite', SNAPSTACK_LOG_LEVEL: 'info', SNAPSTACK_DOCKER: 'none' };
    const first = await serveChild(base);
    try {
      await expect(serveChild(base, { timeoutMs: 30_000 })).rejects.toThrow(/Another Snapstack server \(pid \d+ on .*\) is using the data directory/);
      await expect(serveChild({ ...base, SNAPSTACK_REPLICA: '1' }, { timeoutMs: 30_000 })).rejects.toThrow(/SNAPSTACK_REPLICA=1 needs DATABASE_URL/);
      // Nor does a replica (of another database) get the data directory a single server holds.
      await expect(serveChild({ ...base, SNAPSTACK_REPLICA: '1', DATABASE_URL: served.databaseUrl }, { timeoutMs: 30_000 }))
        .rejects.toThrow(/Another Snapstack server \(pid \d+ on .*\) is using the data directory/);
      expect((await fetch(`${first.url}${SS}/health`)).status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
