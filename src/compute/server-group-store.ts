import type { Knex } from 'knex';
import { countedDelete, deletedAny } from '../db/counted-delete';

export type GroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

export interface ServerGroupRow {
  id: string;
  project_id: string;
  user_id: string;
  name: string;
  policy: GroupPolicy;
  rules: { max_server_per_host?: number };
  created_at: Date;
}

/** A group with its members: the servers not deleted. */
export type ServerGroupWithMembers = ServerGroupRow & { members: string[] };

/** Its members that are not deleted, as a JSON column of the group's row. */
const MEMBERS = `coalesce((select json_agg(m.server_id order by m.server_id) from server_group_members as m
  join servers as s on s.id = m.server_id and s.deleted_at is null where m.group_id = server_groups.id), '[]'::json) as members`;

function decode(row: Record<string, unknown>): ServerGroupWithMembers {
  if (typeof row.rules === 'string') row.rules = JSON.parse(row.rules);
  return row as unknown as ServerGroupWithMembers;
}

/** Knex queries for server_groups and server_group_members only. */
export class ServerGroupStore {
  constructor(private readonly db: Knex) {}

  async insert(row: Omit<ServerGroupRow, 'created_at'>): Promise<void> {
    await this.db('server_groups').insert({ ...row, rules: JSON.stringify(row.rules) });
  }

  async get(id: string): Promise<ServerGroupWithMembers | undefined> {
    const row = await this.db('server_groups').select('server_groups.*', this.db.raw(MEMBERS)).where({ id }).first();
    return row ? decode(row) : undefined;
  }

  /** Oldest first, as Nova lists them; `projectId` null: every project's. */
  async list(projectId: string | null, page: { limit: number; offset: number }): Promise<ServerGroupWithMembers[]> {
    const q = this.db('server_groups').select('server_groups.*', this.db.raw(MEMBERS)).orderBy([{ column: 'created_at' }, { column: 'id' }]);
    if (projectId !== null) q.where({ project_id: projectId });
    return (await q.limit(page.limit).offset(page.offset)).map(decode);
  }

  async countInProject(projectId: string): Promise<number> {
    const row = await this.db('server_groups').where({ project_id: projectId }).count<{ n: string }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** Reset: every group and membership. */
  async removeAll(): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    await this.db.transaction(async (trx) => {
      await countedDelete(rows, 'server_group_members', trx('server_group_members'));
      await countedDelete(rows, 'server_groups', trx('server_groups'));
    });
    return rows;
  }

  async delete(id: string): Promise<boolean> {
    return deletedAny(this.db('server_groups').where({ id }));
  }

  /** The members that hold a place on the host: not deleted, and not refused by the scheduler (ERROR with no launch). */
  async placedMembers(groupId: string): Promise<number> {
    const row = await this.db('server_group_members as m').join('servers as s', 's.id', 'm.server_id')
      .where('m.group_id', groupId).whereNull('s.deleted_at').where((q) => q.whereNot('s.vm_state', 'error').orWhereNotNull('s.launched_at'))
      .count<{ n: string }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async addMembers(groupId: string, serverIds: string[], trx: Knex.Transaction): Promise<void> {
    if (serverIds.length) await trx('server_group_members').insert(serverIds.map((server_id) => ({ group_id: groupId, server_id })));
  }
}
