/**
 * Cinder's user messages (cinder/message): a failed asynchronous operation records what its
 * project may read (GET /messages, 3.3+). Events are Cinder's: VOLUME_<resource>_<action>_<detail>,
 * the text "<action>: <detail>"; a message is guaranteed for Cinder's message_ttl (30 days).
 */
import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import { countedDelete } from '../db/counted-delete';
import { NotFound } from '../http/faults';
import type { Logger } from '../logger';
import type { Caller } from './volume-quotas';
import type { Tx } from './volume-store';

/** cinder/message/message_field.py: the actions and details Snapstack's failures map to. */
export const MESSAGE_ACTION = {
  copyVolumeToImage: ['003', 'copy volume to image'],
  copyImageToVolume: ['005', 'copy image to volume'],
  extendVolume: ['007', 'extend volume'],
  createVolumeFromBackend: ['008', 'create volume from backend storage'],
  snapshotCreate: ['009', 'create snapshot'],
  snapshotDelete: ['010', 'delete snapshot'],
} as const;
export const MESSAGE_DETAIL = {
  unknownError: ['001', 'An unknown error occurred.'],
  failedToUploadVolume: ['004', 'Failed to upload volume to image at backend.'],
  driverFailedExtend: ['010', 'Volume Driver failed to extend volume.'],
  driverFailedCreate: ['012', 'Driver failed to create the volume.'],
  snapshotCreateError: ['013', 'Snapshot failed to create.'],
  snapshotDeleteError: ['016', 'Snapshot failed to delete.'],
} as const;

const MESSAGE_TTL_MS = 2_592_000 * 1000;

export interface MessageRow {
  id: string;
  project_id: string;
  request_id: string;
  resource_type: string | null;
  resource_uuid: string | null;
  event_id: string;
  message_level: string;
  user_message: string;
  created_at: Date;
  expires_at: Date;
}

export interface MessageEvent {
  projectId: string;
  resourceType: 'VOLUME' | 'VOLUME_SNAPSHOT';
  resourceUuid: string;
  action: readonly [string, string];
  detail: readonly [string, string];
}

/** Knex queries for volume_messages; expired messages are never shown. */
export class MessageStore {
  constructor(private readonly db: Knex | Tx) {}

  async insert(row: MessageRow): Promise<void> {
    await this.db('volume_messages').insert(row);
  }

  async list(projectId: string | null, filter: { resourceUuid?: string; eventId?: string }): Promise<MessageRow[]> {
    const q = this.db('volume_messages').where('expires_at', '>', new Date());
    if (projectId !== null) q.where({ project_id: projectId });
    if (filter.resourceUuid !== undefined) q.where({ resource_uuid: filter.resourceUuid });
    if (filter.eventId !== undefined) q.where({ event_id: filter.eventId });
    return q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
  }

  async get(projectId: string | null, id: string): Promise<MessageRow | undefined> {
    const q = this.db('volume_messages').where({ id }).where('expires_at', '>', new Date());
    if (projectId !== null) q.where({ project_id: projectId });
    return q.first();
  }

  async delete(id: string): Promise<void> {
    await this.db('volume_messages').where({ id }).delete();
  }

  on(trx: Tx): MessageStore {
    return new MessageStore(trx);
  }

  async removeAll(rows: Record<string, number>): Promise<void> {
    await countedDelete(rows, 'volume_messages', this.db('volume_messages'));
  }
}

const messageNotFound = (id: string) => new NotFound(`Message ${id} could not be found.`);

export class VolumeMessages {
  constructor(private readonly store: MessageStore, private readonly log: Logger) {}

  /** Records a failure for its project; a failure to record is logged, never raised (the operation has failed already). */
  async record(e: MessageEvent): Promise<void> {
    const now = new Date();
    const row: MessageRow = {
      id: randomUUID(), project_id: e.projectId, request_id: `req-${randomUUID()}`, resource_type: e.resourceType, resource_uuid: e.resourceUuid,
      event_id: `VOLUME_${e.resourceType}_${e.action[0]}_${e.detail[0]}`, message_level: 'ERROR', user_message: `${e.action[1]}: ${e.detail[1]}`,
      created_at: now, expires_at: new Date(now.getTime() + MESSAGE_TTL_MS),
    };
    try {
      await this.store.insert(row);
    } catch (err) {
      this.log.error({ err, project_id: e.projectId, resource_uuid: e.resourceUuid, event_id: row.event_id }, 'could not record the user message of a failed operation');
    }
  }

  /** A project's messages; an admin sees every project's (Cinder's admin context). */
  list(caller: Caller, filter: { resourceUuid?: string; eventId?: string }): Promise<MessageRow[]> {
    return this.store.list(caller.isAdmin ? null : caller.projectId, filter);
  }

  async show(caller: Caller, id: string): Promise<MessageRow> {
    const row = await this.store.get(caller.isAdmin ? null : caller.projectId, id);
    if (!row) throw messageNotFound(id);
    return row;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.show(caller, id);
    await this.store.delete(id);
  }
}
