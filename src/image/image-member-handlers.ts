/**
 * Glance v2 image member handlers (sharing an image with another project).
 *
 * LIMITATIONS:
 * - members are project ids and are not checked against Keystone (Glance does not either);
 * - the member quota (image_member_quota) is counted under the image row lock (image-quotas.ts).
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/image';
import { requireAuth, typedHandlers } from '../http/context';
import type { ImageMemberService } from './image-member-service';
import { memberView } from './image-views';

export function imageMemberHandlers(members: ImageMemberService): Handlers {
  return typedHandlers<operations>({
    async listImageMembers(ctx) {
      const rows = await members.list(requireAuth(ctx), ctx.params.image_id);
      return { status: 200, body: { members: rows.map(memberView), schema: '/v2/schemas/members' } };
    },
    async createImageMember(ctx) {
      const row = await members.add(requireAuth(ctx), ctx.params.image_id, ctx.body.member);
      return { status: 200, body: memberView(row) };
    },
    async showImageMember(ctx) {
      return { status: 200, body: memberView(await members.get(requireAuth(ctx), ctx.params.image_id, ctx.params.member_id)) };
    },
    async updateImageMember(ctx) {
      const row = await members.setStatus(requireAuth(ctx), ctx.params.image_id, ctx.params.member_id, ctx.body.status);
      return { status: 200, body: memberView(row) };
    },
    async deleteImageMember(ctx) {
      await members.remove(requireAuth(ctx), ctx.params.image_id, ctx.params.member_id);
      return { status: 204 };
    },
  });
}
