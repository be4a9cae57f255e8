import type { AuthContext } from '../http/context';
import { BadRequest, Forbidden, NotFound } from '../http/faults';
import type { Microversion } from '../http/microversion';
import type { JobRunner } from '../jobs/jobs-api';
import type { Logger } from '../logger';
import type { InstanceActions } from './instance-actions';
import { NO_VALID_HOST, type ServerGroups } from './server-groups';
import { isoSecondsZ } from '../shared/time-format';
import { pageLimit, queryDate } from './compute-links';
import { CreatePlanDeps, CreateServerInput, multiplyPlan, planServer, ServerPlan } from './server-create';
import { JOB_BUILD, JOB_DELETE } from './server-lifecycle';
import type { ResourceLocks } from '../shared/resource-locks';
import { checkUpdateVersionedKeys, hostnameArg, serverSort, unknownStatus } from './request-versions';
import { checkLock, checkState, type StateRule, vmStatesOfStatus } from './server-states';
import type { BlockDeviceRow, ServerRow, ServerStore, ServerViewColumns, ServerViewOf, ServerViewRow } from './server-store';
import { serverOrder } from './server-store';
import { bool } from './server-bdm';

export interface ServerListQuery {
  name?: string;
  status?: string;
  image?: string;
  flavor?: string;
  changesSince?: string;
  /** 2.66 */
  changesBefore?: string;
  ip?: string;
  /** Servers have no IPv6 address: any ip6 filter matches none. */
  ip6?: string;
  /** 2.73 */
  locked?: string;
  /** Nova's exact filters and its regex ones (an admin's, a non-admin's from 2.83; hostname from 2.90). */
  exact?: Partial<Record<'user_id' | 'vm_state' | 'task_state', string>>;
  regex?: Partial<Record<'key_name' | 'availability_zone' | 'hostname', string>>;
  allTenants?: string;
  projectId?: string;
  limit?: string;
  marker?: string;
  reservationId?: string;
  /** 2.26 tag filters, comma-separated */
  tags?: string;
  tagsAny?: string;
  notTags?: string;
  notTagsAny?: string;
  /** An admin's deleted filter (Nova drops it from a non-admin's query). */
  deleted?: string;
  /** sort_key and sort_dir, each as often as given */
  sortKeys?: string[];
  sortDirs?: string[];
}

/** os:scheduler_hints: Snapstack reads `group` (a server group's id, or a list of one). */
export interface SchedulerHints {
  group?: unknown;
}

const tagList = (v: string | undefined) => (v === undefined ? undefined : v.split(',').filter((t) => t !== ''));

/** oslo's bool_from_string(strict=True), as Nova's locked filter reads it (InvalidInput otherwise). */
function strictBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
  throw new BadRequest(`Invalid input received: Unrecognized value '${value}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`);
}

function lastSegment(ref: string): string {
  return ref.replace(/\/+$/, '').split('/').pop() ?? ref;
}

/** Nova server CRUD and metadata; the long work runs in jobs (server-lifecycle.ts). No HTTP, no SQL. */
export class ServerService {
  constructor(
    private readonly store: ServerStore,
    private readonly jobs: JobRunner,
    private readonly locks: ResourceLocks,
    private readonly plan: CreatePlanDeps,
    private readonly log: Logger,
    private readonly actions: Pick<InstanceActions, 'record' | 'discard'>,
    private readonly groups: Pick<ServerGroups, 'place' | 'join'>,
  ) {}

  /** The server if the caller may see it (admins see every project's); 404 otherwise. */
  async get(auth: AuthContext, id: string, opts: { includeDeleted?: boolean } = {}): Promise<ServerRow> {
    return this.visible(auth, id, await this.store.get(id, opts));
  }

  /** get() as the detail view reads the server (GET /servers/{id}). */
  async show(auth: AuthContext, id: string, columns: Extract<ServerViewColumns, { detail: true }>): Promise<ServerViewRow> {
    return this.visible(auth, id, await this.store.view(id, columns));
  }

  private visible<S extends Pick<ServerRow, 'project_id'>>(auth: AuthContext, id: string, s: S | undefined): S {
    if (!s || (!auth.isAdmin && s.project_id !== auth.projectId)) throw new NotFound(`Instance ${id} could not be found.`);
    return s;
  }

  blockDevices(serverId: string): Promise<BlockDeviceRow[]> {
    return this.store.blockDevices(serverId);
  }

  /**
   * One server, or min_count..max_count of them (Nova's multiple create: one reservation id,
   * each its own build job); the answer shows the first.
   */
  async create(
    auth: AuthContext, input: CreateServerInput, mv: Microversion | null, requestId?: string, hints: SchedulerHints = {},
  ): Promise<{ server: ServerPlan['server']; plan: ServerPlan; reservationId: string }> {
    const plan = await planServer(this.plan, auth, input, mv);
    const plans = multiplyPlan(plan, await this.instanceCount(auth.projectId!, plan.count));
    const groupId = Array.isArray(hints.group) ? hints.group[0] : hints.group;
    const placement = typeof groupId === 'string' ? await this.groups.place(auth, groupId, plans.length) : null;
    await this.store.transaction(async (trx) => {
      for (const [i, p] of plans.entries()) {
        // The scheduler's answer for a server the group's policy keeps off the one host: ERROR, no build.
        const refused = placement !== null && !placement.fits[i];
        const server = refused
          ? { ...p.server, vm_state: 'error', task_state: null, fault: { code: 500, message: NO_VALID_HOST, created: isoSecondsZ(new Date()) } }
          : p.server;
        await this.store.insert(server, p.blockDevices, trx);
        await this.actions.record(p.server, auth, requestId, 'create', trx, refused ? NO_VALID_HOST : undefined);
        if (!refused) await this.jobs.enqueue(JOB_BUILD, { serverId: p.server.id }, { projectId: auth.projectId, resourceType: 'server', resourceId: p.server.id }, trx);
      }
      if (placement) await this.groups.join(placement.group.id, plans.map((p) => p.server.id), trx);
    });
    this.log.info({
      server_id: plan.server.id, project_id: auth.projectId, image: plan.server.image_ref, flavor: plan.server.flavor_id, count: plans.length, reservation_id: plan.server.reservation_id,
    }, 'server accepted');
    // The row as inserted (its answer shows the id and the plan's own fields): not read back.
    return { server: plan.server, plan, reservationId: plan.server.reservation_id ?? '' };
  }

  /** What the project's servers use (the limits API's totals). */
  usage(projectId: string): Promise<{ instances: number; cores: number; ram: number }> {
    return this.store.usage(projectId);
  }

  /**
   * How many servers a multiple create makes: max_count when the instances quota (Nova's
   * default, 10) leaves room, else as many as it leaves if that is at least min_count; 403
   * otherwise. A single create is not counted against it (Snapstack has no compute quotas).
   */
  private async instanceCount(projectId: string, count: { min: number; max: number }): Promise<number> {
    if (count.max <= 1) return 1;
    const used = (await this.store.usage(projectId)).instances;
    const allowed = Math.max(0, INSTANCES_QUOTA - used);
    if (allowed < count.min) throw new Forbidden(`Quota exceeded for instances: Requested ${count.min}, but already used ${used} of ${INSTANCES_QUOTA} instances`);
    return Math.min(count.max, allowed);
  }

  /** One page of the caller's servers, as the view of `columns` reads them. */
  async list<V extends ServerViewColumns>(auth: AuthContext, q: ServerListQuery, columns: V, mv: Microversion | null): Promise<{ servers: ServerViewOf<V>[]; more: boolean }> {
    const everyProject = auth.isAdmin && q.allTenants !== undefined && !['0', 'false', 'False'].includes(q.allTenants);
    const changedSince = queryDate('changes-since', q.changesSince);
    const changedBefore = queryDate('changes-before', q.changesBefore);
    if (changedSince && changedBefore && changedBefore < changedSince) {
      throw new BadRequest('The value of changes-since must be less than or equal to changes-before.');
    }
    const unknown = q.status !== undefined && unknownStatus(q.status, mv);
    const limit = pageLimit(q.limit);
    const order = serverOrder(serverSort(q.sortKeys ?? [], q.sortDirs ?? [], mv, auth.isAdmin));
    const vmStates = q.status === undefined ? undefined : (!unknown && vmStatesOfStatus(q.status)) || [];
    // Nova's _get_servers: deleted ones with changes-since/-before unless `deleted` says; status DELETED is an admin's.
    let deleted: 'live' | 'deleted' | 'any' = q.changesSince !== undefined || q.changesBefore !== undefined ? 'any' : 'live';
    if (auth.isAdmin && q.deleted !== undefined) deleted = bool(q.deleted.trim()) ? 'deleted' : 'live';
    if (vmStates?.length === 1 && vmStates[0] === 'deleted') {
      if (!auth.isAdmin) throw new Forbidden('Only administrators may list deleted instances');
      deleted = 'deleted';
    }
    const page = await this.store.listView({
      projectId: everyProject ? null : auth.projectId,
      nameRegex: q.name,
      ipRegex: q.ip,
      ownerProjectId: everyProject && q.projectId ? q.projectId : undefined,
      vmStates,
      imageRef: q.image === undefined ? undefined : lastSegment(q.image),
      flavorId: q.flavor === undefined ? undefined : lastSegment(q.flavor),
      changedSince,
      changedBefore,
      locked: q.locked === undefined ? undefined : strictBool(q.locked),
      exact: q.exact,
      regex: q.regex,
      reservationId: q.reservationId,
      tags: tagList(q.tags), tagsAny: tagList(q.tagsAny), notTags: tagList(q.notTags), notTagsAny: tagList(q.notTagsAny),
      ...(q.ip6 !== undefined ? { vmStates: [] } : {}),
      order,
      deleted,
    }, { limit, marker: q.marker }, columns);
    // Nova links a next page whenever the page is full.
    return { servers: page, more: page.length > 0 && page.length === limit };
  }

  async update(auth: AuthContext, id: string, body: { name?: string; description?: string | null; accessIPv4?: string; accessIPv6?: string; hostname?: string }, mv: Microversion | null): Promise<ServerRow> {
    await this.get(auth, id);
    checkUpdateVersionedKeys(body, mv);
    const patch: Partial<ServerRow> = {};
    if (body.name !== undefined) patch.name = body.name;
    if (body.description !== undefined) patch.description = body.description;
    if (body.accessIPv4 !== undefined) patch.access_ip_v4 = body.accessIPv4;
    if (body.accessIPv6 !== undefined) patch.access_ip_v6 = body.accessIPv6;
    if (body.hostname !== undefined) patch.hostname = hostnameArg(body.hostname);
    return this.locks.withLock(id, () => this.store.updateExisting(id, patch));
  }

  /** 204 at once in any state; the container and volumes are released by a job. */
  async delete(auth: AuthContext, id: string, requestId?: string): Promise<void> {
    const server = await this.get(auth, id);
    checkLock(server, auth);
    await this.locks.withLock(id, async () => {
      await this.store.transaction(async (trx) => {
        await this.store.markDeleted(id, trx);
        await this.actions.record(server, auth, requestId, 'delete', trx);
        await this.jobs.enqueue(JOB_DELETE, { serverId: id }, { projectId: server.project_id, resourceType: 'server', resourceId: id }, trx);
      });
    });
  }

  // --- metadata -------------------------------------------------------------------------

  async metadata(auth: AuthContext, id: string): Promise<Record<string, string>> {
    return (await this.get(auth, id)).metadata ?? {};
  }

  /** PUT replaces all; POST (merge) updates the given keys. */
  async setMetadata(auth: AuthContext, id: string, meta: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    return this.changeMetadata(auth, id, 'update_instance_metadata', (current) => (replace ? { ...meta } : { ...current, ...meta }));
  }

  async metadataItem(auth: AuthContext, id: string, key: string): Promise<string> {
    const meta = await this.metadata(auth, id);
    if (!(key in meta)) throw new NotFound('Metadata item was not found');
    return meta[key];
  }

  async setMetadataItem(auth: AuthContext, id: string, key: string, meta: Record<string, string>): Promise<Record<string, string>> {
    const keys = Object.keys(meta ?? {});
    if (keys.length !== 1) throw new BadRequest('Request body contains too many items');
    if (keys[0] !== key) throw new BadRequest('Request body and URI mismatch');
    await this.setMetadata(auth, id, meta, false);
    return { [key]: meta[key] };
  }

  async deleteMetadataItem(auth: AuthContext, id: string, key: string): Promise<void> {
    if (!(key in (await this.metadata(auth, id)))) throw new NotFound('Metadata item was not found');
    await this.changeMetadata(auth, id, 'delete_instance_metadata', (current) => {
      const metadata = { ...current };
      delete metadata[key];
      return metadata;
    });
  }

  /**
   * nova/compute/api.py update/delete_instance_metadata: read and written under the server's
   * lock; a locked server refuses non-admins (409), then the state (409), then the quota of
   * metadata items on the result (403).
   */
  private async changeMetadata(
    auth: AuthContext, id: string, action: string, change: (current: Record<string, string>) => Record<string, string>,
  ): Promise<Record<string, string>> {
    return this.locks.withLock(id, async () => {
      const server = await this.get(auth, id);
      checkLock(server, auth);
      checkState(server, action, METADATA_STATES);
      const metadata = change(server.metadata ?? {});
      if (Object.keys(metadata).length > METADATA_ITEMS) throw new Forbidden(`Maximum number of metadata items exceeds ${METADATA_ITEMS}`);
      return (await this.store.updateExisting(id, { metadata })).metadata ?? {};
    });
  }
}

/** Nova's default instances quota (multiple create only, see instanceCount). */
export const INSTANCES_QUOTA = 10;
/** Nova's default metadata_items quota. */
export const METADATA_ITEMS = 128;
const METADATA_STATES: StateRule = { vmStates: ['active', 'paused', 'suspended', 'stopped'] };
