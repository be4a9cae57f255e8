import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import type { AuthContext } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import type { JobDefinition, JobRunner } from '../jobs/jobs-api';
import type { Logger } from '../logger';
import { bestEffort } from '../shared/best-effort';
import type { InstanceActionEventRow, InstanceActionRow, InstanceActionStore } from './instance-action-store';
import type { ServerRow } from './server-store';
import { COMPUTE_HOST } from './server-views';

/**
 * Nova's instance action names (nova/compute/instance_actions.py) and the compute event that
 * does the work (wrap_instance_event's `compute_<method>`); null: no compute event (lock, unlock).
 */
const EVENTS: Record<string, string | null> = {
  create: 'compute__do_build_and_run_instance',
  delete: 'compute_terminate_instance',
  stop: 'compute_stop_instance',
  start: 'compute_start_instance',
  reboot: 'compute_reboot_instance',
  pause: 'compute_pause_instance',
  unpause: 'compute_unpause_instance',
  suspend: 'compute_suspend_instance',
  resume: 'compute_resume_instance',
  createImage: 'compute_snapshot_instance',
  createBackup: 'compute_backup_instance',
  shelve: 'compute_shelve_instance',
  shelveOffload: 'compute_shelve_offload_instance',
  unshelve: 'compute_unshelve_instance',
  resize: 'compute_resize_instance',
  confirmResize: 'compute_confirm_resize',
  revertResize: 'compute_revert_resize',
  rebuild: 'compute_rebuild_instance',
  attach_volume: 'compute_attach_volume',
  detach_volume: 'compute_detach_volume',
  lock: null,
  unlock: null,
};

/**
 * The request halves of actions under way (`around`), by server, and whether each queued a job
 * for its server: an action that queues none (volume attach and detach, a volume-backed
 * createImage, confirmResize) is done when its request succeeds, and its event is finished
 * there. Compute names the server on every job it queues (resourceType 'server'), so watching
 * those enqueues needs no async context (an AsyncLocalStorage would tax every promise of the
 * process from the first action on). Two actions on one server at once both count its job.
 */
export class ActionRequests {
  private readonly open = new Map<string, Set<{ queued: boolean }>>();

  /** `jobs` noting each enqueue that names a server with an action request under way. */
  watch(jobs: JobRunner): JobRunner {
    const open = this.open;
    return new Proxy(jobs, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop !== 'enqueue') return value.bind(target);
        return (...args: Parameters<JobRunner['enqueue']>) => {
          const opts = args[2];
          if (opts?.resourceType === 'server' && opts.resourceId) for (const r of open.get(opts.resourceId) ?? []) r.queued = true;
          return Reflect.apply(value, target, args);
        };
      },
    });
  }

  /** `work`'s result, and whether it queued a job for the server. */
  async during<T>(serverId: string, work: () => Promise<T>): Promise<{ result: T; queued: boolean }> {
    const request = { queued: false };
    const set = this.open.get(serverId) ?? new Set();
    this.open.set(serverId, set.add(request));
    try {
      return { result: await work(), queued: request.queued };
    } finally {
      set.delete(request);
      if (set.size === 0 && this.open.get(serverId) === set) this.open.delete(serverId);
    }
  }
}

/** POST /servers/{id}/action bodies that are instance actions, by Nova's action name. */
const SERVER_ACTION_NAMES: Record<string, string> = {
  'os-stop': 'stop', 'os-start': 'start', reboot: 'reboot', pause: 'pause', unpause: 'unpause', suspend: 'suspend', resume: 'resume',
  createImage: 'createImage', createBackup: 'createBackup', shelve: 'shelve', shelveOffload: 'shelveOffload', unshelve: 'unshelve',
  resize: 'resize', confirmResize: 'confirmResize', revertResize: 'revertResize', rebuild: 'rebuild', lock: 'lock', unlock: 'unlock',
};

/** The server (a deleted one too, from 2.21) if the caller may see it; Nova's 404 otherwise. */
export type VisibleServer = (auth: AuthContext, id: string, includeDeleted: boolean) => Promise<ServerRow>;

export interface ActionQuery {
  limit?: number;
  marker?: string;
  changesSince?: Date;
  changesBefore?: Date;
}

/**
 * Instance actions (os-instance-actions): each accepted request on a server is recorded with
 * its request id; its event is finished by the job that did the work (`tracked`), Success or
 * Error. No HTTP, no SQL.
 */
export class InstanceActions {
  constructor(private readonly store: InstanceActionStore, private readonly server: VisibleServer, private readonly log: Logger, private readonly requests: ActionRequests) {}

  /** Nova's action name for a POST /servers/{id}/action body key (undefined: not recorded, e.g. os-getConsoleOutput). */
  static actionOf(bodyKey: string): string | undefined {
    return SERVER_ACTION_NAMES[bodyKey];
  }

  /** Records `action` on the server for this request; returns its id (to discard it if the request is refused). */
  async record(server: Pick<ServerRow, 'id'>, auth: AuthContext, requestId: string | undefined, action: string, trx?: Knex.Transaction, failed?: string): Promise<number> {
    return this.store.insert({
      serverId: server.id, action, requestId: requestId ?? `req-${randomUUID()}`, userId: auth.userId, projectId: auth.projectId ?? '',
      event: EVENTS[action] ?? null, host: COMPUTE_HOST, failed,
    }, trx);
  }

  /** The request recorded its action, then was refused (a state check's 409...): no action happened. */
  async discard(id: number): Promise<void> {
    await bestEffort(this.log, 'discarding a refused instance action', { action_id: id }, () => this.store.remove(id));
  }

  /**
   * `work` (the request half of an action) with its action recorded first, so the job it queues
   * finds the event to finish; a refused request leaves no action.
   */
  async around<T>(server: Pick<ServerRow, 'id'>, auth: AuthContext, requestId: string | undefined, action: string, work: () => Promise<T>): Promise<T> {
    const id = await this.record(server, auth, requestId, action);
    let done: { result: T; queued: boolean };
    try {
      done = await this.requests.during(server.id, work);
    } catch (err) {
      await this.discard(id);
      throw err;
    }
    const { result, queued } = done;
    if (!queued && EVENTS[action]) {
      await bestEffort(this.log, 'finishing an instance action event', { action_id: id, server_id: server.id }, () => this.store.finishAction(id));
    }
    return result;
  }

  /** `job` finishing the events its server had open when it was enqueued: Success when it ran, Error (with the error) when it failed. */
  tracked<P>(job: JobDefinition<P>): JobDefinition<P> {
    const settle = async (payload: P, record: { id: string; created_at: Date | string }, result: 'Success' | 'Error', traceback: string | null) => {
      const serverId = (payload as { serverId?: unknown }).serverId;
      if (typeof serverId !== 'string') return;
      await bestEffort(this.log, 'finishing instance action events', { server_id: serverId, job: job.kind },
        () => this.store.finishOpen(serverId, { id: record.id, created_at: new Date(record.created_at) }, result, traceback));
    };
    return {
      ...job,
      run: async (payload, record, signal) => {
        await job.run(payload, record, signal);
        await settle(payload, record, 'Success', null);
      },
      onFail: async (payload, error, record, cause) => {
        await job.onFail(payload, error, record, cause);
        await settle(payload, record, 'Error', error);
      },
    };
  }

  async list(auth: AuthContext, serverId: string, includeDeleted: boolean, q: ActionQuery): Promise<InstanceActionRow[]> {
    await this.server(auth, serverId, includeDeleted);
    if (q.changesSince && q.changesBefore && q.changesBefore < q.changesSince) {
      throw new BadRequest('The value of changes-since must be less than or equal to changes-before.');
    }
    const rows = await this.store.list(serverId, q);
    if (!rows) throw new BadRequest(`Marker ${q.marker} could not be found.`);
    return rows;
  }

  async get(auth: AuthContext, serverId: string, requestId: string, includeDeleted: boolean): Promise<{ action: InstanceActionRow; events: InstanceActionEventRow[] }> {
    await this.server(auth, serverId, includeDeleted);
    const found = await this.store.withEvents(serverId, requestId);
    if (!found) throw new NotFound(`Action ${requestId} not found`);
    return found;
  }
}
