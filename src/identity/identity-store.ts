import { performance } from 'perf_hooks';
import type { Knex } from 'knex';
import { countedDelete } from '../db/counted-delete';

export interface ProjectRow { id: string; name: string; domain_id: string; description: string; enabled: boolean; created_at: Date }
export interface UserRow { id: string; name: string; domain_id: string; password_hash: string; enabled: boolean; default_project_id: string | null; email: string | null }
export interface RoleRow { id: string; name: string }
export interface TokenRow { id: string; user_id: string; project_id: string | null; methods: string[]; audit_id: string; issued_at: Date; expires_at: Date; revoked_at: Date | null }
/** A token with everything its validation needs, read in one query. */
export interface TokenSubject { token: TokenRow; user: UserRow; project: ProjectRow | null; roleNames: string[]; epoch: string }

/** The settings row holding the identity epoch (see token-cache.ts). */
const EPOCH_KEY = 'identity.epoch';

/**
 * Another module's epoch (a settings row) read in the same queries as the identity epoch, so a
 * process learns of its changes with no round trip of its own (replicas' fault rules).
 * `sentAt`: performance.now() when the query was sent.
 */
export interface EpochRider {
  key: string;
  seen(value: string, sentAt: number): void;
}

/** Knex queries for identity tables only; snake_case rows stay here. */
export class IdentityStore {
  constructor(private readonly db: Knex, private readonly rider?: EpochRider) {}

  countUsers(): Promise<number> {
    return this.db('users').count<{ count: string }[]>('* as count').then((r) => Number(r[0].count));
  }

  listProjects(): Promise<ProjectRow[]> {
    return this.db('projects').select('*').orderBy('name');
  }
  getProject(id: string): Promise<ProjectRow | undefined> {
    return this.db('projects').where({ id }).first();
  }
  findProjectByName(name: string, domainId: string): Promise<ProjectRow | undefined> {
    return this.db('projects').where({ name, domain_id: domainId }).first();
  }
  async insertProject(row: Omit<ProjectRow, 'created_at'>): Promise<ProjectRow> {
    const [p] = await this.db('projects').insert(row).returning('*');
    return p;
  }
  async updateProject(id: string, patch: Partial<ProjectRow>): Promise<ProjectRow | undefined> {
    if (!Object.keys(patch).length) return this.db('projects').where({ id }).first();
    const [p] = await this.db('projects').where({ id }).update(patch).returning('*');
    return p;
  }
  deleteProject(id: string): Promise<number> {
    return this.db('projects').where({ id }).delete();
  }

  listUsers(): Promise<UserRow[]> {
    return this.db('users').select('*').orderBy('name');
  }
  getUser(id: string): Promise<UserRow | undefined> {
    return this.db('users').where({ id }).first();
  }
  findUserByName(name: string, domainId: string): Promise<UserRow | undefined> {
    return this.db('users').where({ name, domain_id: domainId }).first();
  }
  async insertUser(row: UserRow): Promise<UserRow> {
    const [u] = await this.db('users').insert(row).returning('*');
    return u;
  }
  async updateUser(id: string, patch: Partial<UserRow>): Promise<UserRow | undefined> {
    // An empty PATCH changes nothing (Keystone answers the user as it is).
    if (!Object.keys(patch).length) return this.db('users').where({ id }).first();
    const [u] = await this.db('users').where({ id }).update(patch).returning('*');
    return u;
  }
  deleteUser(id: string): Promise<number> {
    return this.db('users').where({ id }).delete();
  }

  listRoles(): Promise<RoleRow[]> {
    return this.db('roles').select('*').orderBy('name');
  }
  getRole(id: string): Promise<RoleRow | undefined> {
    return this.db('roles').where({ id }).first();
  }
  async ensureRole(row: RoleRow): Promise<void> {
    await this.db('roles').insert(row).onConflict('name').ignore();
  }
  rolesOn(userId: string, projectId: string): Promise<RoleRow[]> {
    return this.db('role_assignments as a')
      .join('roles as r', 'r.id', 'a.role_id')
      .where({ 'a.user_id': userId, 'a.project_id': projectId })
      .select('r.id', 'r.name')
      .orderBy('r.name');
  }
  projectsOf(userId: string): Promise<ProjectRow[]> {
    return this.db('projects as p')
      .whereIn('p.id', this.db('role_assignments').where({ user_id: userId }).select('project_id'))
      .select('p.*')
      .orderBy('p.name');
  }
  listAssignments(filter: { userId?: string; projectId?: string; roleId?: string }) {
    const q = this.db('role_assignments').select('*');
    if (filter.userId) q.where({ user_id: filter.userId });
    if (filter.projectId) q.where({ project_id: filter.projectId });
    if (filter.roleId) q.where({ role_id: filter.roleId });
    return q as Promise<{ user_id: string; project_id: string; role_id: string }[]>;
  }
  async assignRole(userId: string, projectId: string, roleId: string): Promise<void> {
    await this.db('role_assignments').insert({ user_id: userId, project_id: projectId, role_id: roleId }).onConflict(['user_id', 'project_id', 'role_id']).ignore();
  }
  unassignRole(userId: string, projectId: string, roleId: string): Promise<number> {
    return this.db('role_assignments').where({ user_id: userId, project_id: projectId, role_id: roleId }).delete();
  }

  async insertToken(row: Omit<TokenRow, 'revoked_at'>): Promise<void> {
    await this.db('tokens').insert({ ...row, methods: JSON.stringify(row.methods) });
  }
  /** The token, its user, its project, the user's direct role names there and the identity epoch: one query. */
  async tokenSubject(id: string): Promise<TokenSubject | null> {
    const sentAt = performance.now();
    const rider = this.rider ? [this.db.raw('(SELECT value FROM settings WHERE key = ?) AS rider_epoch', [this.rider.key])] : [];
    const row = await this.db('tokens as t')
      .join('users as u', 'u.id', 't.user_id')
      .leftJoin('projects as p', 'p.id', 't.project_id')
      .where('t.id', id)
      .first(
        't.*',
        this.db.raw('row_to_json(u.*) AS subject_user'),
        this.db.raw('row_to_json(p.*) AS subject_project'),
        this.db.raw(`COALESCE((SELECT json_agg(r.name) FROM role_assignments a JOIN roles r ON r.id = a.role_id
          WHERE a.user_id = t.user_id AND a.project_id = t.project_id), '[]'::json) AS subject_roles`),
        this.db.raw('COALESCE((SELECT value FROM settings WHERE key = ?), ?) AS subject_epoch', [EPOCH_KEY, '0']),
        ...rider,
      );
    if (!row) return null;
    const { subject_user: user, subject_project: project, subject_roles: roles, subject_epoch: epoch, rider_epoch: riderEpoch, ...token } = row;
    this.rider?.seen(riderEpoch ?? '0', sentAt);
    if (typeof token.methods === 'string') token.methods = JSON.parse(token.methods);
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const p = json(project) as ProjectRow | null;
    if (p) p.created_at = new Date(p.created_at);
    return { token: token as TokenRow, user: json(user) as UserRow, project: p, roleNames: json(roles) as string[], epoch: String(epoch) };
  }
  /** The identity epoch (one primary-key read). */
  /**
   * Reset: every project, user, role, assignment and token but those of the seed (projects and
   * users named `names` in `domainId`, roles named `roleNames`), in one transaction; the counts.
   */
  async removeAllButSeed(names: string[], domainId: string, roleNames: readonly string[]): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    await this.db.transaction(async (trx) => {
      const seeded = (q: Knex.QueryBuilder) => q.whereIn('name', names).andWhere('domain_id', domainId);
      const projects = trx('projects').where(seeded).select('id');
      const users = trx('users').where(seeded).select('id');
      await countedDelete(rows, 'role_assignments', trx('role_assignments').whereNotIn('user_id', users.clone()).orWhereNotIn('project_id', projects.clone()));
      await countedDelete(rows, 'tokens', trx('tokens').whereNotIn('user_id', users.clone()).orWhere((w) => w.whereNotNull('project_id').whereNotIn('project_id', projects.clone())));
      await countedDelete(rows, 'users', trx('users').whereNot(seeded));
      await countedDelete(rows, 'projects', trx('projects').whereNot(seeded));
      await countedDelete(rows, 'roles', trx('roles').whereNotIn('name', [...roleNames]));
    });
    return rows;
  }

  async identityEpoch(): Promise<string> {
    if (!this.rider) return (await this.db('settings').where({ key: EPOCH_KEY }).first('value'))?.value ?? '0';
    const sentAt = performance.now();
    const rows: Array<{ key: string; value: string }> = await this.db('settings').whereIn('key', [EPOCH_KEY, this.rider.key]).select('key', 'value');
    this.rider.seen(rows.find((r) => r.key === this.rider!.key)?.value ?? '0', sentAt);
    return rows.find((r) => r.key === EPOCH_KEY)?.value ?? '0';
  }
  /** Moves the identity epoch: after every write a token's validity depends on. */
  async bumpIdentityEpoch(): Promise<void> {
    await this.db.raw(
      `INSERT INTO settings (key, value) VALUES (?, '1')
       ON CONFLICT (key) DO UPDATE SET value = (settings.value::bigint + 1)::text`,
      [EPOCH_KEY],
    );
  }
  /** Revokes every live token of a user (a password change, as Keystone does). */
  revokeTokensOf(userId: string, at: Date): Promise<number> {
    return this.db('tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: at });
  }
  revokeToken(id: string, at: Date): Promise<number> {
    return this.db('tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: at });
  }
  purgeExpiredTokens(before: Date): Promise<number> {
    return this.db('tokens').where('expires_at', '<', before).delete();
  }
}
