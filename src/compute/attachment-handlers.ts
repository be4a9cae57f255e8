/**
 * Nova os-volume_attachments handlers.
 *
 * LIMITATIONS:
 * - attaching to or detaching from an ACTIVE server re-creates its container (its mounts
 *   cannot change while it runs); processes inside restart;
 * - no volume swap/update (PUT answers 501), no multiattach, no attachment tags validation.
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { requireAuth, typedHandlers } from '../http/context';
import { BadRequest } from '../http/faults';
import type { Microversion } from '../http/microversion';
import type { Compute } from './compute-module';
import { checkLock } from './server-states';
import type { ServerRow, BlockDeviceRow } from './server-store';
import { attachmentView } from './server-views';

async function view(compute: Compute, server: ServerRow, b: BlockDeviceRow, mv: Microversion | null) {
  const attachmentId = mv?.atLeast('2.89') ? await compute.attachments.attachmentId(server, b.volume_id!) : null;
  return attachmentView(b, server.id, mv, attachmentId);
}

export function attachmentHandlers(compute: Compute): Handlers {
  return typedHandlers<operations>({
    async listVolumeAttachments(ctx) {
      const server = await compute.servers.get(requireAuth(ctx), ctx.params.server_id);
      const rows = await compute.attachments.list(server);
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
      if ('delete_on_termination' in a && !(ctx.microversion?.atLeast('2.79') ?? false)) {
        throw new BadRequest("Invalid input for field/attribute volumeAttachment. Additional properties are not allowed ('delete_on_termination' was unexpected)");
      }
      const bdm = await compute.instanceActions.around(server, auth, ctx.requestId, 'attach_volume', () => compute.attachments.attach(server.id, {
        volumeId: a.volumeId, device: a.device ?? null, deleteOnTermination: a.delete_on_termination, tag: a.tag ?? null,
      }));
      return { status: 200, body: { volumeAttachment: await view(compute, server, bdm, ctx.microversion) } };
    },
    async detachVolume(ctx) {
      const auth = requireAuth(ctx);
      const server = await compute.servers.get(auth, ctx.params.server_id);
      checkLock(server, auth);
      await compute.instanceActions.around(server, auth, ctx.requestId, 'detach_volume', () => compute.attachments.detach(server.id, ctx.params.volume_id));
      return { status: 202 };
    },
  });
}
