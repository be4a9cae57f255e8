import type { Knex } from 'knex';
import { countedDelete } from '../db/counted-delete';
import { Keyset, markerValues, orderByKeyset, whereAfter } from '../db/keyset';

export interface InstanceActionRow {
  id: number;
  server_id: string;
  action: string;
  request_id: string;
  user_id: string;
  project_id: string;
  message: string | null;
  start_time: Date;
  updated_at: Date;
}

export interface InstanceActionEventRow {
  id: number;
  action_id: number;
  server_id: string;
  event: string;
  host: string;
  start_time: Date;
  finish_time: Date | null;
  result: string | null;
  traceback: string | null;
  details: string | null;
}

export interface NewInstanceAction {
  serverId: string;
  action: string;
  requestId: string;
  userId: string;
  projectId: string;
  /** The compute event the action's job finishes; none for actions done in the request (lock). */
  event: string | null;
  host: string;
  /** Refused before any job (the scheduler found no host): the event is recorded finished, Error, with this traceback. */
  failed?: string;
}

/** Nova's order (actions_get): newest first, id breaking ties. */
const ACTION_ORDER: Keyset = { keys: [{ column: 'start_time', dir: 'desc' }, { column: 'id', dir: 'desc' }], nulls: 'low' };

/** Knex queries for instance_actions and instance_action_events only. */
export class InstanceActionStore {
  constructor(private readonly db: Knex) {}

  /** The action and its open event; in `trx` when the request writes the server in one (create). */
  async insert(a: NewInstanceAction, trx?: Knex.Transaction): Promise<number> {
    const write = async (db: Knex | Knex.Transaction) => {
      const [row] = await db('instance_actions')
        .insert({ server_id: a.serverId, action: a.action, request_id: a.requestId, user_id: a.userId, project_id: a.projectId, message: a.failed ? 'Error' : null })
        .returning('id');
      const id = Number(typeof row === 'object' ? row.id : row);
      const finished = a.failed ? { finish_time: db.fn.now(), result: 'Error', traceback: a.failed } : {};
      if (a.event) await db('instance_action_events').insert({ action_id: id, server_id: a.serverId, event: a.event, host: a.host, ...finished });
      return id;
    };
    return trx ? write(trx) : this.db.transaction(write);
  }

  /** An action the request refused after recording it: gone with its events. */
  async remove(id: number): Promise<void> {
    await this.db('instance_actions').where({ id }).delete();
  }

  /** The action's open events finished with Success (an action done within its request). */
  async finishAction(actionId: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('instance_action_events').where({ action_id: actionId }).whereNull('finish_time').update({ finish_time: trx.fn.now(), result: 'Success' });
      await trx('instance_actions').where({ id: actionId }).update({ updated_at: trx.fn.now() });
    });
  }

  /**
   * Finishes the server's events that were open when `job` (the settling job) was made: the
   * job did their work. A failure marks their actions' message 'Error', as Nova does. One
   * statement (the events' update as a CTE): every build ends here, so it costs one round trip,
   * not a transaction's four. How many actions it finished.
   */
  async finishOpen(serverId: string, job: { id: string; created_at: Date }, result: 'Success' | 'Error', traceback: string | null): Promise<number> {
    // The job row's own time (microseconds): a JavaScript Date keeps milliseconds, and an event
    // started in the job's own transaction (a create's) has the same microsecond time, later
    // than that Date, so it stayed open.
    const before = this.db.raw('coalesce((select created_at from jobs where id = ?), ?)', [job.id, job.created_at]);
    const events = this.db('instance_action_events').where({ server_id: serverId }).whereNull('finish_time').where('start_time', '<=', before)
      .update({ finish_time: this.db.fn.now(), result, traceback }).returning('action_id');
    const actions = await this.db.with('finished', events).table('instance_actions').whereIn('id', this.db('finished').select('action_id'))
      .update({ updated_at: this.db.fn.now(), ...(result === 'Error' ? { message: 'Error' } : {}) }).returning('id');
    return actions.length;
  }

  /** A page of the server's actions (Nova's filters from 2.58); undefined when the marker (a request id) is not one of them. */
  async list(serverId: string, q: { limit?: number; marker?: string; changesSince?: Date; changesBefore?: Date }): Promise<InstanceActionRow[] | undefined> {
    const filtered = (b: Knex.QueryBuilder) => {
      b.where({ server_id: serverId });
      if (q.changesSince) b.where('updated_at', '>=', q.changesSince);
      if (q.changesBefore) b.where('updated_at', '<=', q.changesBefore);
      return b;
    };
    const query = orderByKeyset(filtered(this.db('instance_actions')), ACTION_ORDER);
    if (q.marker !== undefined) {
      const marker = await this.byRequest(serverId, q.marker);
      const values = marker && await markerValues(filtered(this.db('instance_actions')), ACTION_ORDER, String(marker.id));
      if (!values) return undefined;
      whereAfter(query, ACTION_ORDER, values);
    }
    if (q.limit !== undefined) query.limit(q.limit);
    return query;
  }

  /** The server's latest action of `requestId` (read in `db` when given: a transaction). */
  async byRequest(serverId: string, requestId: string, db: Knex = this.db): Promise<InstanceActionRow | undefined> {
    return db('instance_actions').where({ server_id: serverId, request_id: requestId }).orderBy('id', 'desc').first();
  }

  /** Reset: every action and event. */
  async removeAll(): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    await this.db.transaction(async (trx) => {
      await countedDelete(rows, 'instance_action_events', trx('instance_action_events'));
      await countedDelete(rows, 'instance_actions', trx('instance_actions'));
    });
    return rows;
  }

  /**
   * The action of `requestId` with its events, from one snapshot: a job that finishes both at
   * once (finishOpen) is seen whole or not at all, never an event finished beside an action
   * not yet marked.
   */
  async withEvents(serverId: string, requestId: string): Promise<{ action: InstanceActionRow; events: InstanceActionEventRow[] } | undefined> {
    return this.db.transaction(async (trx) => {
      const action = await this.byRequest(serverId, requestId, trx);
      if (!action) return undefined;
      return { action, events: await trx('instance_action_events').where({ action_id: action.id }).orderBy('id') };
    }, { isolationLevel: 'repeatable read' });
  }
}
