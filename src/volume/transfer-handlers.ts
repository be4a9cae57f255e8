/**
 * Cinder's volume transfers: the os-volume-transfer extension (every microversion) and, from
 * 3.55, /volume-transfers with no_snapshots (operationIds of openapi/volume.yaml; the legacy
 * ones end in `Legacy`).
 *
 * LIMITATIONS:
 * - no marker/limit/sort paging of the list (3.59), no transfer expiry (Cinder has none either);
 * - an accepted transfer's row goes, so no transfer is ever shown accepted (3.57's history);
 * - encrypted volumes do not exist here, so 3.70's allow_encrypted has nothing to allow;
 * - the volume's data keeps the Docker labels of the project that made it.
 */
import type { operations } from '../generated/volume';
import type { Handlers, RequestContext } from '../http/context';
import { queryString, typedHandlers } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import { isoMicros } from '../shared/time-format';
import { blankName, parseCinderBool, requireUuid } from './volume-faults';
import { atLeast, callerOf, lenientBool, viewContextOf } from './volume-request';
import type { TransferRecord, TransferService } from './transfer-service';
import { links, ViewContext } from './volume-views';

/** Cinder's transfer views (cinder/api/views/transfers.py); links name os-volume-transfer whatever the route. */
function transferView(t: TransferRecord, ctx: ViewContext, kind: 'summary' | 'detail' | 'create'): Record<string, unknown> {
  const l = links(ctx, 'os-volume-transfer', t.id);
  if (kind === 'summary') return { id: t.id, volume_id: t.volumeId, name: t.name, links: l };
  const body: Record<string, unknown> = { id: t.id, created_at: isoMicros(t.createdAt), name: t.name, volume_id: t.volumeId };
  if (kind === 'create') body.auth_key = t.authKey;
  body.links = l;
  if (ctx.microversion?.atLeast('3.55')) body.no_snapshots = t.noSnapshots;
  if (ctx.microversion?.atLeast('3.57')) {
    Object.assign(body, { destination_project_id: null, source_project_id: t.sourceProjectId, accepted: false });
  }
  return body;
}

/** Cinder's format name_skip_leading_trailing_spaces: stripped, not blank. */
function transferName(name: string | null | undefined): string | null {
  if (name === undefined || name === null) return null;
  const stripped = name.trim();
  if (stripped.length === 0) throw blankName();
  return stripped;
}

export function transferHandlers(transfers: TransferService): Handlers {
  /** /volume-transfers is routed from 3.55 only: below, Cinder has no such resource. */
  const v355 = (ctx: RequestContext, legacy: boolean) => {
    if (!legacy && !atLeast(ctx, '3.55')) throw new NotFound('The resource could not be found.');
  };
  const list = (legacy: boolean, kind: 'summary' | 'detail') => async (ctx: RequestContext) => {
    v355(ctx, legacy);
    const records = await transfers.list(callerOf(ctx), {
      allTenants: lenientBool(ctx, 'all_tenants'), name: queryString(ctx, 'name'), volumeId: queryString(ctx, 'volume_id'),
    });
    const view = viewContextOf(ctx);
    return { status: 200, body: { transfers: records.map((t) => transferView(t, view, kind)) } };
  };
  const show = (legacy: boolean) => async (ctx: RequestContext<unknown, { transfer_id: string }>) => {
    v355(ctx, legacy);
    return { status: 200, body: { transfer: transferView(await transfers.show(callerOf(ctx), ctx.params.transfer_id), viewContextOf(ctx), 'detail') } };
  };
  const remove = (legacy: boolean) => async (ctx: RequestContext<unknown, { transfer_id: string }>) => {
    v355(ctx, legacy);
    await transfers.delete(callerOf(ctx), ctx.params.transfer_id);
    return { status: 202 };
  };
  type CreateBody = operations['createVolumeTransfer']['requestBody']['content']['application/json'];
  const create = (legacy: boolean) => async (ctx: RequestContext<CreateBody>) => {
    v355(ctx, legacy);
    const t = ctx.body.transfer;
    if (t.no_snapshots !== undefined && legacy) {
      throw new BadRequest("Additional properties are not allowed ('no_snapshots' was unexpected)");
    }
    const record = await transfers.create(callerOf(ctx), {
      volumeId: requireUuid('volume_id', t.volume_id), name: transferName(t.name), noSnapshots: t.no_snapshots === undefined ? false : parseCinderBool(t.no_snapshots, 'no_snapshots'),
    });
    return { status: 202, body: { transfer: transferView(record, viewContextOf(ctx), 'create') } };
  };
  type AcceptBody = operations['acceptVolumeTransfer']['requestBody']['content']['application/json'];
  const accept = (legacy: boolean) => async (ctx: RequestContext<AcceptBody, { transfer_id: string }>) => {
    v355(ctx, legacy);
    const key = ctx.body.accept.auth_key;
    if (typeof key !== 'string' && !(typeof key === 'number' && Number.isInteger(key))) {
      throw new BadRequest(`Invalid input for field/attribute auth_key. Value: ${JSON.stringify(key)}. ${JSON.stringify(key)} is not of type 'string', 'integer'`);
    }
    const record = await transfers.accept(callerOf(ctx), ctx.params.transfer_id, String(key));
    return { status: 202, body: { transfer: transferView(record, viewContextOf(ctx), 'summary') } };
  };
  return typedHandlers<operations>({
    listVolumeTransfersLegacy: list(true, 'summary'),
    listVolumeTransfersDetailLegacy: list(true, 'detail'),
    showVolumeTransferLegacy: show(true),
    deleteVolumeTransferLegacy: remove(true),
    createVolumeTransferLegacy: create(true),
    acceptVolumeTransferLegacy: accept(true),
    listVolumeTransfers: list(false, 'summary'),
    listVolumeTransfersDetail: list(false, 'detail'),
    showVolumeTransfer: show(false),
    deleteVolumeTransfer: remove(false),
    createVolumeTransfer: create(false),
    acceptVolumeTransfer: accept(false),
  });
}
