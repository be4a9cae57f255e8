/**
 * Nova os-volume_attachments handlers.
 *
 * LIMITATIONS:
 * - attaching to or detaching from an ACTIVE server re-creates its container (its mounts
 *   cannot change while it runs); processes inside restart;
 * - no volume swap: PUT swapping volumes ends as Nova's swap does for a volume that is not
 *   migrating (409: only Cinder calls it, mid-migration); from 2.85 PUT changes
 *   delete_on_termination; no multiattach.
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { Conflict, Forbidden } from '../http/faults';
import { limitedPage } from './compute-links';
import { refuseUnknownQuery } from './request-versions';
import { Microversion } from '../http/microversion';
import { atLeast, booleanArg, objectArgs } from './server-action-table';
import type { Compute } from './compute-module';
import { checkLock } from './server-states';
import type { ServerRow, BlockDeviceRow } from './server-store';
import { attachmentView } from './server-views';

async function view(compute: Compute, server: ServerRow, b: BlockDeviceRow, mv: Microversion | null) {
  const attachmentId = mv?.atLeast('2.89') ? await compute.attachments.attachmentId(server, b.volume_id!) : null;
  return attachmentView(b, server.id, mv, attachmentId);
}

/** The attach answer: Nova forgot 2.89 there, so it keeps `id` and has no attachment ids at any version. */
function createdView(b: BlockDeviceRow, serverId: string, mv: Microversion | null) {
  return attachmentView(b, serverId, atLeast(mv, '2.89') ? Microversion.parse('2.88') : mv);
}

/** volumeAttachment's keys (schemas/volume_attachments.py): tag from 2.49, delete_on_termination from 2.79. */
function attachKeys(mv: Microversion | null): string[] {
  return ['volumeId', 'device', ...(atLeast(mv, '2.49') ? ['tag'] : []), ...(atLeast(mv, '2.79') ? ['delete_on_termination'] : [])];
}

/** PUT's keys: volumeId only before 2.85 (a swap), then the attachment's own (update_v285). */
function updateKeys(mv: Microversion | null): string[] {
  return atLeast(mv, '2.85') ? ['volumeId', 'device', 'tag', 'delete_on_termination', 'serverId', 'id'] : ['volumeId'];
}

/** Nova answers 409 for attach and detach on a shelved server before 2.20. */
function checkShelved(server: ServerRow, mv: Microversion | null, method: string): void {
  if ((server.vm_state === 'shelved' || server.vm_state === 'shelved_offloaded') && !atLeast(mv, '2.20')) {
    throw new Conflict(`Cannot '${method}' instance ${server.id} while it is in vm_state ${server.vm_state}`);
  }
}

export function attachmentHandlers(compute: Compute): Handlers {
  return typedHandlers<operations>({
    async listVolumeAttachments(ctx) {
      refuseUnknownQuery(ctx.query, ctx.microversion, ['limit', 'offset']);
      const { offset, limit } = limitedPage({ limit: queryString(ctx, 'limit'), offset: queryString(ctx, 'offset') });
      const server = await compute.servers.get(requireAuth(ctx), ctx.params.server_id);
      const rows = (await compute.attachments.list(server)).slice(offset, offset + limit);
      return { status: 200, body: { volumeAttachments: await Promise.all(rows.map((b) => view(compute, server, b, ctx.microversion))) } };
    },
    async showVolumeAttachment(ctx) {
      const server = await compute.servers.get(requireAuth(ctx), ctx.params.server_id);
      const bdm = await compute.attachments.get(server, ctx.params.volume_id);
      return { status: 200, body: { volumeAttachment: await view(compute, server, bdm, ctx.microversion) } };
    },
    async attachVolume(ctx) {
      const auth = requireAuth(ctx);
      const server = await compute.servers.get(auth, ctx.params.server_id);
      checkLock(server, auth);
      const a = ctx.body.volumeAttachment;
      objectArgs('volumeAttachment', a, attachKeys(ctx.microversion), ['volumeId']);
      checkShelved(server, ctx.microversion, 'attach_volume');
      const bdm = await compute.instanceActions.around(server, auth, ctx.requestId, 'attach_volume', () => compute.attachments.attach(server.id, {
        volumeId: a.volumeId, device: a.device ?? null, deleteOnTermination: a.delete_on_termination, tag: a.tag ?? null,
      }));
      return { status: 200, body: { volumeAttachment: createdView(bdm, server.id, ctx.microversion) } };
    },
    async updateVolumeAttachment(ctx) {
      const auth = requireAuth(ctx);
      const server = await compute.servers.get(auth, ctx.params.server_id);
      const body = (ctx.body ?? {}) as Record<string, unknown>;
      const a = objectArgs('volumeAttachment', body.volumeAttachment, updateKeys(ctx.microversion), ['volumeId']);
      const id = ctx.params.volume_id;
      const swap = !atLeast(ctx.microversion, '2.85') || a.volumeId !== id;
      if (swap && !auth.isAdmin) throw new Forbidden("Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed.");
      if (atLeast(ctx.microversion, '2.85')) {
        const deleteOnTermination = a.delete_on_termination === undefined ? undefined : booleanArg('delete_on_termination', a.delete_on_termination);
        await compute.attachments.update(server.id, id, a, deleteOnTermination);
      }
      if (swap) await compute.attachments.swap(server, id);
      return { status: 202 };
    },
    async detachVolume(ctx) {
      const auth = requireAuth(ctx);
      const server = await compute.servers.get(auth, ctx.params.server_id);
      checkLock(server, auth);
      checkShelved(server, ctx.microversion, 'detach_volume');
      await compute.instanceActions.around(server, auth, ctx.requestId, 'detach_volume', () => compute.attachments.detach(server.id, ctx.params.volume_id));
      return { status: 202 };
    },
  });
}
