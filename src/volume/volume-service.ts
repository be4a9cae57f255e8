/**
 * Cinder's volume rules and state machines (no HTTP, no SQL). Implements VolumeApi for
 * compute; the handlers call the Caller-based methods. Snapshots live in SnapshotService,
 * reached through `snapshots`.
 *
 * Over 400 lines on purpose: it is one state machine (create, extend, revert, re-image, delete,
 * attach, detach, mount), each transition next to the checks Cinder makes before it; split, the
 * status rules of one transition would be read in two files.
 */
import { randomUUID } from 'crypto';
import type { Logger } from '../logger';
import { BadRequest, Conflict, NotFound, NotImplemented } from '../http/faults';
import type { JobRunner } from '../jobs/jobs-api';
import type { VolumeDataDriver } from './data/volume-data-driver';
import type { ImageApi, ImageRecord } from '../image/image-api';
import { startUpload, uploadImageJob, UploadRequest, VolumeImageSink } from './volume-upload';
import { DataBusyError } from './data/volume-data-errors';
import type { CreateSnapshotInput, CreateVolumeInput, SnapshotRecord, VolumeApi, VolumeRecord } from './volume-api';
import {
  invalidInput, invalidSnapshot, invalidVolume, policyForbids, snapshotNotFound, volumeNotDeletable, volumeNotFound,
} from './volume-faults';
import { CreateVolumePayload, DeleteVolumePayload, ExtendVolumePayload, imageLayer, imageSnapshotKey, JOB, RevertVolumePayload, volumeJobs } from './volume-jobs';
import { Caller, QuotaService } from './volume-quotas';
import { VOLUME_STATUSES, VolumeListQuery, toVolumeRecord, waitForStatus } from './volume-records';
import { ALL_PROJECTS, callerScope, listScope, ListedVolume, MarkerNotFound, Scope, VolumeRow, VolumeStore } from './volume-store';
import type { SnapshotStore } from './snapshot-store';
import { SnapshotService } from './snapshot-service';
import { AVAILABILITY_ZONE } from './volume-type-registry';
import type { VolumeTypeService } from './volume-type-service';
import type { VolumeMessages } from './volume-messages';
import { MetadataOps } from './volume-metadata';
import { BOOTABLE_METADATA_KEY } from './imported-snapshots';
import { SnapshotArchives } from './snapshot-archives';
import { LegacyAttachments } from './volume-legacy-attach';

export type { Caller } from './volume-quotas';

/** What block storage asks of Glance: volumes from images (imageRef), volumes to images. */
export type VolumeImageSource = Pick<ImageApi, 'getImage' | 'listImages' | 'dockerImageOf'> & VolumeImageSink;

export interface VolumeServiceDeps {
  volumes: VolumeStore;
  snapshots: SnapshotStore;
  quotas: QuotaService;
  jobs: JobRunner;
  driver: VolumeDataDriver;
  logger: Logger;
  /** Volume types: a new volume's type, retype. */
  types: VolumeTypeService;
  /** Cinder's user messages, recorded by the jobs' failure paths. */
  messages?: VolumeMessages;
  /** Without it, imageRef answers 501. */
  images?: VolumeImageSource;
}

const GiB = 1024 ** 3;


/** What the API may add to VolumeApi's input (compute never sends these). */
export interface CreateVolumeRequest extends Omit<CreateVolumeInput, 'size'> {
  size?: unknown;
  availabilityZone?: string | null;
  imageRef?: string | null;
  backupId?: string | null;
  /** 3.46: a Nova snapshot image of a volume-backed server gives a volume from its boot snapshot. */
  novaImageSnapshot?: boolean;
}

/**
 * Cinder's _get_image_snapshot: the boot snapshot (boot_index 0, source snapshot) of a Nova
 * image's block_device_mapping, if it has one.
 */
function novaBootSnapshotId(image: ImageRecord): string | undefined {
  let bdms: unknown;
  try {
    bdms = JSON.parse(image.properties.block_device_mapping ?? '[]');
  } catch {
    return undefined;
  }
  if (!Array.isArray(bdms)) return undefined;
  const boot = bdms.find((b) => b && b.source_type === 'snapshot' && b.boot_index === 0);
  return boot ? String(boot.snapshot_id) : undefined;
}

const DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];
const MOUNTABLE = ['available', 'in-use', 'reserved', 'attaching', 'detaching'];

/** Python's str() of what the client sent, for Cinder's messages. */
function pyStr(v: unknown): string {
  return v === null || v === undefined ? 'None' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** Cinder's _check_image_metadata: the image's data and its min_disk must fit the volume. */
function checkImageFits(image: ImageRecord, size: number): void {
  const imageGb = Math.ceil((image.size ?? 0) / GiB);
  if (imageGb > size) throw invalidInput(`Size of specified image ${imageGb}GB is larger than volume size ${size}GB.`);
  if (size < image.minDisk) throw invalidInput(`Volume size ${size}GB cannot be smaller than the image minDisk size ${image.minDisk}GB.`);
}

/** What Cinder copies from Glance into volume_glance_metadata (values as strings). */
function volumeImageMetadata(image: ImageRecord): Record<string, string> {
  const meta: Record<string, string> = {
    image_id: image.id,
    image_name: image.name ?? '',
    checksum: image.checksum ?? '',
    container_format: image.containerFormat ?? '',
    disk_format: image.diskFormat ?? '',
    min_disk: String(image.minDisk),
    min_ram: String(image.minRam),
    size: String(image.size ?? 0),
  };
  for (const [k, v] of Object.entries(image.properties)) {
    if (!k.startsWith('os_glance') && !k.startsWith('snapstack_') && !(k in meta)) meta[k] = v;
  }
  return meta;
}

export class VolumeService implements VolumeApi {
  readonly snapshots: SnapshotService;
  readonly metadata: MetadataOps;
  /** What snapshot archives (src/archive) may ask: SnapshotArchiveApi. */
  readonly archives: SnapshotArchives;
  /** os-attach, os-detach, os-reserve... (bookkeeping only). */
  readonly legacyAttach: LegacyAttachments;
  private readonly log: Logger;

  constructor(private readonly d: VolumeServiceDeps) {
    this.log = d.logger.child({ component: 'volume' });
    for (const def of volumeJobs({ volumes: d.volumes, snapshots: d.snapshots, driver: d.driver, log: this.log, messages: d.messages })) d.jobs.register(def);
    if (d.images) d.jobs.register(uploadImageJob({ ...d, images: d.images, log: this.log }));
    this.snapshots = new SnapshotService({ ...d, log: this.log, findVolume: (scope, id) => this.requireRow(scope, id) });
    this.archives = new SnapshotArchives({
      ...d, log: this.log, showSnapshot: (caller, id) => this.snapshots.show(caller, id), getVolume: (projectId, id) => this.getVolume(projectId, id),
    });
    this.legacyAttach = new LegacyAttachments({ volumes: d.volumes, log: this.log, });
    this.metadata = new MetadataOps(
      (caller, id) => this.requireRow(callerScope(caller), id).then((r) => r.metadata),
      async (caller, id, metadata) => (await this.d.volumes.update(callerScope(caller), id, { metadata }))?.metadata ?? {},
      (id, key) => new NotFound(`Volume ${id} has no metadata with key ${key}.`),
    );
  }

  get driverKind(): VolumeDataDriver['kind'] {
    return this.d.driver.kind;
  }

  // ---- Caller-based operations (the handlers) ----

  async list(caller: Caller, q: VolumeListQuery): Promise<VolumeRecord[]> {
    const { scope, filter } = listScope(caller, q);
    let rows: ListedVolume[];
    try {
      rows = await this.d.volumes.list(scope, filter, q.page);
    } catch (err) {
      if (err instanceof MarkerNotFound) throw volumeNotFound(err.marker);
      throw err;
    }
    return rows.map((r) => toVolumeRecord(r, r.attachments));
  }

  /** Cinder's with_count (3.45): how many volumes the list's filters keep, over every page. */
  async count(caller: Caller, q: Omit<VolumeListQuery, 'page'>): Promise<number> {
    const { scope, filter } = listScope(caller, q);
    return this.d.volumes.count(scope, filter);
  }

  /** Cinder's volume summary (3.12): count and GiB of the caller's volumes (every project's for an admin's all_tenants), and from 3.36 each metadata key's distinct values. */
  async summary(caller: Caller, allTenants: boolean): Promise<{ count: number; size: number; metadata: Record<string, string[]> }> {
    const scope = callerScope(caller, allTenants);
    const rows = await this.d.volumes.sizesAndMetadata(scope);
    const metadata: Record<string, string[]> = {};
    for (const r of rows) {
      for (const [k, v] of Object.entries(r.metadata ?? {})) {
        const values = (metadata[k] ??= []);
        if (!values.includes(v)) values.push(v);
      }
    }
    return { count: rows.length, size: rows.reduce((n, r) => n + r.size, 0), metadata };
  }

  async show(caller: Caller, id: string): Promise<VolumeRecord> {
    return this.requireRecord(callerScope(caller), id);
  }

  /** Cinder's create: API checks, then the create flow's (sources, size, zone), then quota. */
  async create(caller: Caller, input: CreateVolumeRequest): Promise<VolumeRecord> {
    const scope = callerScope(caller);
    const type = await this.d.types.forNewVolume(caller, input.volumeType);
    let snapshot = input.snapshotId ? await this.d.snapshots.getWithOrigin(scope, input.snapshotId) : undefined;
    if (input.snapshotId && !snapshot) throw snapshotNotFound(input.snapshotId);
    const source = input.sourceVolid ? await this.d.volumes.get(scope, input.sourceVolid) : undefined;
    if (input.sourceVolid && !source) throw volumeNotFound(input.sourceVolid);
    const imageRef = input.imageRef ?? input.imageId ?? null;
    let image = imageRef !== null && imageRef !== undefined ? await this.imageFor(caller, imageRef) : undefined;
    const bootSnapshotId = image && novaBootSnapshotId(image);
    if (bootSnapshotId) {
      // Looked up at every version; from 3.46 the volume is made from it instead of the image.
      const boot = await this.d.snapshots.getWithOrigin(scope, bootSnapshotId);
      if (!boot) throw new NotFound(`Nova specific image is found, but boot volume snapshot id:${bootSnapshotId} not found.`);
      if (input.novaImageSnapshot) [snapshot, image] = [boot, undefined];
    }
    if (input.backupId) throw new NotImplemented('Creating a volume from a backup is not supported by Snapstack.');
    if ([snapshot, source, image].filter(Boolean).length > 1) throw invalidInput('May specify only one of snapshot, imageRef or source volume');

    if (snapshot && snapshot.status !== 'available') throw invalidSnapshot("Originating snapshot status must be one of 'available' values");
    if (source && !['available', 'in-use'].includes(source.status)) {
      throw invalidVolume("Originating source volume status must be one of 'available, in-use' values");
    }
    const raw = input.size === null || input.size === undefined || input.size === '' || input.size === 0 ? null : input.size;
    const size = raw === null ? (snapshot?.size ?? source?.size ?? null) : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
      throw invalidInput(`Volume size '${pyStr(raw === null ? input.size ?? null : raw)}' must be an integer and greater than 0`);
    }
    if (source && size < source.size) {
      throw invalidInput(`Volume size '${size}'GB cannot be smaller than original volume size  ${source.size}GB. They must be >= original volume size.`);
    }
    if (snapshot && size < snapshot.size) {
      throw invalidInput(`Volume size '${size}'GB cannot be smaller than the snapshot size ${snapshot.size}GB. They must be >= original snapshot size.`);
    }
    if (image) checkImageFits(image, size);
    if (input.availabilityZone && input.availabilityZone !== AVAILABILITY_ZONE) {
      throw invalidInput(`Availability zone '${input.availabilityZone}' is invalid.`);
    }
    // The volume a snapshot or clone comes from: its bootable flag and image metadata carry over (Cinder copies the glance metadata).
    const origin = snapshot ? snapshot.origin : source;
    let bootable = input.bootable ?? Boolean(image);
    if (input.bootable === undefined && (snapshot || source)) {
      bootable = origin?.bootable ?? snapshot?.metadata[BOOTABLE_METADATA_KEY] === 'true'; // an imported snapshot's volume is not here
    }

    const now = new Date();
    const row: VolumeRow = {
      id: input.id ?? randomUUID(), project_id: caller.projectId, user_id: input.userId ?? caller.userId, name: input.name ?? null,
      description: input.description ?? null, size, status: 'creating', bootable, volume_type: type.name,
      availability_zone: AVAILABILITY_ZONE, snapshot_id: snapshot?.id ?? null, source_volid: source?.id ?? null,
      metadata: input.metadata ?? {}, created_at: now, updated_at: now,
      image_id: image?.id ?? origin?.image_id ?? null,
      volume_image_metadata: image ? volumeImageMetadata(image) : origin?.volume_image_metadata ?? null,
    };
    await this.d.volumes.transaction(async (trx) => {
      const payload: CreateVolumePayload = {
        volumeId: row.id, projectId: row.project_id, fromSnapshotId: snapshot?.id, fromVolumeId: source?.id,
        fromImage: image ? { imageId: image.id, dockerImage: this.d.images!.dockerImageOf(image) } : undefined,
      };
      // The job first (no one claims it before the commit): the project's quota lock is then
      // held for the usage read and the row only, which the next reservation must see.
      await this.d.jobs.enqueue(JOB.createVolume, payload, { projectId: row.project_id, resourceType: 'volume', resourceId: row.id }, trx);
      await this.d.quotas.reserve(trx, caller.projectId, 'volumes', { volumes: 1, gigabytes: size }, { volumeSize: size });
      await this.d.volumes.on(trx).insert(row);
    });
    this.log.info({ volume_id: row.id, project_id: row.project_id, size, snapshot_id: row.snapshot_id, source_volid: row.source_volid }, 'volume create accepted');
    return toVolumeRecord(row, []);
  }

  /**
   * Cinder's _image_uuid_from_ref: the last path segment as an id the caller sees, else a
   * unique image name; then the image must be active.
   */
  private async imageFor(caller: Caller, ref: string): Promise<ImageRecord> {
    const images = this.d.images;
    if (!images) throw new NotImplemented('Creating a volume from an image is not supported by Snapstack.');
    const id = String(ref).split('/').pop() ?? '';
    let image: ImageRecord | undefined;
    try {
      image = await images.getImage(caller, id);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      const named = (await images.listImages(caller, { name: String(ref), limit: 2 })).images;
      if (named.length > 1) throw new Conflict(`Multiple matches found for '${ref}', use an ID to be more specific.`);
      image = named[0];
    }
    if (!image) throw new BadRequest('Invalid image identifier or unable to access requested image.');
    if (image.status !== 'active') throw invalidInput(`Image ${image.id} is not active.`);
    return image;
  }

  /** os-volume_upload_image: the new image (queued) and the volume (uploading). */
  async uploadToImage(caller: Caller, id: string, req: UploadRequest): Promise<{ volume: VolumeRecord; image: ImageRecord }> {
    const scope = callerScope(caller);
    const row = await this.requireRow(scope, id);
    const image = await startUpload({ ...this.d, log: this.log }, caller, scope, row, req);
    return { volume: await this.requireRecord(scope, id), image };
  }

  /** Drops the filesystem layer kept for a deleted image; volumes made from it keep theirs. */
  async forgetImage(imageId: string): Promise<void> {
    await this.d.driver.deleteSnapshot(imageSnapshotKey(imageId));
  }

  /** Cinder's volume image metadata (os-show_image_metadata). */
  async imageMetadata(caller: Caller, id: string): Promise<Record<string, string>> {
    return (await this.requireRow(callerScope(caller), id)).volume_image_metadata ?? {};
  }

  /**
   * os-set_image_metadata (merge) and os-unset_image_metadata (one key; Cinder's
   * GlanceMetadataNotFound 404 when absent), applied under the volume's row lock.
   */
  async changeImageMetadata(caller: Caller, id: string, change: { set?: Record<string, string>; unset?: string }): Promise<Record<string, string>> {
    const scope = callerScope(caller);
    return this.d.volumes.transaction(async (trx) => {
      const store = this.d.volumes.on(trx);
      const row = await store.get(scope, id, { forUpdate: true });
      if (!row) throw volumeNotFound(id);
      const next = { ...(row.volume_image_metadata ?? {}), ...(change.set ?? {}) };
      if (change.unset !== undefined) {
        if (!(change.unset in next)) throw new NotFound(`Glance metadata for volume/snapshot ${id} cannot be found.`);
        delete next[change.unset];
      }
      await store.update(scope, id, { volume_image_metadata: next });
      return next;
    });
  }

  async update(caller: Caller, id: string, patch: { name?: string | null; description?: string | null; metadata?: Record<string, string> | null }): Promise<VolumeRecord> {
    const scope = callerScope(caller);
    await this.requireRow(scope, id);
    const values: Partial<VolumeRow> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.metadata !== undefined) values.metadata = patch.metadata ?? {};
    const row = await this.d.volumes.update(scope, id, values);
    if (!row) throw volumeNotFound(id);
    return this.record(scope, row);
  }

  /** DELETE /volumes/{id}[?cascade=True]; os-force_delete passes force (admin). */
  /** `forceRule`: the policy a forced delete needs (DELETE ?force=True, 3.23: volume:force_delete; the os-force_delete action's otherwise). */
  async delete(caller: Caller, id: string, opts: { cascade?: boolean; force?: boolean; forceRule?: string } = {}): Promise<void> {
    const scope = callerScope(caller);
    const cascade = Boolean(opts.cascade);
    const force = Boolean(opts.force);
    await this.requireRow(scope, id);
    if (force && !caller.isAdmin) throw policyForbids(opts.forceRule ?? 'volume_extension:volume_admin_actions:force_delete');
    await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const snapshots = this.d.snapshots.on(trx);
      const v = await volumes.get(scope, id, { forUpdate: true });
      if (!v) throw volumeNotFound(id);
      // Cinder's expected attach_status != attached: a forced delete of a volume only reset to 'attaching' goes ahead.
      const attached = (await volumes.countAttachments(id)) > 0;
      const statusOk = force || DELETABLE.includes(v.status);
      const snapshotsOk = cascade
        ? force || (await snapshots.countOfVolume(id, ['available', 'error'])) === 0
        : (await snapshots.countOfVolume(id)) === 0;
      if (attached || !statusOk || !snapshotsOk) throw volumeNotDeletable(force);
      await volumes.update(scope, id, { status: 'deleting' });
      if (cascade) await snapshots.markAllOfVolume(id, 'deleting');
      const payload: DeleteVolumePayload = { volumeId: id, cascade };
      await this.d.jobs.enqueue(JOB.deleteVolume, payload, { projectId: v.project_id, resourceType: 'volume', resourceId: id }, trx);
    });
    this.log.info({ volume_id: id, cascade, force }, 'volume delete accepted');
  }

  /** os-extend; an in-use volume from 3.42 (extend_attached_volume). */
  async extend(caller: Caller, id: string, rawNewSize: unknown, allowInUse: boolean): Promise<void> {
    const scope = callerScope(caller);
    const v = await this.requireRow(scope, id);
    const newSize = Number(rawNewSize);
    if (!(newSize - v.size > 0)) {
      throw invalidInput(`New size for extend must be greater than current size. (current: ${v.size}, extended: ${pyStr(rawNewSize)}).`);
    }
    const expected = allowInUse && v.status === 'in-use' ? 'in-use' : 'available';
    await this.d.volumes.transaction(async (trx) => {
      const updated = await this.d.volumes.on(trx).update(scope, id, { status: 'extending' }, [expected]);
      if (!updated) throw invalidVolume(`Volume ${id} status must be '{'status': '${expected}'}' to extend, currently ${v.status}.`);
      await this.d.quotas.reserve(trx, v.project_id, null, { gigabytes: newSize - v.size }, { volumeSize: newSize });
      const payload: ExtendVolumePayload = { volumeId: id, newSize, previousStatus: expected };
      await this.d.jobs.enqueue(JOB.extendVolume, payload, { projectId: v.project_id, resourceType: 'volume', resourceId: id }, trx);
    });
  }

  /** revert (3.40+): the latest snapshot only, same size, both available (Cinder's checks, in its order). */
  async revert(caller: Caller, id: string, snapshotId: string | undefined): Promise<void> {
    const scope = callerScope(caller);
    const v = await this.requireRow(scope, id);
    const latest = await this.d.snapshots.latestOfVolume(id);
    if (!latest) throw new BadRequest(`Volume ${id} doesn't have any snapshots.`);
    if (!snapshotId || snapshotId !== latest.id) {
      throw new BadRequest(`Specified snapshot ${pyStr(snapshotId)} is None or not the latest one of volume ${id}.`);
    }
    if (v.size !== latest.size) {
      throw new BadRequest(`Can't revert volume ${id} to its latest snapshot ${snapshotId}. The volume size must be equal to the snapshot size.`);
    }
    await this.d.volumes.transaction(async (trx) => {
      const prefix = `Can't revert volume ${id} to its latest snapshot ${snapshotId}.`;
      if (!(await this.d.volumes.on(trx).update(scope, id, { status: 'reverting' }, ['available']))) {
        throw new Conflict(`Invalid volume: ${prefix} Volume's status must be 'available'.`);
      }
      if (!(await this.d.snapshots.on(trx).update(ALL_PROJECTS, snapshotId, { status: 'restoring' }, ['available']))) {
        throw new Conflict(`Invalid snapshot: ${prefix} Snapshot's status must be 'available'.`);
      }
      const payload: RevertVolumePayload = { volumeId: id, snapshotId };
      await this.d.jobs.enqueue(JOB.revertVolume, payload, { projectId: v.project_id, resourceType: 'volume', resourceId: id }, trx);
    });
    this.log.info({ volume_id: id, snapshot_id: snapshotId }, 'volume revert accepted');
  }

  async setBootable(caller: Caller, id: string, bootable: boolean): Promise<void> {
    const scope = callerScope(caller);
    await this.requireRow(scope, id);
    await this.d.volumes.update(scope, id, { bootable });
  }

  /**
   * os-retype: Cinder's checks (the type by name or id, whoever owns it; the volume available
   * or in-use and of another type). One backend, so no migration: the type changes at once and
   * migration_policy has nothing to decide.
   */
  async retype(caller: Caller, id: string, newType: string): Promise<void> {
    const scope = callerScope(caller);
    await this.requireRow(scope, id);
    const type = await this.d.types.byNameOrId({ admin: true }, newType);
    const updated = await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const v = await volumes.get(scope, id, { forUpdate: true });
      if (!v) throw volumeNotFound(id);
      if (!['available', 'in-use'].includes(v.status) || v.volume_type === type.name) return undefined;
      return volumes.update(scope, id, { volume_type: type.name });
    });
    if (!updated) {
      throw invalidVolume('Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, '
        + 'requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.');
    }
    this.log.info({ volume_id: id, volume_type: type.name }, 'volume retyped');
  }

  /** os-reset_status (admin): Cinder's admin escape hatch; attach_status/migration_status are accepted and ignored. */
  async resetStatus(caller: Caller, id: string, body: { status?: string; attach_status?: string; migration_status?: string }): Promise<void> {
    await this.requireRow(callerScope(caller), id);
    if (!caller.isAdmin) throw policyForbids('volume_extension:volume_admin_actions:reset_status');
    if (body.status === undefined && body.attach_status === undefined && body.migration_status === undefined) {
      throw new BadRequest("Must specify 'status', 'attach_status' or 'migration_status' for update.");
    }
    if (body.status !== undefined) {
      const status = body.status.toLowerCase();
      if (!VOLUME_STATUSES.includes(status)) throw invalidInput(`Must specify a valid status: ${body.status}`);
      await this.d.volumes.update(ALL_PROJECTS, id, { status });
    }
  }

  // ---- VolumeApi (compute; trusted, scoped to one project) ----

  getVolume(projectId: string, volumeId: string): Promise<VolumeRecord> {
    return this.requireRecord({ projectId }, volumeId);
  }

  createVolume(projectId: string, input: CreateVolumeInput): Promise<VolumeRecord> {
    return this.create({ projectId, userId: input.userId ?? null, isAdmin: false }, input);
  }

  waitForVolume(projectId: string, volumeId: string, statuses: string[], timeoutMs = 120_000): Promise<VolumeRecord> {
    return waitForStatus(`volume ${volumeId}`, () => this.getVolume(projectId, volumeId), statuses, timeoutMs);
  }

  deleteVolume(projectId: string, volumeId: string, opts: { cascade?: boolean } = {}): Promise<void> {
    return this.delete({ projectId, userId: null, isAdmin: false }, volumeId, opts);
  }

  async attachVolume(projectId: string, volumeId: string, attach: { serverId: string; device: string }): Promise<void> {
    // One statement (every boot from a volume attaches); the volume is read only to say why not.
    const attached = await this.d.volumes.reserveAndAttach({
      id: randomUUID(), volume_id: volumeId, project_id: projectId, server_id: attach.serverId, device: attach.device, attached_at: new Date(),
    });
    if (!attached) {
      const v = await this.requireRow({ projectId }, volumeId);
      throw invalidVolume(`Volume status must be available to reserve, but the status is ${v.status}.`);
    }
    this.log.info({ volume_id: volumeId, server_id: attach.serverId, device: attach.device }, 'volume attached');
  }

  async detachVolume(projectId: string, volumeId: string, serverId: string): Promise<void> {
    const scope = { projectId };
    await this.d.volumes.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      if (!(await volumes.get(scope, volumeId, { forUpdate: true }))) throw volumeNotFound(volumeId);
      if ((await volumes.deleteAttachment(scope, volumeId, serverId)) === 0) {
        throw invalidVolume("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
      }
      if ((await volumes.countAttachments(volumeId)) === 0) await volumes.update(scope, volumeId, { status: 'available' }, ['in-use']);
    });
    this.log.info({ volume_id: volumeId, server_id: serverId }, 'volume detached');
  }

  createSnapshot(projectId: string, input: CreateSnapshotInput): Promise<SnapshotRecord> {
    return this.snapshots.create({ projectId, userId: input.userId ?? null, isAdmin: false }, input);
  }

  getSnapshot(projectId: string, snapshotId: string): Promise<SnapshotRecord> {
    return this.snapshots.show({ projectId, userId: null, isAdmin: false }, snapshotId);
  }

  waitForSnapshot(projectId: string, snapshotId: string, statuses: string[], timeoutMs = 120_000): Promise<SnapshotRecord> {
    return waitForStatus(`snapshot ${snapshotId}`, () => this.getSnapshot(projectId, snapshotId), statuses, timeoutMs);
  }

  async deleteSnapshot(projectId: string, snapshotId: string): Promise<void> {
    try {
      await this.waitForSnapshot(projectId, snapshotId, ['available', 'error']).catch((err: unknown) => {
        if (err instanceof NotFound) throw err;
      });
      await this.snapshots.delete({ projectId, userId: null, isAdmin: false }, snapshotId);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
  }

  async reimageVolume(projectId: string, volumeId: string, imageId: string): Promise<VolumeRecord> {
    const v = await this.requireRow({ projectId }, volumeId);
    const images = this.d.images;
    if (!images || this.d.driver.capabilities.imageSnapshots === null) throw new NotImplemented('Re-imaging a volume is not supported by this volume driver.');
    const image = await images.getImage({ projectId, isAdmin: false }, imageId);
    // Cinder's reimage checks the image against the volume as a create from it does.
    checkImageFits(image, v.size);
    const dockerImage = images.dockerImageOf(image);
    if (!dockerImage) throw new BadRequest(`Image ${image.id} is unacceptable: it holds no file system to re-image volume ${volumeId} with.`);
    await this.d.driver.revertVolume(volumeId, await imageLayer(this.d.driver, image.id, dockerImage));
    await this.d.volumes.update(ALL_PROJECTS, volumeId, { image_id: image.id, volume_image_metadata: volumeImageMetadata(image) });
    this.log.info({ volume_id: volumeId, image_id: image.id }, 'volume re-imaged');
    return this.getVolume(projectId, volumeId);
  }

  async prepareMount(projectId: string, volumeId: string): Promise<{ dockerVolume: string }> {
    const v = await this.requireRow({ projectId }, volumeId);
    if (!MOUNTABLE.includes(v.status)) throw invalidVolume(`Volume ${volumeId} status must be available or in-use to be mounted, but current status is: ${v.status}.`);
    try {
      return await this.d.driver.prepareMount(volumeId);
    } catch (err) {
      if (err instanceof DataBusyError) throw new Conflict(err.message);
      throw err;
    }
  }

  // ---- start-up ----

  /**
   * The data layer's own reconcile (Docker volumes vs manifests), then database vs data:
   * a resting volume without data goes to error; data without a row is reported (kept).
   */
  /**
   * At start: Docker, data and rows agree. Rows in a settled status whose data is gone go to
   * error; data no row accounts for (a crash between a step that made it and the row, e.g. an
   * import's committed layers) is removed. Each decision is logged.
   */
  async reconcile(): Promise<{ repaired: string[]; orphans: string[]; missingData: string[]; strayData: string[] }> {
    const { repaired, orphans } = await this.d.driver.reconcile();
    const missingData: string[] = [];
    const strayData: string[] = [];
    const transitional = ['creating', 'deleting', 'error', 'error_deleting'];
    const kinds = [
      { kind: 'volume', onDisk: this.d.driver.listVolumeIds(), rows: () => this.d.volumes.allIdsAndStatuses(),
        markError: (id: string) => this.d.volumes.update(ALL_PROJECTS, id, { status: 'error' }), remove: (id: string) => this.d.driver.deleteVolume(id) },
      { kind: 'snapshot', onDisk: this.d.driver.listSnapshotIds(), rows: () => this.d.snapshots.allIdsAndStatuses(),
        markError: (id: string) => this.d.snapshots.update(ALL_PROJECTS, id, { status: 'error' }), remove: (id: string) => this.d.driver.deleteSnapshot(id) },
    ];
    for (const k of kinds) {
      const onDisk = new Set(k.onDisk);
      const rows = await k.rows();
      for (const r of rows) {
        if (onDisk.has(r.id) || transitional.includes(r.status)) continue;
        missingData.push(r.id);
        this.log.warn({ [`${k.kind}_id`]: r.id, status: r.status, decision: 'marked error' }, `reconcile: a ${k.kind} row whose data is missing`);
        await k.markError(r.id);
      }
      const known = new Set(rows.map((r) => r.id));
      for (const id of k.onDisk.filter((x) => !known.has(x))) {
        strayData.push(id);
        this.log.warn({ [`${k.kind}_id`]: id, decision: 'removed' }, `reconcile: ${k.kind} data no row accounts for`);
        await k.remove(id).catch((err: unknown) => this.log.error({ err, [`${k.kind}_id`]: id }, `reconcile: stray ${k.kind} data not removed`));
      }
    }
    return { repaired, orphans, missingData, strayData };
  }

  // ---- helpers ----

  async requireRow(scope: Scope, id: string): Promise<VolumeRow> {
    const row = await this.d.volumes.get(scope, id);
    if (!row) throw volumeNotFound(id);
    return row;
  }

  /** The volume with its attachments (one query), or Cinder's 404. */
  private async requireRecord(scope: Scope, id: string): Promise<VolumeRecord> {
    const v = await this.d.volumes.getListed(scope, id);
    if (!v) throw volumeNotFound(id);
    return toVolumeRecord(v, v.attachments);
  }

  private async record(scope: Scope, row: VolumeRow): Promise<VolumeRecord> {
    return toVolumeRecord(row, await this.d.volumes.attachments(scope, [row.id]));
  }
}
