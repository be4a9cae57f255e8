import type { AuthContext } from './context';
import type { ErrorStyle } from './error-mappers';
import { Forbidden } from './faults';
import type { OperationSpec } from './openapi-spec';

/**
 * The one policy layer: which token scope and role may call an operation, decided before any
 * handler runs, as oslo.policy does for Keystone, Nova, Cinder and Glance. Rules follow their
 * defaults (2023.x, enforce_scope on):
 * - `public`: no token needed (discovery, POST /auth/tokens, health);
 * - `token`: any valid token, scoped or not; the service checks ownership (Keystone's
 *   `user_id:%(target.user.id)s` rules: show own user, own projects, own token);
 * - `project_reader`: a project-scoped token with the reader role (member and admin imply it):
 *   Nova's PROJECT_READER_OR_ADMIN, Cinder's and Glance's the same;
 * - `project_member`: a project-scoped token with member (admin implies it): writes;
 * - `admin`: the admin role (Keystone's admin_required; Nova's ADMIN for flavor and quota
 *   management).
 * Unscoped (and, in Snapstack, domain- or system-scope requests, which get no project) tokens
 * fail every project rule with 403, never seeing any project's data. Ownership of a resource
 * (another project's server is a 404) stays in the services' stores.
 */
export type PolicyRule = 'public' | 'token' | 'project_reader' | 'project_member' | 'admin';

const READS = new Set(['get', 'head']);

/** Operations whose rule differs from their service's default (reader for reads, member for writes). */
const RULES: Record<string, PolicyRule> = {
  // Keystone: self-service reads (ownership is checked by the service), admin for the rest.
  validateToken: 'token', checkToken: 'token', revokeToken: 'token',
  getAuthCatalog: 'token', listAuthProjects: 'token', listAuthDomains: 'token',
  showUser: 'token', updateUser: 'token', listUserProjects: 'token',
  showProject: 'token', listProjectUserRoles: 'token', checkProjectUserRole: 'token', listRoleAssignments: 'token',
  listDomains: 'token', showDomain: 'token', listRoles: 'token', showRole: 'token', listRegions: 'token',
  listProjects: 'admin', createProject: 'admin', updateProject: 'admin', deleteProject: 'admin',
  listUsers: 'admin', createUser: 'admin', deleteUser: 'admin',
  assignProjectUserRole: 'admin', unassignProjectUserRole: 'admin',
  // Nova: flavor management is admin-only.
  createFlavor: 'admin', deleteFlavor: 'admin',
  // Cinder: quota updates are admin-only.
  updateQuotaSet: 'admin', deleteQuotaSet: 'admin',
  // Snapstack: the workspace is every project's, so only admins promote into it.
  promoteVolumeSnapshot: 'admin', promoteInstanceSnapshot: 'admin',
};

/** Services whose every operation needs a token unless the spec marks it public. */
const IDENTITY_DEFAULT: PolicyRule = 'admin';

export function ruleOf(service: string, op: OperationSpec): PolicyRule {
  if (op.public) return 'public';
  const explicit = RULES[op.operationId];
  if (explicit) return explicit;
  if (service === 'identity') return IDENTITY_DEFAULT;
  return READS.has(op.method) ? 'project_reader' : 'project_member';
}

/** Throws the service's 403 when the caller's token may not call the operation. */
export function authorize(style: ErrorStyle, service: string, op: OperationSpec, auth: AuthContext | null): void {
  const rule = ruleOf(service, op);
  if (rule === 'public' || rule === 'token') return;
  if (!auth) return; // the router has already refused a missing token (401)
  const scoped = auth.projectId !== null;
  const roles = new Set(auth.roles);
  const allowed = rule === 'admin' ? scoped && roles.has('admin')
    : rule === 'project_member' ? scoped && (roles.has('member') || roles.has('admin'))
      : scoped && (roles.has('reader') || roles.has('member') || roles.has('admin'));
  if (!allowed) throw new Forbidden(deniedMessage(style, service, op));
}

function deniedMessage(style: ErrorStyle, service: string, op: OperationSpec): string {
  const action = `${service}:${op.operationId}`;
  switch (style) {
    case 'nova':
    case 'cinder':
      return `Policy doesn't allow ${action} to be performed.`;
    case 'glance':
      return `You are not authorized to complete ${op.operationId} action.`;
    case 'keystone':
      return `You are not authorized to perform the requested action: ${action}.`;
    case 'snapstack':
      return `You are not authorized to perform the requested action: ${action}.`;
  }
}
