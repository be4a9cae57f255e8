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
  // Nova: key pairs are the user's own (`ADMIN or user_id:%(user_id)s`, project scope): any project role
  // writes them; the service refuses another user's to non-admins.
  createKeypair: 'project_reader', deleteKeypair: 'project_reader',
  // Cinder: quota updates are admin-only.
  updateQuotaSet: 'admin', deleteQuotaSet: 'admin',
  // Cinder: volume type management, extra spec changes and type access are admin-only.
  createVolumeType: 'admin', updateVolumeType: 'admin', deleteVolumeType: 'admin', volumeTypeAction: 'admin', listVolumeTypeAccess: 'admin',
  createVolumeTypeExtraSpecs: 'admin', updateVolumeTypeExtraSpec: 'admin', deleteVolumeTypeExtraSpec: 'admin',
  // Glance metadefs: creating a namespace is metadef_admin. Writes inside one are metadef_admin
  // too, checked by the service after the namespace's visibility (Glance answers 404 for a
  // namespace the caller cannot see before it answers 403), so the router asks a reader here.
  createMetadefNamespace: 'admin',
  updateMetadefNamespace: 'project_reader', deleteMetadefNamespace: 'project_reader',
  createMetadefObject: 'project_reader', updateMetadefObject: 'project_reader', deleteMetadefObject: 'project_reader', deleteMetadefObjects: 'project_reader',
  createMetadefProperty: 'project_reader', updateMetadefProperty: 'project_reader', deleteMetadefProperty: 'project_reader', deleteMetadefProperties: 'project_reader',
  createMetadefTags: 'project_reader', deleteMetadefTags: 'project_reader', createMetadefTag: 'project_reader', updateMetadefTag: 'project_reader', deleteMetadefTag: 'project_reader',
  createMetadefResourceTypeAssociation: 'project_reader', deleteMetadefResourceTypeAssociation: 'project_reader',
  // Snapstack: the workspace is every project's, so only admins promote into it.
  promoteVolumeSnapshot: 'admin', promoteInstanceSnapshot: 'admin',
  // Snapstack's control API for tests: reset and fault rules act on every project.
  resetInstance: 'admin', listFaultRules: 'admin', createFaultRule: 'admin', showFaultRule: 'admin', deleteFaultRule: 'admin', clearFaultRules: 'admin',
};

/** The real services' policy names, for the denial message clients show (the operationId otherwise). */
const POLICY_NAMES: Record<string, string> = {
  listProjects: 'identity:list_projects', createProject: 'identity:create_project', updateProject: 'identity:update_project',
  deleteProject: 'identity:delete_project', listUsers: 'identity:list_users', createUser: 'identity:create_user',
  deleteUser: 'identity:delete_user', assignProjectUserRole: 'identity:create_grant', unassignProjectUserRole: 'identity:revoke_grant',
  createFlavor: 'os_compute_api:os-flavor-manage:create', deleteFlavor: 'os_compute_api:os-flavor-manage:delete',
  listServers: 'os_compute_api:servers:index', listServersDetail: 'os_compute_api:servers:detail',
  createServer: 'os_compute_api:servers:create', showServer: 'os_compute_api:servers:show',
  updateServer: 'os_compute_api:servers:update', deleteServer: 'os_compute_api:servers:delete',
  listKeypairs: 'os_compute_api:os-keypairs:index', createKeypair: 'os_compute_api:os-keypairs:create',
  showKeypair: 'os_compute_api:os-keypairs:show', deleteKeypair: 'os_compute_api:os-keypairs:delete',
  listServerTags: 'os_compute_api:os-server-tags:index', replaceServerTags: 'os_compute_api:os-server-tags:update_all',
  deleteServerTags: 'os_compute_api:os-server-tags:delete_all', checkServerTag: 'os_compute_api:os-server-tags:show',
  addServerTag: 'os_compute_api:os-server-tags:update', deleteServerTag: 'os_compute_api:os-server-tags:delete',
  listInstanceActions: 'os_compute_api:os-instance-actions:list', showInstanceAction: 'os_compute_api:os-instance-actions:show',
  listServerGroups: 'os_compute_api:os-server-groups:index', createServerGroup: 'os_compute_api:os-server-groups:create',
  showServerGroup: 'os_compute_api:os-server-groups:show', deleteServerGroup: 'os_compute_api:os-server-groups:delete',
  showComputeLimits: 'os_compute_api:limits',
  listVolumes: 'volume:get_all', listVolumesDetail: 'volume:get_all', createVolume: 'volume:create', showVolume: 'volume:get',
  updateVolume: 'volume:update', deleteVolume: 'volume:delete', listSnapshots: 'volume:get_all_snapshots',
  listSnapshotsDetail: 'volume:get_all_snapshots', createSnapshot: 'volume:create_snapshot', showSnapshot: 'volume:get_snapshot',
  updateSnapshot: 'volume:update_snapshot', deleteSnapshot: 'volume:delete_snapshot',
  showQuotaSet: 'volume_extension:quotas:show', updateQuotaSet: 'volume_extension:quotas:update', deleteQuotaSet: 'volume_extension:quotas:delete',
  createVolumeType: 'volume_extension:type_create', updateVolumeType: 'volume_extension:type_update', deleteVolumeType: 'volume_extension:type_delete',
  volumeTypeAction: 'volume_extension:volume_type_access:addProjectAccess', listVolumeTypeAccess: 'volume_extension:volume_type_access:get_all_for_type',
  createVolumeTypeExtraSpecs: 'volume_extension:types_extra_specs:create', updateVolumeTypeExtraSpec: 'volume_extension:types_extra_specs:update',
  deleteVolumeTypeExtraSpec: 'volume_extension:types_extra_specs:delete',
  listImages: 'get_images', createImage: 'add_image', showImage: 'get_image', updateImage: 'modify_image', deleteImage: 'delete_image',
  downloadImageData: 'download_image', uploadImageData: 'upload_image', listImageMembers: 'get_members', createImageMember: 'add_member',
  showImageMember: 'get_member', updateImageMember: 'modify_member', deleteImageMember: 'delete_member',
  listMetadefNamespaces: 'get_metadef_namespaces', createMetadefNamespace: 'add_metadef_namespace', showMetadefNamespace: 'get_metadef_namespace',
  updateMetadefNamespace: 'modify_metadef_namespace', deleteMetadefNamespace: 'delete_metadef_namespace',
  listMetadefObjects: 'get_metadef_objects', createMetadefObject: 'add_metadef_object', showMetadefObject: 'get_metadef_object',
  updateMetadefObject: 'modify_metadef_object', deleteMetadefObject: 'delete_metadef_object', deleteMetadefObjects: 'delete_metadef_namespace',
  listMetadefProperties: 'get_metadef_properties', createMetadefProperty: 'add_metadef_property', showMetadefProperty: 'get_metadef_property',
  updateMetadefProperty: 'modify_metadef_property', deleteMetadefProperty: 'remove_metadef_property', deleteMetadefProperties: 'delete_metadef_namespace',
  listMetadefTags: 'get_metadef_tags', createMetadefTags: 'add_metadef_tags', deleteMetadefTags: 'delete_metadef_tags', showMetadefTag: 'get_metadef_tag',
  createMetadefTag: 'add_metadef_tag', updateMetadefTag: 'modify_metadef_tag', deleteMetadefTag: 'delete_metadef_tag',
  listMetadefResourceTypes: 'list_metadef_resource_types', listMetadefResourceTypeAssociations: 'list_metadef_resource_types',
  createMetadefResourceTypeAssociation: 'add_metadef_resource_type_association', deleteMetadefResourceTypeAssociation: 'remove_metadef_resource_type_association',
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
  const action = POLICY_NAMES[op.operationId] ?? `${service}:${op.operationId}`;
  switch (style) {
    case 'nova':
    case 'cinder':
      return `Policy doesn't allow ${action} to be performed.`;
    case 'glance':
      return `You are not authorized to complete ${POLICY_NAMES[op.operationId] ?? op.operationId} action.`;
    case 'keystone':
    case 'snapstack':
      return `You are not authorized to perform the requested action: ${action}.`;
  }
}
