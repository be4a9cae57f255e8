/**
 * Cinder's POST /volumes/{id}/action, dispatched through one table keyed by the API's action
 * name (`os-extend`, `revert`, `os-retype`...), so a search for an action's name finds its entry.
 *
 * LIMITATIONS:
 * - os-retype changes the type at once (one backend, no migration; migration_policy is accepted
 *   and has nothing to decide);
 * - os-set_image_metadata/os-unset_image_metadata edit volume_image_metadata with no check of
 *   the volume's status;
 * - os-reset_status accepts attach_status/migration_status but only status has an effect;
 * - the legacy attach actions record attachments (Cinder's own bookkeeping) and mount nothing;
 *   os-force_detach ignores its connector (there is no connection to terminate); no
 *   os-initialize_connection/os-terminate_connection (no export to connect to).
 */
import type { components, operations } from '../generated/volume';
import type { Handlers, Reply, RequestContext } from '../http/context';
import { typedHandlers } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import { parseCinderBool, parseSize, requireUuid } from './volume-faults';
import type { Caller } from './volume-quotas';
import { atLeast, callerOf } from './volume-request';
import type { VolumeService } from './volume-service';
import type { VolumeTypeService } from './volume-type-service';
import { parseUploadRequest } from './volume-upload';
import { uploadView } from './volume-views';

/** What one action's entry is given: the caller, the volume id and the whole (validated) body. */
export interface VolumeActionCall {
  ctx: RequestContext;
  caller: Caller;
  id: string;
  body: components['schemas']['VolumeActionRequest'];
  /** body[<action name>], for the actions the spec leaves untyped. */
  args: unknown;
  volume: VolumeService;
  types: VolumeTypeService;
}

export type VolumeActionTable = Record<string, (call: VolumeActionCall) => Promise<Reply>>;

const ACCEPTED: Reply = { status: 202 };
const OK: Reply = { status: 200 };

/** `value[name]` when value is an object (an action the spec leaves untyped), else undefined. */
export function memberOf(value: unknown, name: string): unknown {
  return value && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

const volumeActions: VolumeActionTable = {
  'os-extend': async (c) => {
    await c.volume.extend(c.caller, c.id, parseSize(c.body['os-extend']!.new_size, 'new_size'), atLeast(c.ctx, '3.42'));
    return ACCEPTED;
  },
  'os-force_delete': async (c) => {
    await c.volume.delete(c.caller, c.id, { force: true });
    return ACCEPTED;
  },
  revert: async (c) => {
    // Below 3.40 Cinder has no such method: 404, as if the action did not exist.
    if (!atLeast(c.ctx, '3.40')) throw new NotFound();
    await c.volume.revert(c.caller, c.id, c.body.revert?.snapshot_id);
    return ACCEPTED;
  },
  'os-volume_upload_image': async (c) => {
    const at31 = atLeast(c.ctx, '3.1');
    const req = parseUploadRequest(c.body['os-volume_upload_image'], parseCinderBool, at31);
    const { volume: v, image } = await c.volume.uploadToImage(c.caller, c.id, req);
    return { status: 202, body: { 'os-volume_upload_image': uploadView(v, await c.types.ofVolume(v.volumeType), image, req, at31) } };
  },
  'os-set_bootable': async (c) => {
    await c.volume.setBootable(c.caller, c.id, parseCinderBool(c.body['os-set_bootable']!.bootable, 'bootable'));
    return OK;
  },
  'os-set_image_metadata': async (c) => {
    const m = memberOf(c.args, 'metadata');
    const valid = m && typeof m === 'object' && !Array.isArray(m)
      && Object.entries(m).every(([k, v]) => k.length >= 1 && k.length <= 255 && typeof v === 'string' && v.length <= 255);
    if (!valid) throw new BadRequest('Malformed request body');
    return { status: 200, body: { metadata: await c.volume.changeImageMetadata(c.caller, c.id, { set: m as Record<string, string> }) } };
  },
  'os-unset_image_metadata': async (c) => {
    const key = memberOf(c.args, 'key');
    if (typeof key !== 'string') throw new BadRequest('Invalid request body');
    await c.volume.changeImageMetadata(c.caller, c.id, { unset: key });
    return OK;
  },
  'os-show_image_metadata': async (c) => ({ status: 200, body: { metadata: await c.volume.imageMetadata(c.caller, c.id) } }),
  'os-reset_status': async (c) => {
    await c.volume.resetStatus(c.caller, c.id, c.body['os-reset_status'] ?? {});
    return ACCEPTED;
  },
  'os-retype': async (c) => {
    await c.volume.retype(c.caller, c.id, c.body['os-retype']!.new_type);
    return ACCEPTED;
  },
};

/** Cinder's legacy attach actions: bookkeeping of statuses and attachments (volume-legacy-attach.ts). */
const legacyAttachActions: VolumeActionTable = {
  'os-reserve': async (c) => (await c.volume.legacyAttach.reserve(c.caller, c.id), ACCEPTED),
  'os-unreserve': async (c) => (await c.volume.legacyAttach.unreserve(c.caller, c.id), ACCEPTED),
  'os-begin_detaching': async (c) => (await c.volume.legacyAttach.beginDetaching(c.caller, c.id), ACCEPTED),
  'os-roll_detaching': async (c) => (await c.volume.legacyAttach.rollDetaching(c.caller, c.id), ACCEPTED),
  'os-attach': async (c) => {
    const a = c.body['os-attach']!;
    if (a.instance_uuid !== undefined) requireUuid('instance_uuid', a.instance_uuid);
    if (a.instance_uuid === undefined && a.host_name === undefined) {
      throw new BadRequest(`Invalid input for field/attribute os-attach. Value: ${JSON.stringify(a)}. ${JSON.stringify(a)} is not valid under any of the given schemas`);
    }
    await c.volume.legacyAttach.attach(c.caller, c.id, { instanceUuid: a.instance_uuid, hostName: a.host_name, mountpoint: a.mountpoint, mode: a.mode });
    return ACCEPTED;
  },
  'os-detach': async (c) => {
    const attachmentId = c.body['os-detach']?.attachment_id;
    await c.volume.legacyAttach.detach(c.caller, c.id, attachmentId ? requireUuid('attachment_id', attachmentId) : attachmentId);
    return ACCEPTED;
  },
  'os-force_detach': async (c) => {
    await c.volume.legacyAttach.detach(c.caller, c.id, c.body['os-force_detach']?.attachment_id, { force: true });
    return ACCEPTED;
  },
  'os-update_readonly_flag': async (c) => {
    await c.volume.legacyAttach.updateReadonly(c.caller, c.id, parseCinderBool(c.body['os-update_readonly_flag']!.readonly, 'readonly'));
    return ACCEPTED;
  },
};

/** Every implemented volume action. */
export function volumeActionTable(): VolumeActionTable {
  return { ...volumeActions, ...legacyAttachActions };
}

export function volumeActionHandlers(volume: VolumeService, types: VolumeTypeService): Handlers {
  const table = volumeActionTable();
  return typedHandlers<operations>({
    async volumeAction(ctx) {
      const body = ctx.body;
      const keys = Object.keys(body ?? {});
      if (keys.length !== 1) throw new BadRequest('Malformed request body');
      const [action] = keys;
      const run = Object.hasOwn(table, action) ? table[action] : undefined;
      if (!run) throw new BadRequest(`There is no such action: ${action}`);
      return run({ ctx, caller: callerOf(ctx), id: ctx.params.volume_id, body, args: (body as Record<string, unknown>)[action], volume, types });
    },
  });
}
