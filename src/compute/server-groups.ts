import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import type { AuthContext } from '../http/context';
import { BadRequest, Forbidden, NotFound } from '../http/faults';
import type { Logger } from '../logger';
import type { GroupPolicy, ServerGroupStore, ServerGroupWithMembers } from './server-group-store';

/** Nova's default server_groups and server_group_members quotas. */
export const SERVER_GROUPS_QUOTA = 10;
export const SERVER_GROUP_MEMBERS_QUOTA = 10;

export interface ServerGroupInput {
  name: string;
  policy: GroupPolicy;
  rules: { max_server_per_host?: number };
}

/** nova/scheduler NoValidHost, as the server's fault shows it. */
export const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';

/**
 * Nova's server groups (nova/api/openstack/compute/server_groups.py) and their placement on
 * Snapstack's one host: affinity and the soft policies always fit; anti-affinity fits while the
 * host holds fewer members than max_server_per_host (1 unless the 2.64 rule says more).
 */
export class ServerGroups {
  constructor(private readonly store: ServerGroupStore, private readonly log: Logger) {}

  async create(auth: AuthContext, input: ServerGroupInput): Promise<ServerGroupWithMembers> {
    if (input.policy !== 'anti-affinity' && Object.keys(input.rules).length) throw new BadRequest('Only anti-affinity policy supports rules.');
    const projectId = auth.projectId!;
    if (await this.store.countInProject(projectId) >= SERVER_GROUPS_QUOTA) throw new Forbidden('Quota exceeded, too many server groups.');
    const id = randomUUID();
    await this.store.insert({ id, project_id: projectId, user_id: auth.userId, name: input.name, policy: input.policy, rules: input.rules });
    this.log.info({ server_group_id: id, project_id: projectId, policy: input.policy }, 'server group created');
    return (await this.store.get(id))!;
  }

  /** How many groups the project has (the limits API's totalServerGroupsUsed). */
  countInProject(projectId: string): Promise<number> {
    return this.store.countInProject(projectId);
  }

  /** The caller's project's groups (every project's for an admin with all_projects), Nova's limit/offset. */
  list(auth: AuthContext, q: { allProjects: boolean; limit: number; offset: number }): Promise<ServerGroupWithMembers[]> {
    return this.store.list(q.allProjects && auth.isAdmin ? null : auth.projectId, q);
  }

  /** The group if the caller may see it (another project's is invisible, 404). */
  async get(auth: AuthContext, id: string): Promise<ServerGroupWithMembers> {
    const group = await this.store.get(id);
    if (!group || (!auth.isAdmin && group.project_id !== auth.projectId)) throw new NotFound(`Instance group ${id} could not be found.`);
    return group;
  }

  async delete(auth: AuthContext, id: string): Promise<void> {
    await this.get(auth, id);
    if (!(await this.store.delete(id))) throw new NotFound(`Instance group ${id} could not be found.`);
    this.log.info({ server_group_id: id, project_id: auth.projectId }, 'server group deleted');
  }

  /** The new servers of a create join the group (in the create's transaction). */
  join(groupId: string, serverIds: string[], trx: Knex.Transaction): Promise<void> {
    return this.store.addMembers(groupId, serverIds, trx);
  }

  /**
   * The `group` scheduler hint of a create of `count` servers: the group (400 when it is not
   * there, as Nova's InstanceGroupNotFound on create), its member quota (403), and for each new
   * server whether the one host can take it.
   */
  async place(auth: AuthContext, groupId: string, count: number): Promise<{ group: ServerGroupWithMembers; fits: boolean[] }> {
    const group = await this.get(auth, groupId).catch((err) => {
      if (err instanceof NotFound) throw new BadRequest(err.message);
      throw err;
    });
    if (group.members.length + count > SERVER_GROUP_MEMBERS_QUOTA) throw new Forbidden('Quota exceeded, too many servers in group');
    const perHost = group.policy === 'anti-affinity' ? Number(group.rules.max_server_per_host ?? 1) : Infinity;
    const placed = await this.store.placedMembers(group.id);
    return { group, fits: Array.from({ length: count }, (_, i) => placed + i < perHost) };
  }
}
