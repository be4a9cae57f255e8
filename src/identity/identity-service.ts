import { createHash, randomBytes } from 'crypto';
import type { AuthContext } from '../http/context';
import { BadRequest, Conflict, Forbidden, NotFound, Unauthorized } from '../http/faults';
import type { Logger } from '../logger';
import { isUniqueViolation } from '../db/pg-errors';
import { IdentityStore, ProjectRow, RoleRow, TokenSubject, UserRow } from './identity-store';
import { hashPassword, verifyPassword } from './passwords';
import { DEFAULT_DOMAIN, newId, ROLE_NAMES, SEEDED_NAMES, seedIdentity, type SeedPasswords } from './identity-seed';
import { emptyOutcome, type ResetOutcome } from '../shared/module-reset';
import { TokenCache } from './token-cache';

export { DEFAULT_DOMAIN, ROLE_NAMES } from './identity-seed';
const IMPLIES: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'], reader: [] };

export interface IssuedToken {
  token: string;
  auth: AuthContext;
  user: UserRow;
  project: ProjectRow | null;
  roles: RoleRow[];
  methods: string[];
  auditId: string;
  issuedAt: Date;
}

export { newId } from './identity-seed';
export type { SeedPasswords } from './identity-seed';

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenCacheSettings {
  /** Several Snapstack processes may share the database (DATABASE_URL): see token-cache.ts. */
  shared: boolean;
  /** How long a validated token is trusted without the database at most (default 10 s). */
  ttlMs?: number;
}

/** Keystone v3 rules: users, projects (namespaces), roles, tokens. No HTTP, no SQL. */
export class IdentityService {
  private readonly tokens: TokenCache<IssuedToken>;
  /** The roles: seeded once, never changed by the API. */
  private roles: Promise<RoleRow[]> | null = null;

  constructor(
    private readonly store: IdentityStore,
    private readonly tokenTtlSeconds: number,
    private readonly log: Logger,
    cache: TokenCacheSettings = { shared: true },
  ) {
    this.tokens = new TokenCache<IssuedToken>(
      { shared: cache.shared, ttlMs: cache.ttlMs ?? 10_000, maxEntries: 10_000 },
      () => this.store.identityEpoch(),
    );
  }

  /**
   * After a write a token's validity depends on: the identity epoch moves (other processes
   * on the database see it on their next request) and this process's cache empties.
   */
  private async changed(): Promise<void> {
    this.tokens.invalidate(); // first: this process is right even if the epoch write fails
    await this.store.bumpIdentityEpoch();
  }

  /** Everything changed (reset): every cached token is read again. */
  async invalidateAll(): Promise<void> {
    await this.changed();
  }

  /** At first start: roles, the admin/demo/alt_demo projects and their users (identity-seed.ts). */
  seed(passwords: SeedPasswords): Promise<void> {
    return seedIdentity(this.store, passwords, this.log);
  }

  /** Reset: what the seed made stays, with its ids (its tokens stay valid); the rest goes. */
  async resetToSeed(): Promise<ResetOutcome> {
    const out = emptyOutcome();
    out.rows = await this.store.removeAllButSeed([...SEEDED_NAMES], DEFAULT_DOMAIN.id, ROLE_NAMES);
    await this.invalidateAll();
    return out;
  }

  // --- tokens ---------------------------------------------------------------------------

  async authenticate(req: {
    methods: string[];
    password?: { user: { id?: string; name?: string; password: string; domain?: { id?: string; name?: string } } };
    token?: { id: string };
    scope?: { project?: { id?: string; name?: string; domain?: { id?: string; name?: string } } } | 'unscoped';
  }): Promise<IssuedToken> {
    let user: UserRow | undefined;
    let methods: string[];
    let inheritedExpiry: Date | undefined;
    if (req.methods.includes('password') && req.password) {
      const u = req.password.user;
      if (u.id) user = await this.store.getUser(u.id);
      else if (u.name) user = await this.store.findUserByName(u.name, this.domainId(u.domain));
      else throw new BadRequest('Expecting to find id or name in user - the server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
      if (!user || !user.enabled || !(await verifyPassword(u.password, user.password_hash))) throw new Unauthorized();
      methods = ['password'];
    } else if (req.methods.includes('token') && req.token) {
      // Unknown, revoked or expired: null (a database error is not a 401).
      const prior = (await this.describeToken(req.token.id))?.auth;
      if (!prior) throw new Unauthorized();
      user = await this.store.getUser(prior.userId);
      if (!user) throw new Unauthorized();
      methods = ['token'];
      inheritedExpiry = prior.expiresAt; // re-scoping never extends a token's life
    } else {
      throw new Unauthorized('Unsupported authentication method.');
    }
    let project: ProjectRow | null = null;
    const scope = req.scope;
    if (scope && scope !== 'unscoped' && scope.project) {
      const p = scope.project;
      const found = p.id ? await this.store.getProject(p.id) : p.name ? await this.store.findProjectByName(p.name, this.domainId(p.domain)) : undefined;
      if (!found || !found.enabled) throw new Unauthorized();
      project = found;
    } else if (scope === undefined && user.default_project_id && req.methods.includes('password')) {
      // Keystone scopes to the default project when no scope is asked for.
      project = (await this.store.getProject(user.default_project_id)) ?? null;
    }
    const roles = project ? await this.effectiveRoles(user.id, project.id) : [];
    if (project && roles.length === 0) throw new Unauthorized();
    const issuedAt = new Date();
    const expiresAt = inheritedExpiry ?? new Date(issuedAt.getTime() + this.tokenTtlSeconds * 1000);
    const token = randomBytes(48).toString('base64url');
    const auditId = randomBytes(16).toString('base64url').slice(0, 22);
    await this.store.insertToken({ id: tokenHash(token), user_id: user.id, project_id: project?.id ?? null, methods, audit_id: auditId, issued_at: issuedAt, expires_at: expiresAt });
    return { token, auth: this.authContext(tokenHash(token), user, project, roles, expiresAt), user, project, roles, methods, auditId, issuedAt };
  }

  /** The caller behind a token, or 401. */
  async validate(token: string): Promise<AuthContext> {
    const issued = await this.describeToken(token);
    if (!issued) throw new Unauthorized();
    return issued.auth;
  }

  /**
   * Everything a token body shows, or null when it is unknown, revoked or expired: from the
   * token cache, else one query (token, user, project, role assignments).
   */
  async describeToken(token: string): Promise<IssuedToken | null> {
    const id = tokenHash(token);
    const issued = await this.tokens.get(id, async () => {
      const found = await this.store.tokenSubject(id);
      return { value: found ? await this.issuedFrom(token, found) : null, epoch: found?.epoch ?? '' };
    });
    // An entry may outlive its token by the cache's few seconds: expiry is checked on every use.
    if (!issued || issued.auth.expiresAt.getTime() <= Date.now()) return null;
    return issued;
  }

  private async issuedFrom(token: string, found: TokenSubject): Promise<IssuedToken | null> {
    const { token: row, user, project } = found;
    if (row.revoked_at || new Date(row.expires_at).getTime() <= Date.now()) return null;
    if (!user.enabled) return null;
    // A token dies with its project's disablement or deletion, as Keystone's does.
    if (row.project_id && (!project || !project.enabled)) return null;
    const roles = project ? await this.expandRoles(found.roleNames) : [];
    if (project && roles.length === 0) return null;
    const expiresAt = new Date(row.expires_at);
    return { token, auth: this.authContext(row.id, user, project, roles, expiresAt), user, project, roles, methods: row.methods, auditId: row.audit_id, issuedAt: new Date(row.issued_at) };
  }

  /** A token as its subject or an admin may see it (Keystone's service_admin_or_token_subject); 404 when dead. */
  async inspectToken(caller: AuthContext, token: string, action: string): Promise<IssuedToken> {
    const subject = await this.describeToken(token);
    if (!subject) throw new NotFound('Failed to validate token');
    if (subject.auth.userId !== caller.userId && !caller.isAdmin) throw new Forbidden(`You are not authorized to perform the requested action: ${action}.`);
    return subject;
  }

  async revoke(caller: AuthContext, token: string): Promise<void> {
    const subject = await this.describeToken(token);
    if (!subject) throw new NotFound('Failed to validate token');
    if (subject.auth.userId !== caller.userId && !caller.isAdmin) throw new Forbidden();
    await this.store.revokeToken(tokenHash(token), new Date());
    await this.changed();
  }

  private authContext(tokenId: string, user: UserRow, project: ProjectRow | null, roles: RoleRow[], expiresAt: Date): AuthContext {
    const names = roles.map((r) => r.name);
    return { tokenId, userId: user.id, userName: user.name, projectId: project?.id ?? null, projectName: project?.name ?? null, roles: names, isAdmin: names.includes('admin'), expiresAt };
  }

  private async effectiveRoles(userId: string, projectId: string): Promise<RoleRow[]> {
    return this.expandRoles((await this.store.rolesOn(userId, projectId)).map((r) => r.name));
  }

  /** Direct role names with the roles they imply, as role rows. */
  private async expandRoles(direct: string[]): Promise<RoleRow[]> {
    const names = new Set<string>();
    for (const name of direct) {
      names.add(name);
      for (const implied of IMPLIES[name] ?? []) names.add(implied);
    }
    this.roles ??= this.store.listRoles().catch((err) => {
      this.roles = null;
      throw err;
    });
    return (await this.roles).filter((r) => names.has(r.name));
  }

  private domainId(domain?: { id?: string; name?: string }): string {
    if (!domain) return DEFAULT_DOMAIN.id;
    if (domain.id) return domain.id;
    if (domain.name && domain.name.toLowerCase() === DEFAULT_DOMAIN.name.toLowerCase()) return DEFAULT_DOMAIN.id;
    return `unknown:${domain.name}`;
  }

  // --- projects, users, roles -----------------------------------------------------------

  async listProjects(caller: AuthContext, filter: { name?: string }): Promise<ProjectRow[]> {
    this.requireAdmin(caller, 'identity:list_projects');
    const all = await this.store.listProjects();
    return filter.name ? all.filter((p) => p.name === filter.name) : all;
  }

  async getProject(caller: AuthContext, id: string): Promise<ProjectRow> {
    const p = await this.store.getProject(id);
    if (!p || (!caller.isAdmin && caller.projectId !== id)) {
      if (!caller.isAdmin && p) throw new Forbidden('You are not authorized to perform the requested action: identity:get_project.');
      throw new NotFound(`Could not find project: ${id}.`);
    }
    return p;
  }

  async createProject(caller: AuthContext, input: { name: string; description?: string | null; domain_id?: string; enabled?: boolean }): Promise<ProjectRow> {
    this.requireAdmin(caller, 'identity:create_project');
    const domainId = input.domain_id ?? DEFAULT_DOMAIN.id;
    if (domainId !== DEFAULT_DOMAIN.id) throw new NotFound(`Could not find domain: ${domainId}.`);
    if (await this.store.findProjectByName(input.name, domainId)) {
      throw new Conflict(`Conflict occurred attempting to store project - Duplicate entry found with name ${input.name} at domain ID ${domainId}.`);
    }
    return unique('project', input.name, domainId, this.store.insertProject({ id: newId(), name: input.name, domain_id: domainId, description: input.description ?? '', enabled: input.enabled ?? true }));
  }

  async updateProject(caller: AuthContext, id: string, patch: { name?: string; description?: string; enabled?: boolean }): Promise<ProjectRow> {
    this.requireAdmin(caller, 'identity:update_project');
    const existing = await this.store.getProject(id);
    if (!existing) throw new NotFound(`Could not find project: ${id}.`);
    if (patch.name && patch.name !== existing.name && (await this.store.findProjectByName(patch.name, existing.domain_id))) {
      throw new Conflict(`Conflict occurred attempting to store project - Duplicate entry found with name ${patch.name} at domain ID ${existing.domain_id}.`);
    }
    // Checked above, but a concurrent rename or delete can still win: 409 and 404, not a 500.
    const updated = await unique('project', patch.name ?? existing.name, existing.domain_id, this.store.updateProject(id, patch));
    if (!updated) throw new NotFound(`Could not find project: ${id}.`);
    await this.changed(); // its name is in token bodies; disabled, its tokens die
    return updated;
  }

  async deleteProject(caller: AuthContext, id: string): Promise<void> {
    this.requireAdmin(caller, 'identity:delete_project');
    if (!(await this.store.deleteProject(id))) throw new NotFound(`Could not find project: ${id}.`);
    await this.changed();
  }

  async projectsOfUser(caller: AuthContext, userId: string): Promise<ProjectRow[]> {
    if (!caller.isAdmin && caller.userId !== userId) throw new Forbidden('You are not authorized to perform the requested action: identity:list_user_projects.');
    if (!(await this.store.getUser(userId))) throw new NotFound(`Could not find user: ${userId}.`);
    return this.store.projectsOf(userId);
  }

  async listUsers(caller: AuthContext, filter: { name?: string }): Promise<UserRow[]> {
    this.requireAdmin(caller, 'identity:list_users');
    const all = await this.store.listUsers();
    return filter.name ? all.filter((u) => u.name === filter.name) : all;
  }

  async getUser(caller: AuthContext, id: string): Promise<UserRow> {
    if (!caller.isAdmin && caller.userId !== id) throw new Forbidden('You are not authorized to perform the requested action: identity:get_user.');
    const u = await this.store.getUser(id);
    if (!u) throw new NotFound(`Could not find user: ${id}.`);
    return u;
  }

  async createUser(caller: AuthContext, input: { name: string; password?: string | null; domain_id?: string; default_project_id?: string | null; enabled?: boolean; email?: string }): Promise<UserRow> {
    this.requireAdmin(caller, 'identity:create_user');
    const domainId = input.domain_id ?? DEFAULT_DOMAIN.id;
    if (domainId !== DEFAULT_DOMAIN.id) throw new NotFound(`Could not find domain: ${domainId}.`);
    if (await this.store.findUserByName(input.name, domainId)) {
      throw new Conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${input.name} at domain ID ${domainId}.`);
    }
    if (input.default_project_id && !(await this.store.getProject(input.default_project_id))) throw new NotFound(`Could not find project: ${input.default_project_id}.`);
    return unique('user', input.name, domainId, this.store.insertUser({
      id: newId(), name: input.name, domain_id: domainId,
      // A user made without a password can't log in, as in Keystone.
      password_hash: input.password ? await hashPassword(input.password) : 'none',
      enabled: input.enabled ?? true, default_project_id: input.default_project_id ?? null, email: input.email ?? null,
    }));
  }

  async updateUser(caller: AuthContext, id: string, patch: { name?: string; password?: string; enabled?: boolean; default_project_id?: string; email?: string }): Promise<UserRow> {
    // Keystone's identity:update_user is admin-only; a user changes only their own password.
    const ownPasswordOnly = caller.userId === id && Object.keys(patch).every((k) => k === 'password');
    if (!caller.isAdmin && !ownPasswordOnly) throw new Forbidden('You are not authorized to perform the requested action: identity:update_user.');
    const existing = await this.store.getUser(id);
    if (!existing) throw new NotFound(`Could not find user: ${id}.`);
    if (patch.name && patch.name !== existing.name && (await this.store.findUserByName(patch.name, existing.domain_id))) {
      throw new Conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${patch.name} at domain ID ${existing.domain_id}.`);
    }
    if (patch.default_project_id && !(await this.store.getProject(patch.default_project_id))) throw new NotFound(`Could not find project: ${patch.default_project_id}.`);
    const { password, ...rest } = patch;
    const row: Partial<UserRow> = { ...rest };
    if (password) row.password_hash = await hashPassword(password);
    const updated = await unique('user', patch.name ?? existing.name, existing.domain_id, this.store.updateUser(id, row));
    if (!updated) throw new NotFound(`Could not find user: ${id}.`);
    // Keystone revokes a user's tokens when the password changes.
    if (password) await this.store.revokeTokensOf(id, new Date());
    await this.changed();
    return updated;
  }

  async deleteUser(caller: AuthContext, id: string): Promise<void> {
    this.requireAdmin(caller, 'identity:delete_user');
    if (!(await this.store.deleteUser(id))) throw new NotFound(`Could not find user: ${id}.`);
    await this.changed();
  }

  listRoles(): Promise<RoleRow[]> {
    return this.store.listRoles();
  }

  async listAssignments(caller: AuthContext, filter: { userId?: string; projectId?: string; roleId?: string }) {
    if (!caller.isAdmin && filter.userId !== caller.userId) throw new Forbidden('You are not authorized to perform the requested action: identity:list_role_assignments.');
    return this.store.listAssignments(filter);
  }

  async rolesOfUserOnProject(caller: AuthContext, projectId: string, userId: string): Promise<RoleRow[]> {
    if (!caller.isAdmin && caller.userId !== userId) throw new Forbidden('You are not authorized to perform the requested action: identity:list_grants.');
    await this.mustExist(projectId, userId);
    return this.store.rolesOn(userId, projectId);
  }

  async assignRole(caller: AuthContext, projectId: string, userId: string, roleIdOrName: string): Promise<void> {
    this.requireAdmin(caller, 'identity:create_grant');
    await this.mustExist(projectId, userId);
    const role = await this.findRole(roleIdOrName);
    await this.store.assignRole(userId, projectId, role.id);
    await this.changed();
  }

  async unassignRole(caller: AuthContext, projectId: string, userId: string, roleIdOrName: string): Promise<void> {
    this.requireAdmin(caller, 'identity:revoke_grant');
    await this.mustExist(projectId, userId);
    const role = await this.findRole(roleIdOrName);
    if (!(await this.store.unassignRole(userId, projectId, role.id))) throw new NotFound(`Could not find role assignment with role: ${role.id}, user or group: ${userId}, project, domain, or system: ${projectId}.`);
    await this.changed();
  }

  async checkRole(caller: AuthContext, projectId: string, userId: string, roleIdOrName: string): Promise<void> {
    const roles = await this.rolesOfUserOnProject(caller, projectId, userId);
    const role = await this.findRole(roleIdOrName);
    if (!roles.some((r) => r.id === role.id)) throw new NotFound(`Could not find role assignment with role: ${role.id}, user or group: ${userId}, project, domain, or system: ${projectId}.`);
  }

  private async findRole(idOrName: string): Promise<RoleRow> {
    const roles = await this.store.listRoles();
    const role = roles.find((r) => r.id === idOrName) ?? roles.find((r) => r.name === idOrName);
    if (!role) throw new NotFound(`Could not find role: ${idOrName}.`);
    return role;
  }

  private async mustExist(projectId: string, userId: string): Promise<void> {
    if (!(await this.store.getProject(projectId))) throw new NotFound(`Could not find project: ${projectId}.`);
    if (!(await this.store.getUser(userId))) throw new NotFound(`Could not find user: ${userId}.`);
  }

  private requireAdmin(caller: AuthContext, action: string): void {
    if (!caller.isAdmin) throw new Forbidden(`You are not authorized to perform the requested action: ${action}.`);
  }

  /** Does the project exist? Other services ask this (e.g. quotas for another project). */
  async projectExists(id: string): Promise<boolean> {
    return Boolean(await this.store.getProject(id));
  }
}

/**
 * A name taken between the check and the write (two concurrent creates or renames): PostgreSQL's
 * unique index answers, and the caller gets Keystone's 409, not a 500.
 */
async function unique<T>(kind: 'user' | 'project', name: string, domainId: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new Conflict(`Conflict occurred attempting to store ${kind} - Duplicate entry found with name ${name} at domain ID ${domainId}.`);
    }
    throw err;
  }
}
