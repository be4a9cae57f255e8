import { BadRequest, Conflict, Forbidden, NotFound } from '../http/faults';
import type { ImageCaller, ImageRecord } from './image-api';
import type { ImageService } from './image-service';
import type { ImageStore, MemberRow } from './image-store';

const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'];

/**
 * Glance image sharing: the owner offers a `shared` image to a project (pending); the member
 * accepts or rejects it. Accepted images show in the member's default listing; any member
 * (even pending) may show the image by id.
 */
export class ImageMemberService {
  constructor(private readonly images: ImageService, private readonly store: ImageStore) {}

  private isOwner(caller: ImageCaller, image: ImageRecord): boolean {
    return caller.isAdmin || (caller.projectId !== null && image.owner === caller.projectId);
  }

  async add(caller: ImageCaller, imageId: string, memberId: string): Promise<MemberRow> {
    const image = await this.images.getImage(caller, imageId);
    if (!this.isOwner(caller, image)) throw new Forbidden('You are not permitted to create image members for the image.');
    if (image.visibility !== 'shared') throw new Forbidden(`Only shared images have members.`);
    if (await this.store.getMember(imageId, memberId)) throw new Conflict(`The given member ${memberId} is already associated with image ${imageId}`);
    return this.store.insertMember(imageId, memberId);
  }

  /** The owner sees every member; a member sees only its own membership. */
  async list(caller: ImageCaller, imageId: string): Promise<MemberRow[]> {
    const image = await this.images.getImage(caller, imageId);
    if (image.visibility !== 'shared') throw new Forbidden(`Only shared images have members.`);
    const all = await this.store.listMembers(imageId);
    return this.isOwner(caller, image) ? all : all.filter((m) => m.member_id === caller.projectId);
  }

  async get(caller: ImageCaller, imageId: string, memberId: string): Promise<MemberRow> {
    const image = await this.images.getImage(caller, imageId);
    const member = await this.store.getMember(imageId, memberId);
    if (!member || (!this.isOwner(caller, image) && memberId !== caller.projectId)) {
      throw new NotFound(`Member ${memberId} not found`);
    }
    return member;
  }

  /** Only the member itself decides; the owner may not accept on its behalf. */
  async setStatus(caller: ImageCaller, imageId: string, memberId: string, status: unknown): Promise<MemberRow> {
    await this.get(caller, imageId, memberId);
    if (typeof status !== 'string' || !MEMBER_STATUSES.includes(status)) throw new BadRequest(`Invalid status: ${String(status)}`);
    if (!caller.isAdmin && memberId !== caller.projectId) {
      throw new Forbidden("You are not permitted to modify 'status' on this image member.");
    }
    return this.store.updateMember(imageId, memberId, status);
  }

  async remove(caller: ImageCaller, imageId: string, memberId: string): Promise<void> {
    const image = await this.images.getImage(caller, imageId);
    await this.get(caller, imageId, memberId);
    if (!this.isOwner(caller, image)) throw new Forbidden('You are not permitted to delete image members for the image.');
    await this.store.deleteMember(imageId, memberId);
  }
}
