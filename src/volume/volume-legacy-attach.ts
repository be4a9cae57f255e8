/**
 * Cinder's legacy attach actions (os-reserve, os-unreserve, os-attach, os-begin_detaching,
 * os-roll_detaching, os-detach, os-update_readonly_flag, os-force_detach) as Cinder keeps them:
 * bookkeeping of statuses, attachments and admin metadata, no data path. An attachment made
 * this way is recorded only (`connected: false`): no container mounts it. Attachments Nova
 * made for a Snapstack server (`connected: true`) are refused here as Cinder refuses a user's
 * detach of an attachment Nova uses (409, "use the Compute API"), so a server keeps its mount.
 */
import { randomUUID } from 'crypto';
import { BadRequest, Conflict } from '../http/faults';
import type { Logger } from '../logger';
import { invalidVolume, policyForbids, volumeNotFound } from './volume-faults';
import type { Caller } from './volume-quotas';
import { ALL_PROJECTS as ALL, AttachmentRow, callerScope, VolumeStore } from './volume-store';

export interface LegacyAttachRequest {
  /** Already checked to be uuid-like (Cinder's schema). */
  instanceUuid?: string;
  hostName?: string;
  mountpoint: string;
  mode?: 'rw' | 'ro';
}

/** cinder.exception.ConflictNovaUsingAttachment (409). */
const novaUsesAttachment = (serverId: string) => new Conflict(`Detach volume from instance ${serverId} using the Compute API`);

/** How the API words an error the volume manager raised (messaging.RemoteError -> 400). */
const managerRefusal = (type: string, message: string) => new BadRequest(`Error attaching volume - ${type}: ${message}`);

export class LegacyAttachments {
  constructor(private readonly d: { volumes: VolumeStore; log: Logger }) {}

  /** available -> attaching (Cinder's reserve_volume). */
  async reserve(caller: Caller, id: string): Promise<void> {
    await this.conditional(caller, id, ['available'], 'attaching', (status) => {
      throw invalidVolume(`Volume status must be available to reserve, but the status is ${status}.`);
    });
  }

  /** attaching -> in-use (with attachments) or available; anything else: nothing to do. */
  async unreserve(caller: Caller, id: string): Promise<void> {
    await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const v = await this.lockedRow(volumes, caller, id);
      if (v.status !== 'attaching') return;
      await volumes.update(ALL, id, { status: (await volumes.countAttachments(id)) > 0 ? 'in-use' : 'available' });
    });
  }

  /** in-use and attached -> detaching. */
  async beginDetaching(caller: Caller, id: string): Promise<void> {
    await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const v = await this.lockedRow(volumes, caller, id);
      if (v.status !== 'in-use' || (await volumes.countAttachments(id)) === 0) {
        throw invalidVolume("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
      }
      await volumes.update(ALL, id, { status: 'detaching' });
    });
  }

  /** detaching -> in-use; anything else: nothing to do. */
  async rollDetaching(caller: Caller, id: string): Promise<void> {
    await this.conditional(caller, id, ['detaching'], 'in-use', () => undefined);
  }

  /**
   * os-attach: records an attachment to an instance or a host at `mountpoint` (the API's and
   * the volume manager's checks), in-use, attached_mode in the admin metadata.
   */
  async attach(caller: Caller, id: string, req: LegacyAttachRequest): Promise<void> {
    const mode = req.mode ?? 'rw';
    await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const v = await this.lockedRow(volumes, caller, id);
      if (v.status === 'maintenance') throw invalidVolume('The volume cannot be attached in maintenance mode.');
      const admin: Record<string, string> = { readonly: 'False', ...(v.admin_metadata ?? {}) };
      if (admin.readonly === 'True' && mode !== 'ro') throw new BadRequest(`Invalid attaching mode '${mode}' for volume ${id}.`);
      if (v.status === 'attaching' && admin.attached_mode && admin.attached_mode !== mode) {
        throw managerRefusal('InvalidVolume', 'Invalid volume: being attached by different mode.');
      }
      const existing = (await volumes.attachments(ALL, [id]))
        .find((a) => (req.instanceUuid ? a.server_id === req.instanceUuid : !a.server_id && a.host_name === req.hostName));
      if (existing) {
        await volumes.update(ALL, id, { status: 'in-use' });
        return;
      }
      if (v.status === 'in-use') {
        throw managerRefusal('InvalidVolume', 'Invalid volume: volume is already attached and multiple attachments are not enabled.');
      }
      if (!['available', 'attaching', 'reserved', 'detaching'].includes(v.status)) {
        throw invalidVolume(`Volume ${id} status must be available or attaching to attach, but current status is: ${v.status}.`);
      }
      await volumes.insertAttachment({
        id: randomUUID(), volume_id: id, project_id: v.project_id, server_id: req.instanceUuid ?? null, host_name: req.hostName ?? null,
        device: req.mountpoint, attach_mode: mode, connected: false, attached_at: new Date(),
      });
      await volumes.update(ALL, id, { status: 'in-use', admin_metadata: { ...admin, attached_mode: mode } });
    });
    this.d.log.info({ volume_id: id, server_id: req.instanceUuid, host_name: req.hostName, mountpoint: req.mountpoint }, 'volume attachment recorded (os-attach)');
  }

  /**
   * os-detach and os-force_detach (admin): Cinder's attachment_deletion_allowed (an attachment
   * Nova uses is refused, 409), then the manager's detach (the one attachment when none is named).
   */
  async detach(caller: Caller, id: string, attachmentId: string | null | undefined, opts: { force?: boolean } = {}): Promise<void> {
    if (opts.force && !caller.isAdmin) {
      await this.requireVisible(caller, id);
      throw policyForbids('volume_extension:volume_admin_actions:force_detach');
    }
    await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const v = await this.lockedRow(volumes, caller, id);
      const attachments = await volumes.attachments(ALL, [id]);
      let target: AttachmentRow | undefined;
      if (attachmentId) {
        target = attachments.find((a) => a.id === attachmentId);
        if (!target) throw novaUsesAttachment('');
      } else if (attachments.length === 1) {
        target = attachments[0];
      } else if (attachments.length > 1) {
        // Cinder's attachment_deletion_allowed: several attachments and none named is refused as "in use".
        throw novaUsesAttachment('');
      }
      if (target?.connected) throw novaUsesAttachment(target.server_id ?? '');
      if (v.status === 'maintenance') throw invalidVolume('The volume cannot be detached in maintenance mode.');
      if (target) await volumes.deleteAttachmentById(id, target.id);
      const left = target ? attachments.length - 1 : attachments.length;
      const { attached_mode: _mode, ...admin } = v.admin_metadata ?? {};
      await volumes.update(ALL, id, { status: left > 0 ? 'in-use' : 'available', ...(left === 0 ? { admin_metadata: admin } : {}) });
    });
    this.d.log.info({ volume_id: id, attachment_id: attachmentId, force: Boolean(opts.force) }, 'volume attachment removed (os-detach)');
  }

  /** os-update_readonly_flag: an available volume's readonly admin metadata. */
  async updateReadonly(caller: Caller, id: string, readonly: boolean): Promise<void> {
    await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const v = await this.lockedRow(volumes, caller, id);
      if (v.status !== 'available') {
        throw invalidVolume(`Volume ${id} status must be available to update readonly flag, but current status is: ${v.status}.`);
      }
      await volumes.update(ALL, id, { admin_metadata: { ...(v.admin_metadata ?? {}), readonly: readonly ? 'True' : 'False' } });
    });
  }

  private async conditional(caller: Caller, id: string, from: string[], to: string, refuse: (status: string) => void): Promise<void> {
    const scope = callerScope(caller);
    const row = await this.requireVisible(caller, id);
    if (!(await this.d.volumes.update(scope, id, { status: to }, from))) refuse(row.status);
  }

  private async requireVisible(caller: Caller, id: string) {
    const row = await this.d.volumes.get(callerScope(caller), id);
    if (!row) throw volumeNotFound(id);
    return row;
  }

  private async lockedRow(volumes: VolumeStore, caller: Caller, id: string) {
    const row = await volumes.get(callerScope(caller), id, { forUpdate: true });
    if (!row) throw volumeNotFound(id);
    return row;
  }
}
