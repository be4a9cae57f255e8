import { BadRequest, Conflict, Forbidden, NotFound } from '../http/faults';
import type { ImageCaller, ImageRecord } from './image-api';
import { enforceImageQuota, memberLimitWords } from './image-quotas';
import { mayModify, type ImageService } from './image-service';
import type { ImageStore, MemberRow } from './image-store';

const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'];

/**
 * Glance image sharing: the owner offers a `shared` image to a project (pending); the member
 * accepts or rejects it. Accepted images show in the member's default listing; any member
 * (even pending) may show the image by id.
 */
export class ImageMemberService {
  constructor(private readonly images: ImageService, private readonly store: ImageStore) {}

  /** Glance's members controller's _lookup_image: its own 404 text. */
  private image(caller: ImageCaller, imageId: string): Promise<ImageRecord> {
    return this.images.getImageOr(caller, imageId, `Image ${imageId} not found.`);
  }

  /** Glance's _check_visibility_and_ownership: members exist only on a shared image. */
  private requireShared(image: ImageRecord, denied: string): void {
    if (image.visibility !== 'shared') throw new Forbidden(denied);
  }

  /** Glance's _lookup_member: the owner sees every member, a member only itself. */
  private async lookup(caller: ImageCaller, image: ImageRecord, memberId: string): Promise<MemberRow> {
    const member = await this.store.getMember(image.id, memberId);
    if (!member || (!mayModify(caller, image) && memberId !== caller.projectId)) {
      throw new NotFound(`${memberId} not found in the member list of the image ${image.id}.`);
    }
    return member;
  }

  /** Glance's create: shared only, the owner only (add_member), each project once. */
  async add(caller: ImageCaller, imageId: string, memberId: string): Promise<MemberRow> {
    const image = await this.image(caller, imageId);
    const denied = `Not allowed to create members for image ${imageId}.`;
    this.requireShared(image, denied);
    if (!mayModify(caller, image)) throw new Forbidden(denied);
    if (await this.store.getMember(imageId, memberId)) throw new Conflict(`Member ${memberId} is duplicated for image ${imageId}`);
    return this.store.insertMember(imageId, memberId, (count) => enforceImageQuota(this.images.quotas, 'members', count, memberLimitWords(imageId)));
  }

  /** The owner sees every member; a member sees only its own membership. */
  async list(caller: ImageCaller, imageId: string): Promise<MemberRow[]> {
    const image = await this.image(caller, imageId);
    this.requireShared(image, `Not allowed to list members for image ${imageId}: Only shared images have members.`);
    const all = await this.store.listMembers(imageId);
    return mayModify(caller, image) ? all : all.filter((m) => m.member_id === caller.projectId);
  }

  /** Glance's show turns every refusal into a 404 (no leak of who the members are). */
  async get(caller: ImageCaller, imageId: string, memberId: string): Promise<MemberRow> {
    const image = await this.image(caller, imageId);
    if (image.visibility !== 'shared') throw new NotFound('Only shared images have members.');
    return this.lookup(caller, image, memberId);
  }

  /**
   * Only the member itself (or an admin) decides (Glance's modify_member, admin or shared
   * member); the status is checked last, after the member and the policy, as Glance sets it.
   */
  async setStatus(caller: ImageCaller, imageId: string, memberId: string, status: unknown): Promise<MemberRow> {
    const image = await this.image(caller, imageId);
    const denied = `Not allowed to update members for image ${imageId}.`;
    this.requireShared(image, denied);
    await this.lookup(caller, image, memberId);
    if (!caller.isAdmin && memberId !== caller.projectId) throw new Forbidden(denied);
    if (typeof status !== 'string' || !MEMBER_STATUSES.includes(status)) {
      throw new BadRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    return this.store.updateMember(imageId, memberId, status);
  }

  /** Only the owner (or an admin) removes a member (Glance's delete_member). */
  async remove(caller: ImageCaller, imageId: string, memberId: string): Promise<void> {
    const image = await this.image(caller, imageId);
    const denied = `Not allowed to delete members for image ${imageId}.`;
    this.requireShared(image, denied);
    await this.lookup(caller, image, memberId);
    if (!mayModify(caller, image)) throw new Forbidden(denied);
    await this.store.deleteMember(imageId, memberId);
  }
}
