/** Cinder's volume snapshot rules and state machine (no HTTP, no SQL). */
import { randomUUID } from 'crypto';
import type { Logger } from '../logger';
import { BadRequest, NotFound } from '../http/faults';
import type { JobRunner } from '../jobs/jobs-api';
import type { CreateSnapshotInput, SnapshotRecord } from './volume-api';
import { invalidInput, invalidVolume, policyForbids, snapshotNotDeletable, snapshotNotFound } from './volume-faults';
import { CreateSnapshotPayload, DeleteSnapshotPayload, JOB } from './volume-jobs';
import { MetadataOps } from './volume-metadata';
import type { Caller, QuotaService } from './volume-quotas';
import { SNAPSHOT_STATUSES, SnapshotListQuery, toSnapshotRecord } from './volume-records';
import type { SnapshotRow, SnapshotStore } from './snapshot-store';
import { requireWritableSnapshot } from './imported-snapshots';
import { ALL_PROJECTS, callerScope, listScope, MarkerNotFound, Scope, VolumeRow, VolumeStore } from './volume-store';

export interface SnapshotServiceDeps {
  volumes: VolumeStore;
  snapshots: SnapshotStore;
  quotas: QuotaService;
  jobs: JobRunner;
  log: Logger;
  /** The volume in scope, or VolumeService's 404. */
  findVolume(scope: Scope, id: string): Promise<VolumeRow>;
}

export class SnapshotService {
  readonly metadata: MetadataOps;

  constructor(private readonly d: SnapshotServiceDeps) {
    this.metadata = new MetadataOps(
      (caller, id) => this.requireRow(callerScope(caller), id).then((s) => s.metadata),
      async (caller, id, metadata) => {
        requireWritableSnapshot(await this.requireRow(callerScope(caller), id), caller.isAdmin);
        return (await this.d.snapshots.update(callerScope(caller), id, { metadata }))?.metadata ?? {};
      },
      (id, key) => new NotFound(`Snapshot ${id} has no metadata with key ${key}.`),
    );
  }

  async list(caller: Caller, q: SnapshotListQuery): Promise<SnapshotRecord[]> {
    const { scope, filter } = listScope(caller, q);
    try {
      return (await this.d.snapshots.list(scope, filter, q.page)).map(toSnapshotRecord);
    } catch (err) {
      if (err instanceof MarkerNotFound) throw snapshotNotFound(err.marker);
      throw err;
    }
  }

  /** Cinder's with_count (3.45): how many snapshots the list's filters keep, over every page. */
  async count(caller: Caller, q: Omit<SnapshotListQuery, 'page'>): Promise<number> {
    const { scope, filter } = listScope(caller, q);
    return this.d.snapshots.count(scope, filter);
  }

  async show(caller: Caller, id: string): Promise<SnapshotRecord> {
    return toSnapshotRecord(await this.requireRow(callerScope(caller), id));
  }

  /**
   * Cinder's create_snapshot_in_db: the volume must be available, or in-use with force
   * (3.66's force-less in-use snapshots are not advertised); then the snapshots and
   * gigabytes quotas; the data capture runs as a job.
   */
  async create(caller: Caller, input: CreateSnapshotInput): Promise<SnapshotRecord> {
    const volume = await this.d.findVolume(callerScope(caller), input.volumeId);
    const force = Boolean(input.force);
    if (volume.status === 'error') throw invalidVolume('The snapshot cannot be created when the volume is in error status.');
    const valid = force ? ['available', 'in-use'] : ['available'];
    if (!valid.includes(volume.status)) {
      throw invalidVolume(`Volume ${volume.id} status must be ${valid.join(', ')}, but current status is: ${volume.status}.`);
    }
    const now = new Date();
    const row: SnapshotRow = {
      id: randomUUID(), project_id: caller.projectId, user_id: input.userId ?? caller.userId, volume_id: volume.id,
      name: input.name ?? null, description: input.description ?? null, size: volume.size, status: 'creating',
      metadata: input.metadata ?? {}, created_at: now, updated_at: now,
    };
    await this.d.volumes.transaction(async (trx) => {
      await this.d.quotas.reserve(trx, caller.projectId, 'snapshots', { snapshots: 1, gigabytes: volume.size });
      // Re-checked under the transaction: a delete or revert may have started meanwhile.
      const current = await this.d.volumes.on(trx).get(ALL_PROJECTS, volume.id, { forUpdate: true });
      if (!current || !valid.includes(current.status)) {
        throw invalidVolume(`Volume ${volume.id} status must be ${valid.join(', ')} , but current status is: ${current?.status ?? 'deleted'}.`);
      }
      await this.d.snapshots.on(trx).insert(row);
      const payload: CreateSnapshotPayload = { snapshotId: row.id, volumeId: volume.id, projectId: row.project_id };
      await this.d.jobs.enqueue(JOB.createSnapshot, payload, { projectId: row.project_id, resourceType: 'snapshot', resourceId: row.id }, trx);
    });
    this.d.log.info({ snapshot_id: row.id, volume_id: volume.id, project_id: row.project_id, force }, 'snapshot create accepted');
    return toSnapshotRecord(row);
  }

  /** PUT: name and/or description (at least one key, Cinder's anyOf). */
  async update(caller: Caller, id: string, patch: { name?: string | null; description?: string | null }): Promise<SnapshotRecord> {
    const scope = callerScope(caller);
    requireWritableSnapshot(await this.requireRow(scope, id), caller.isAdmin);
    const values: Partial<SnapshotRow> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    const row = await this.d.snapshots.update(scope, id, values);
    if (!row) throw snapshotNotFound(id);
    return toSnapshotRecord(row);
  }

  /** DELETE (available or error), or os-force_delete (admin, any status). */
  async delete(caller: Caller, id: string, opts: { force?: boolean } = {}): Promise<void> {
    const force = Boolean(opts.force);
    const scope = callerScope(caller);
    const s = await this.requireRow(scope, id);
    requireWritableSnapshot(s, caller.isAdmin);
    if (force && !caller.isAdmin) throw policyForbids('volume_extension:snapshot_admin_actions:force_delete');
    await this.d.volumes.transaction(async (trx) => {
      const updated = await this.d.snapshots.on(trx).update(scope, id, { status: 'deleting' }, force ? undefined : ['available', 'error']);
      if (!updated) throw snapshotNotDeletable(force);
      const payload: DeleteSnapshotPayload = { snapshotId: id };
      await this.d.jobs.enqueue(JOB.deleteSnapshot, payload, { projectId: s.project_id, resourceType: 'snapshot', resourceId: id }, trx);
    });
    this.d.log.info({ snapshot_id: id, volume_id: s.volume_id, force }, 'snapshot delete accepted');
  }

  /** os-reset_status (admin). */
  async resetStatus(caller: Caller, id: string, status: string): Promise<void> {
    await this.requireRow(callerScope(caller), id);
    if (!caller.isAdmin) throw policyForbids('volume_extension:snapshot_admin_actions:reset_status');
    const s = status.toLowerCase();
    if (!SNAPSHOT_STATUSES.includes(s)) throw invalidInput(`Invalid input for field/attribute status. Value: ${status}. '${status}' is not one of ${JSON.stringify(SNAPSHOT_STATUSES)}`);
    await this.d.snapshots.update(ALL_PROJECTS, id, { status: s });
  }

  async requireRow(scope: Scope, id: string): Promise<SnapshotRow> {
    const row = await this.d.snapshots.get(scope, id);
    if (!row) throw snapshotNotFound(id);
    return row;
  }
}

/** Cinder's error for a snapshot update without any known key. */
export function emptySnapshotUpdate(): BadRequest {
  return new BadRequest('Invalid input for field/attribute snapshot. Value: {}. {} is not valid under any of the given schemas');
}
