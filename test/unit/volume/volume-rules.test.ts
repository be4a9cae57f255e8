// Pure rules of the Cinder layer: list paging/sorting, boolean and size parsing, quota checks.
import type { RequestContext } from '../../../src/http/context';
import { BadRequest, Fault } from '../../../src/http/faults';
import { parseCinderBool, parseSize } from '../../../src/volume/volume-faults';
import { QuotaService } from '../../../src/volume/volume-quotas';
import { boolParam, metadataFilter, pageOf, MAX_LIMIT } from '../../../src/volume/volume-request';
import { ALL_PROJECTS, callerScope, listScope, VOLUME_SORT_COLUMNS } from '../../../src/volume/volume-store';
import { volumeActionTable } from '../../../src/volume/volume-action-handlers';

const ctx = (query: Record<string, string>) => ({ query, microversion: null }) as unknown as RequestContext;
const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof Fault ? `${err.status} ${err.message}` : String(err);
  }
  return 'no error';
};

describe('list parameters', () => {
  it("defaults to Cinder's page size and created_at desc, id as the last key", () => {
    expect(pageOf(ctx({}), VOLUME_SORT_COLUMNS)).toEqual({
      limit: MAX_LIMIT, marker: undefined, offset: 0, sort: [{ column: 'created_at', dir: 'desc' }, { column: 'id', dir: 'desc' }],
    });
  });

  it('reads sort=key:dir lists, legacy sort_key/sort_dir, caps the limit', () => {
    expect(pageOf(ctx({ sort: 'name:asc,size', limit: '5000', marker: 'm' }), VOLUME_SORT_COLUMNS)).toEqual({
      limit: 1000, marker: 'm', offset: 0,
      sort: [{ column: 'name', dir: 'asc' }, { column: 'size', dir: 'desc' }, { column: 'created_at', dir: 'asc' }, { column: 'id', dir: 'asc' }],
    });
    expect(pageOf(ctx({ sort_key: 'display_name', sort_dir: 'asc' }), VOLUME_SORT_COLUMNS).sort[0]).toEqual({ column: 'name', dir: 'asc' });
  });

  it("refuses what Cinder refuses, with its texts", () => {
    expect(message(() => pageOf(ctx({ limit: '1.5' }), VOLUME_SORT_COLUMNS))).toBe('400 limit param must be an integer');
    expect(message(() => pageOf(ctx({ limit: '-3' }), VOLUME_SORT_COLUMNS))).toBe('400 limit param must be positive');
    expect(message(() => pageOf(ctx({ sort: 'colour' }), VOLUME_SORT_COLUMNS))).toBe('400 Invalid input received: Invalid sort key');
    expect(message(() => pageOf(ctx({ sort: 'name:sideways' }), VOLUME_SORT_COLUMNS))).toBe("400 Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.");
    expect(message(() => pageOf(ctx({ sort: 'name', sort_dir: 'asc' }), VOLUME_SORT_COLUMNS))).toContain('cannot be used with the');
  });

  it('reads the metadata filter as JSON or as a Python dict literal', () => {
    expect(metadataFilter(ctx({ metadata: '{"a": "1"}' }))).toEqual({ a: '1' });
    expect(metadataFilter(ctx({ metadata: "{'a': u'1', 'b': 'x y'}" }))).toEqual({ a: '1', b: 'x y' });
    expect(metadataFilter(ctx({}))).toBeUndefined();
    expect(message(() => metadataFilter(ctx({ metadata: 'nope' })))).toMatch(/^400 /);
  });

  it('reads strict boolean query parameters', () => {
    expect(boolParam(ctx({ cascade: 'True' }), 'cascade')).toBe(true);
    expect(boolParam(ctx({ cascade: '0' }), 'cascade')).toBe(false);
    expect(boolParam(ctx({}), 'cascade')).toBe(false);
    expect(message(() => boolParam(ctx({ cascade: 'yes please' }), 'cascade'))).toBe("400 Value 'yes please' for 'cascade' is not a boolean.");
  });
});

describe('body values', () => {
  it("parses Cinder's booleans and sizes", () => {
    expect([true, 'true', 'On', '1', 'y'].map((v) => parseCinderBool(v, 'force'))).toEqual([true, true, true, true, true]);
    expect([false, 'False', 'off', '0', 'no'].map((v) => parseCinderBool(v, 'force'))).toEqual([false, false, false, false, false]);
    expect(() => parseCinderBool('maybe', 'force')).toThrow(BadRequest);
    expect(() => parseCinderBool(null, 'force')).toThrow(BadRequest);
    expect(parseSize(3, 'new_size')).toBe(3);
    expect(parseSize('12', 'new_size')).toBe(12);
    for (const bad of [0, -1, 1.5, '1.5', 'x', null]) expect(() => parseSize(bad, 'new_size')).toThrow(BadRequest);
  });
});

describe('quota reservation', () => {
  const quotaService = (limits: Record<string, number>, usage: { volumes: number; gigabytes: number; snapshots: number; snapGb: number }) => {
    const quotas = {
      on: () => quotas, lockProject: async () => limits, overrides: async () => limits,
      usage: async () => ({ volumes: usage.volumes, volumeGigabytes: usage.gigabytes, snapshots: usage.snapshots, snapshotGigabytes: usage.snapGb }),
    };
    const defaults = { volumes: 10, snapshots: 10, gigabytes: 1000, perVolumeGigabytes: -1, backups: 10, backupGigabytes: 1000, groups: 10 };
    return new QuotaService(quotas as any, defaults);
  };
  const reserve = async (q: QuotaService, resource: 'volumes' | 'snapshots', deltas: any, opts = {}) => {
    try {
      await q.reserve({} as any, 'p', resource, deltas, opts);
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('passes at the limit, fails past it (Cinder: limit < in_use + delta)', async () => {
    const q = quotaService({ volumes: 2 }, { volumes: 1, gigabytes: 1, snapshots: 0, snapGb: 0 });
    expect(await reserve(q, 'volumes', { volumes: 1, gigabytes: 1 })).toBe('ok');
    const full = quotaService({ volumes: 2 }, { volumes: 2, gigabytes: 2, snapshots: 0, snapGb: 0 });
    expect(await reserve(full, 'volumes', { volumes: 1, gigabytes: 1 })).toBe("VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes'.");
  });

  it('reports gigabytes first when several are over (sorted overs), counting snapshot sizes', async () => {
    const q = quotaService({ volumes: 1, gigabytes: 5 }, { volumes: 1, gigabytes: 2, snapshots: 1, snapGb: 2 });
    expect(await reserve(q, 'volumes', { volumes: 1, gigabytes: 2 }))
      .toBe('VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 5G and 4G has been consumed.');
  });

  it('checks per_volume_gigabytes before the reservation; -1 is unlimited', async () => {
    const q = quotaService({ per_volume_gigabytes: 3, gigabytes: -1 }, { volumes: 0, gigabytes: 0, snapshots: 0, snapGb: 0 });
    expect(await reserve(q, 'volumes', { volumes: 1, gigabytes: 4 }, { volumeSize: 4 }))
      .toBe('VolumeSizeExceedsLimit: Requested volume size 4G is larger than maximum allowed limit 3G.');
    expect(await reserve(q, 'volumes', { volumes: 1, gigabytes: 3 }, { volumeSize: 3 })).toBe('ok');
  });

  it('answers 413 with Retry-After: 0', async () => {
    const q = quotaService({ snapshots: 0 }, { volumes: 1, gigabytes: 1, snapshots: 0, snapGb: 0 });
    await expect(q.reserve({} as any, 'p', 'snapshots', { snapshots: 1, gigabytes: 1 })).rejects.toMatchObject({
      status: 413, headers: { 'Retry-After': '0' }, message: 'SnapshotLimitExceeded: Maximum number of snapshots allowed (0) exceeded',
    });
  });
});

test("every Cinder volume action Snapstack implements has its entry in the action table, keyed by Cinder's name", () => {
  expect(Object.keys(volumeActionTable()).sort()).toEqual([
    'os-attach', 'os-begin_detaching', 'os-detach', 'os-extend', 'os-force_delete', 'os-force_detach', 'os-reserve', 'os-reset_status',
    'os-retype', 'os-roll_detaching', 'os-set_bootable', 'os-set_image_metadata', 'os-show_image_metadata', 'os-unreserve',
    'os-unset_image_metadata', 'os-update_readonly_flag', 'os-volume_upload_image', 'revert',
  ]);
});

describe('the project scope of a caller', () => {
  const admin = { isAdmin: true, projectId: 'p-admin' };
  const member = { isAdmin: false, projectId: 'p-demo' };
  it('an admin reaches every project by id, and lists them with all_tenants only; anyone else their own project', () => {
    expect(callerScope(admin)).toEqual(ALL_PROJECTS);
    expect(callerScope(admin, false)).toEqual({ projectId: 'p-admin' });
    expect(callerScope(member)).toEqual({ projectId: 'p-demo' });
    expect(callerScope(member, true)).toEqual({ projectId: 'p-demo' });
  });
  it('a list keeps the project_id filter only with every project in scope', () => {
    expect(listScope(admin, { allTenants: true, filter: { projectId: 'p-x' } })).toEqual({ scope: ALL_PROJECTS, filter: { projectId: 'p-x' } });
    expect(listScope(admin, { allTenants: false, filter: { projectId: 'p-x' } })).toEqual({ scope: { projectId: 'p-admin' }, filter: { projectId: undefined } });
    expect(listScope(member, { allTenants: true, filter: { projectId: 'p-x' } })).toEqual({ scope: { projectId: 'p-demo' }, filter: { projectId: undefined } });
  });
});
