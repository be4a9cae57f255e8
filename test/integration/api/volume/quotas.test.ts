import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { loadConfig } from '../../../../src/config';
import { V, createSnapshot, createVolume, waitFor } from './volume-test-helpers';

describe('Cinder limits and quotas', () => {
  let h: Harness;
  let demo: Session;
  let alt: Session;
  let admin: Session;
  const quotaUrl = (s: Session, target: string, suffix = '') => `/volume/v3/${s.projectId}/os-quota-sets/${target}${suffix}`;
  const setQuota = (target: string, quota_set: Record<string, unknown>) => admin.request('PUT', quotaUrl(admin, target), { quota_set });

  beforeAll(async () => {
    h = await startHarness();
    [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  });
  afterAll(async () => { await h.stop(); });

  it("GET /limits answers Cinder's defaults and the usage (snapshots count in gigabytes)", async () => {
    const empty = await alt.request('GET', V('/limits'));
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: 10, maxTotalSnapshots: 10, maxTotalVolumeGigabytes: 1000, maxTotalBackups: 10, maxTotalBackupGigabytes: 1000,
          totalVolumesUsed: 0, totalGigabytesUsed: 0, totalSnapshotsUsed: 0, totalBackupsUsed: 0, totalBackupGigabytesUsed: 0,
        },
      },
    });
    const v = await createVolume(alt, { size: 3 });
    await createSnapshot(alt, v.id);
    const used = (await alt.request('GET', V('/limits'))).body.limits.absolute;
    expect(used).toMatchObject({ totalVolumesUsed: 1, totalSnapshotsUsed: 1, totalGigabytesUsed: 6 });
  });

  it('shows quota sets (own project; admin any), with usage=true and defaults; others get 403', async () => {
    const res = await demo.request('GET', quotaUrl(demo, demo.projectId));
    expect(res.body).toEqual({
      quota_set: {
        id: demo.projectId, volumes: 10, snapshots: 10, gigabytes: 1000, backups: 10, backup_gigabytes: 1000, groups: 10,
        per_volume_gigabytes: -1, volumes___DEFAULT__: -1, snapshots___DEFAULT__: -1, gigabytes___DEFAULT__: -1,
      },
    });
    const usage = await admin.request('GET', quotaUrl(admin, alt.projectId, '?usage=True'));
    expect(usage.body.quota_set).toMatchObject({
      id: alt.projectId,
      volumes: { limit: 10, in_use: 1, reserved: 0 },
      snapshots: { limit: 10, in_use: 1, reserved: 0 },
      gigabytes: { limit: 1000, in_use: 6, reserved: 0 },
    });
    expect((await demo.request('GET', quotaUrl(demo, demo.projectId, '/defaults'))).body.quota_set).toMatchObject({ id: demo.projectId, volumes: 10 });
    expect((await demo.request('GET', quotaUrl(demo, alt.projectId))).body)
      .toEqual({ forbidden: { code: 403, message: "Policy doesn't allow volume_extension:quotas:show to be performed." } });
  });

  it('lets only an admin update and reset quotas, with Cinder\'s checks', async () => {
    expect((await demo.request('PUT', quotaUrl(demo, demo.projectId), { quota_set: { volumes: 20 } })).body)
      .toEqual({ forbidden: { code: 403, message: "Policy doesn't allow volume_extension:quotas:update to be performed." } });
    expect((await setQuota(demo.projectId, { colour: 1 })).body)
      .toEqual({ badRequest: { code: 400, message: 'Invalid input received: Bad key(s) in quota set: colour' } });
    expect((await setQuota(demo.projectId, { volumes: -2 })).body).toEqual({ badRequest: { code: 400, message: 'volumes must be >= -1' } });
    expect((await setQuota(demo.projectId, { volumes: 'many' })).body).toEqual({ badRequest: { code: 400, message: 'volumes must be an integer.' } });
    expect((await setQuota(alt.projectId, { gigabytes: 2 })).body)
      .toEqual({ badRequest: { code: 400, message: 'Quota gigabytes limit must be equal or greater than existing resources. Current usage is 6 and the requested limit is 2.' } });
    const ok = await setQuota(demo.projectId, { volumes: '20', snapshots: 5 });
    expect(ok.status).toBe(200);
    expect(ok.body.quota_set).toMatchObject({ volumes: 20, snapshots: 5, gigabytes: 1000 });
    expect(ok.body.quota_set).not.toHaveProperty('id');
    expect((await demo.request('GET', V('/limits'))).body.limits.absolute).toMatchObject({ maxTotalVolumes: 20, maxTotalSnapshots: 5 });
    expect((await demo.request('DELETE', quotaUrl(demo, demo.projectId))).status).toBe(403);
    expect((await admin.request('DELETE', quotaUrl(admin, demo.projectId))).status).toBe(200);
    expect((await demo.request('GET', V('/limits'))).body.limits.absolute).toMatchObject({ maxTotalVolumes: 10, maxTotalSnapshots: 10 });
  });

  it("enforces volumes, snapshots, gigabytes and per-volume limits with Cinder's 413 texts", async () => {
    await setQuota(demo.projectId, { volumes: 2, snapshots: 1, gigabytes: 10, per_volume_gigabytes: 6 });
    const tooBig = await demo.request('POST', V('/volumes'), { volume: { size: 7 } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toEqual({ overLimit: { code: 413, message: 'VolumeSizeExceedsLimit: Requested volume size 7G is larger than maximum allowed limit 6G.' } });
    expect(tooBig.headers.get('retry-after')).toBe('0');

    const a = await createVolume(demo, { size: 5 });
    const overGb = await demo.request('POST', V('/volumes'), { volume: { size: 6 } });
    expect(overGb.body).toEqual({ overLimit: { code: 413, message: 'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 6G, quota is 10G and 5G has been consumed.' } });
    await createVolume(demo, { size: 1 });
    const third = await demo.request('POST', V('/volumes'), { volume: { size: 1 } });
    expect(third.body).toEqual({ overLimit: { code: 413, message: "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes'." } });

    await setQuota(demo.projectId, { gigabytes: 100 });
    await createSnapshot(demo, a.id, {});
    const secondSnap = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: a.id } });
    expect(secondSnap.body).toEqual({ overLimit: { code: 413, message: 'SnapshotLimitExceeded: Maximum number of snapshots allowed (1) exceeded' } });

    // A snapshot costs the volume's size in gigabytes; the gigabytes over-limit wins when both are over (sorted, as Cinder).
    await setQuota(demo.projectId, { snapshots: 5, gigabytes: 12 });
    const snapGb = await demo.request('POST', V('/snapshots'), { snapshot: { volume_id: a.id } });
    expect(snapGb.body).toEqual({ overLimit: { code: 413, message: 'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, quota is 12G and 11G has been consumed.' } });
    const perVolume = await demo.request('POST', V(`/volumes/${a.id}/action`), { 'os-extend': { new_size: 7 } });
    expect(perVolume.body).toEqual({ overLimit: { code: 413, message: 'VolumeSizeExceedsLimit: Requested volume size 7G is larger than maximum allowed limit 6G.' } });
    await setQuota(demo.projectId, { per_volume_gigabytes: -1 });
    const extend = await demo.request('POST', V(`/volumes/${a.id}/action`), { 'os-extend': { new_size: 7 } });
    expect(extend.body).toEqual({ overLimit: { code: 413, message: 'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 12G and 11G has been consumed.' } });
    expect((await demo.request('GET', V(`/volumes/${a.id}`))).body.volume.status).toBe('available');

    // Per-type keys are enforced too (all volumes are of the one type).
    await setQuota(demo.projectId, { volumes: -1, gigabytes: -1, volumes___DEFAULT__: 2 });
    expect((await demo.request('POST', V('/volumes'), { volume: { size: 1 } })).body)
      .toEqual({ overLimit: { code: 413, message: "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes___DEFAULT__'." } });
    await admin.request('DELETE', quotaUrl(admin, demo.projectId));
    const freed = await demo.request('POST', V('/volumes'), { volume: { size: 1 } });
    expect(freed.status).toBe(202);
    await waitFor(demo, 'volumes', freed.body.volume.id, ['available']);
  });

  it('creates sent at once pass only as far as the quota goes (the project lock serializes their checks)', async () => {
    const inUse = (await admin.request('GET', quotaUrl(admin, demo.projectId, '?usage=True'))).body.quota_set.volumes.in_use;
    await setQuota(demo.projectId, { volumes: inUse + 3 });
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, () => demo.request('POST', V('/volumes'), { volume: { size: 1 } })));
      expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 202, ...Array(9).fill(413)]);
      for (const refused of answers.filter((a) => a.status === 413)) {
        expect(refused.body.overLimit.message).toBe(`VolumeLimitExceeded: Maximum number of volumes allowed (${inUse + 3}) exceeded for quota 'volumes'.`);
      }
      for (const made of answers.filter((a) => a.status === 202)) await waitFor(demo, 'volumes', made.body.volume.id, ['available']);
      expect((await admin.request('GET', quotaUrl(admin, demo.projectId, '?usage=True'))).body.quota_set.volumes.in_use).toBe(inUse + 3);
    } finally {
      await admin.request('DELETE', quotaUrl(admin, demo.projectId));
    }
  });

  it('takes its defaults from the configuration (SNAPSTACK_QUOTA_*)', async () => {
    const cfg = loadConfig({ SNAPSTACK_QUOTA_VOLUMES: '3', SNAPSTACK_QUOTA_GIGABYTES: '-1', SNAPSTACK_QUOTA_PER_VOLUME_GIGABYTES: '50' });
    expect(cfg.volumeQuotas).toEqual({ volumes: 3, snapshots: 10, gigabytes: -1, perVolumeGigabytes: 50, backups: 10, backupGigabytes: 1000, groups: 10 });
    expect(() => loadConfig({ SNAPSTACK_QUOTA_SNAPSHOTS: '-5' })).toThrow('SNAPSTACK_QUOTA_SNAPSHOTS');
    const other = await startHarness({ volumeQuotas: cfg.volumeQuotas });
    try {
      const s = await other.login('demo');
      expect((await s.request('GET', V('/limits'))).body.limits.absolute).toMatchObject({ maxTotalVolumes: 3, maxTotalVolumeGigabytes: -1 });
      expect((await s.request('GET', `/volume/v3/${s.projectId}/os-quota-sets/${s.projectId}`)).body.quota_set.per_volume_gigabytes).toBe(50);
    } finally {
      await other.stop();
    }
  });
});
