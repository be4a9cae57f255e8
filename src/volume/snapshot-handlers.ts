/**
 * Cinder v3 snapshot handlers (operationIds of openapi/volume.yaml).
 *
 * LIMITATIONS:
 * - no group snapshots, snapshot manage/unmanage, os-update_snapshot_status or
 *   os-update_progress; progress is '0%' while creating, '100%' after;
 * - 3.66's in-use snapshots without force are not advertised (max microversion 3.60);
 * - list filters: name, status, volume_id, metadata (3.22), `name~`-style like filters (3.34),
 *   project_id (admin + all_tenants); availability_zone and consumes_quota are ignored.
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/volume';
import { queryString, typedHandlers } from '../http/context';
import { BadRequest } from '../http/faults';
import { emptySnapshotUpdate, SnapshotService } from './snapshot-service';
import { SNAPSHOT_SORT_COLUMNS } from './snapshot-store';
import { parseCinderBool, volumeNotFound } from './volume-faults';
import {
  atLeast, callerOf, checkFilterNames, lenientBool, likeFilters, metadataFilter, pageOf, viewContextOf, withCount,
} from './volume-request';
import { collection, snapshotDetail, snapshotSummary } from './volume-views';

/** Sorting snapshots by `name` is from 3.30 (SNAPSHOT_SORT); display_name always was. */
const SORT_BEFORE_330 = Object.fromEntries(Object.entries(SNAPSHOT_SORT_COLUMNS).filter(([k]) => k !== 'name'));

async function list(ctx: RequestContext, snapshots: SnapshotService, path: string, detail: boolean) {
  checkFilterNames(ctx, 'snapshot');
  const q = {
    allTenants: lenientBool(ctx, 'all_tenants'),
    page: pageOf(ctx, atLeast(ctx, '3.30') ? SNAPSHOT_SORT_COLUMNS : SORT_BEFORE_330),
    filter: {
      name: queryString(ctx, 'name'),
      status: queryString(ctx, 'status'),
      volumeId: queryString(ctx, 'volume_id'),
      // The metadata filter is from 3.22 (dropped before).
      metadata: atLeast(ctx, '3.22') ? metadataFilter(ctx) : undefined,
      projectId: queryString(ctx, 'project_id'),
      like: likeFilters(ctx),
    },
  };
  const caller = callerOf(ctx);
  const records = await snapshots.list(caller, q);
  const view = viewContextOf(ctx);
  return {
    status: 200,
    body: collection('snapshots', records, (s) => (detail ? snapshotDetail(s, view) : snapshotSummary(s)), {
      limit: q.page.limit, path, query: ctx.query, ctx: view, count: withCount(ctx) ? await snapshots.count(caller, q) : undefined,
    }),
  };
}

export function snapshotHandlers(snapshots: SnapshotService): Handlers {
  return typedHandlers<operations>({
    listSnapshots: (ctx) => list(ctx, snapshots, 'snapshots', false),
    listSnapshotsDetail: (ctx) => list(ctx, snapshots, 'snapshots/detail', true),

    async createSnapshot(ctx) {
      const s = ctx.body.snapshot;
      // Cinder allows a null volume_id through its schema and then finds no volume "None".
      if (s.volume_id === null) throw volumeNotFound('None');
      const record = await snapshots.create(callerOf(ctx), {
        volumeId: s.volume_id,
        name: s.name !== undefined ? s.name : s.display_name,
        description: s.description !== undefined ? s.description : s.display_description,
        force: s.force === undefined || s.force === null ? false : parseCinderBool(s.force, 'force'),
        metadata: s.metadata ?? undefined,
      });
      return { status: 202, body: { snapshot: snapshotDetail(record, viewContextOf(ctx), false) } };
    },
    async showSnapshot(ctx) {
      const record = await snapshots.show(callerOf(ctx), ctx.params.snapshot_id);
      return { status: 200, body: { snapshot: snapshotDetail(record, viewContextOf(ctx)) } };
    },
    async updateSnapshot(ctx) {
      const s = ctx.body.snapshot ?? {};
      if (!['name', 'description', 'display_name', 'display_description'].some((k) => k in s)) throw emptySnapshotUpdate();
      const record = await snapshots.update(callerOf(ctx), ctx.params.snapshot_id, {
        name: 'name' in s ? s.name : s.display_name,
        description: 'description' in s ? s.description : s.display_description,
      });
      return { status: 200, body: { snapshot: snapshotDetail(record, viewContextOf(ctx), false) } };
    },
    async deleteSnapshot(ctx) {
      await snapshots.delete(callerOf(ctx), ctx.params.snapshot_id);
      return { status: 202 };
    },
    async snapshotAction(ctx) {
      const body = ctx.body;
      const keys = Object.keys(body ?? {});
      if (keys.length !== 1) throw new BadRequest('Malformed request body');
      const caller = callerOf(ctx);
      const id = ctx.params.snapshot_id;
      switch (keys[0]) {
        case 'os-force_delete':
          await snapshots.delete(caller, id, { force: true });
          return { status: 202 };
        case 'os-reset_status':
          await snapshots.resetStatus(caller, id, body['os-reset_status']!.status);
          return { status: 202 };
        default:
          throw new BadRequest(`There is no such action: ${keys[0]}`);
      }
    },
  });
}
