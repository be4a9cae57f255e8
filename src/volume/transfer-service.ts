/**
 * Cinder's volume transfers (cinder/transfer/api.py): a project offers an available volume
 * (awaiting-transfer), any project holding the auth key accepts it and becomes its owner, with
 * its snapshots unless no_snapshots; quotas are checked on the recipient as Cinder reserves them.
 */
import { createHmac, randomBytes, randomUUID } from 'crypto';
import { BadRequest, NotFound } from '../http/faults';
import type { Logger } from '../logger';
import { invalidSnapshot, invalidVolume, volumeNotFound } from './volume-faults';
import type { Caller, QuotaService } from './volume-quotas';
import type { SnapshotStore } from './snapshot-store';
import { TransferRow, TransferStore } from './transfer-store';
import { ALL_PROJECTS, callerScope, VolumeStore } from './volume-store';

export interface TransferRecord {
  id: string;
  volumeId: string;
  name: string | null;
  noSnapshots: boolean;
  sourceProjectId: string;
  createdAt: Date;
  /** Only in the answer to create: the key is never kept, only its salted hash. */
  authKey?: string;
}

const transferNotFound = (id: string) => new NotFound(`Transfer ${id} could not be found.`);

/** Cinder's _get_random_string: hex characters a recipient can type. */
function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/** Cinder's _get_crypt_hash: HMAC-SHA1 of the key, keyed by the salt. */
function cryptHash(salt: string, authKey: string): string {
  return createHmac('sha1', salt).update(authKey).digest('hex');
}

function toRecord(row: TransferRow, authKey?: string): TransferRecord {
  return {
    id: row.id, volumeId: row.volume_id, name: row.name, noSnapshots: row.no_snapshots,
    sourceProjectId: row.project_id, createdAt: new Date(row.created_at), ...(authKey ? { authKey } : {}),
  };
}

export class TransferService {
  constructor(private readonly d: {
    transfers: TransferStore; volumes: VolumeStore; snapshots: SnapshotStore; quotas: QuotaService; log: Logger;
  }) {}

  /** The caller's own transfers; an admin's all_tenants lists every project's. */
  async list(caller: Caller, q: { allTenants: boolean; name?: string; volumeId?: string }): Promise<TransferRecord[]> {
    return (await this.d.transfers.list(callerScope(caller, q.allTenants), { name: q.name, volumeId: q.volumeId })).map((r) => toRecord(r));
  }

  async show(caller: Caller, id: string): Promise<TransferRecord> {
    const row = await this.d.transfers.get(callerScope(caller), id);
    if (!row) throw transferNotFound(id);
    return toRecord(row);
  }

  /** available -> awaiting-transfer; every snapshot must be available unless they stay behind. */
  async create(caller: Caller, input: { volumeId: string; name: string | null; noSnapshots: boolean }): Promise<TransferRecord> {
    const scope = callerScope(caller);
    const authKey = randomHex(16);
    const salt = randomHex(8);
    const row = await this.d.transfers.transaction(async (trx) => {
      const volumes = this.d.volumes.on(trx);
      const v = await volumes.get(scope, input.volumeId, { forUpdate: true });
      if (!v) throw volumeNotFound(input.volumeId);
      if (v.status !== 'available') throw invalidVolume('status must be available');
      if (!input.noSnapshots) {
        const busy = (await this.d.snapshots.on(trx).ofVolume(v.id)).find((s) => s.status !== 'available');
        if (busy) throw invalidSnapshot(`snapshot: ${busy.id} status must be available`);
      }
      const made: TransferRow = {
        id: randomUUID(), volume_id: v.id, project_id: v.project_id, name: input.name, salt, crypt_hash: cryptHash(salt, authKey),
        no_snapshots: input.noSnapshots, created_at: new Date(),
      };
      await this.d.transfers.on(trx).insert(made);
      await volumes.update(ALL_PROJECTS, v.id, { status: 'awaiting-transfer' });
      return made;
    });
    this.d.log.info({ transfer_id: row.id, volume_id: row.volume_id, project_id: row.project_id, no_snapshots: row.no_snapshots }, 'volume transfer created');
    return toRecord(row, authKey);
  }

  /** The offer goes; a volume still awaiting the transfer is available again. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.d.transfers.transaction(async (trx) => {
      const transfers = this.d.transfers.on(trx);
      const row = await transfers.get(callerScope(caller), id, { forUpdate: true });
      if (!row) throw transferNotFound(id);
      await transfers.delete(id);
      await this.d.volumes.on(trx).update(ALL_PROJECTS, row.volume_id, { status: 'available' }, ['awaiting-transfer']);
    });
    this.d.log.info({ transfer_id: id }, 'volume transfer deleted');
  }

  /**
   * Any project with the key: the recipient's quotas are checked (volumes and gigabytes, and
   * snapshots when they move), then the volume, its snapshots and attachments change owner.
   */
  async accept(caller: Caller, id: string, authKey: string): Promise<TransferRecord> {
    const row = await this.d.transfers.transaction(async (trx) => {
      const transfers = this.d.transfers.on(trx);
      const t = await transfers.get(ALL_PROJECTS, id, { forUpdate: true });
      if (!t) throw transferNotFound(id);
      if (cryptHash(t.salt, authKey) !== t.crypt_hash) throw new BadRequest(`Invalid auth key: Attempt to transfer ${id} with invalid auth key.`);
      const v = await this.d.volumes.on(trx).get(ALL_PROJECTS, t.volume_id, { forUpdate: true });
      if (!v) throw volumeNotFound(t.volume_id);
      const moving = t.no_snapshots ? [] : (await this.d.snapshots.on(trx).ofVolume(v.id)).filter((s) => s.project_id === v.project_id);
      await this.d.quotas.reserve(trx, caller.projectId, 'volumes', { volumes: 1, gigabytes: v.size }, { volumeSize: v.size });
      if (moving.length) {
        await this.d.quotas.reserve(trx, caller.projectId, 'snapshots', { snapshots: moving.length, gigabytes: v.size + moving.reduce((n, s) => n + s.size, 0) });
      }
      await transfers.moveOwnership(v.id, v.project_id, { projectId: caller.projectId, userId: caller.userId }, !t.no_snapshots);
      await transfers.delete(id);
      return t;
    });
    this.d.log.info({ transfer_id: id, volume_id: row.volume_id, from_project: row.project_id, to_project: caller.projectId }, 'volume transfer accepted');
    return toRecord(row);
  }
}
