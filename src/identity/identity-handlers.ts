/**
 * Keystone v3 handlers (keys are the operationIds of openapi/identity.yaml).
 *
 * LIMITATIONS:
 * - one domain (Default); no domain-scoped, system-scoped or trust tokens; no groups,
 *   application credentials, federation, regions/services/endpoints management;
 * - role assignments are direct only (implied roles admin > member > reader are expanded in tokens);
 * - policy is simplified: admin may do everything, others may read themselves and their project.
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/identity';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { NotFound, Unauthorized } from '../http/faults';
import type { IdentityService } from './identity-service';
import { DEFAULT_DOMAIN } from './identity-service';
import { buildCatalog } from './catalog';
import { identityVersion } from './discovery';
import { collection, domainView, projectView, roleView, tokenView, userView } from './identity-views';

function subjectToken(ctx: RequestContext): string {
  const v = ctx.headers['x-subject-token'];
  const token = Array.isArray(v) ? v[0] : v;
  if (!token) throw new NotFound('Could not find token: None.');
  return token;
}

export function identityHandlers(identity: IdentityService): Handlers {
  return typedHandlers<operations>({
    async listIdentityVersions(ctx) {
      return { status: 300, headers: { Location: `${ctx.serviceUrl}/v3/` }, body: { versions: { values: [identityVersion(ctx.serviceUrl)] } } };
    },
    async showIdentityV3(ctx) {
      return { status: 200, body: { version: identityVersion(ctx.serviceUrl) } };
    },

    async createToken(ctx) {
      const auth = ctx.body.auth;
      const scope = auth.scope;
      const issued = await identity.authenticate({
        methods: auth.identity.methods,
        password: auth.identity.password,
        token: auth.identity.token,
        scope: scope === 'unscoped' ? 'unscoped' : scope,
      });
      const withCatalog = queryString(ctx, 'nocatalog') === undefined;
      return { status: 201, headers: { 'X-Subject-Token': issued.token }, body: tokenView(issued, ctx.publicUrl, withCatalog) };
    },
    async validateToken(ctx) {
      const token = subjectToken(ctx);
      const issued = await identity.inspectToken(requireAuth(ctx), token, 'identity:validate_token');
      const withCatalog = queryString(ctx, 'nocatalog') === undefined;
      return { status: 200, headers: { 'X-Subject-Token': token }, body: tokenView(issued, ctx.publicUrl, withCatalog) };
    },
    async checkToken(ctx) {
      const token = subjectToken(ctx);
      await identity.inspectToken(requireAuth(ctx), token, 'identity:check_token');
      return { status: 200, headers: { 'X-Subject-Token': token } };
    },
    async revokeToken(ctx) {
      await identity.revoke(requireAuth(ctx), subjectToken(ctx));
      return { status: 204 };
    },
    async getAuthCatalog(ctx) {
      const auth = requireAuth(ctx);
      if (!auth.projectId) throw new Unauthorized();
      return { status: 200, body: { catalog: buildCatalog(ctx.publicUrl, auth.projectId), links: { self: `${ctx.serviceUrl}/v3/auth/catalog`, previous: null, next: null } } };
    },
    async listAuthProjects(ctx) {
      const auth = requireAuth(ctx);
      const projects = await identity.projectsOfUser(auth, auth.userId);
      return { status: 200, body: collection('projects', projects.map((p) => projectView(p, ctx.serviceUrl)), `${ctx.serviceUrl}/v3/auth/projects`) };
    },
    async listAuthDomains(ctx) {
      return { status: 200, body: collection('domains', [domainView(ctx.serviceUrl)], `${ctx.serviceUrl}/v3/auth/domains`) };
    },

    async listProjects(ctx) {
      const projects = await identity.listProjects(requireAuth(ctx), { name: queryString(ctx, 'name') });
      return { status: 200, body: collection('projects', projects.map((p) => projectView(p, ctx.serviceUrl)), `${ctx.serviceUrl}/v3/projects`) };
    },
    async createProject(ctx) {
      const p = await identity.createProject(requireAuth(ctx), ctx.body.project);
      return { status: 201, body: { project: projectView(p, ctx.serviceUrl) } };
    },
    async showProject(ctx) {
      const p = await identity.getProject(requireAuth(ctx), ctx.params.project_id);
      return { status: 200, body: { project: projectView(p, ctx.serviceUrl) } };
    },
    async updateProject(ctx) {
      const p = await identity.updateProject(requireAuth(ctx), ctx.params.project_id, ctx.body.project);
      return { status: 200, body: { project: projectView(p, ctx.serviceUrl) } };
    },
    async deleteProject(ctx) {
      await identity.deleteProject(requireAuth(ctx), ctx.params.project_id);
      return { status: 204 };
    },

    async listUsers(ctx) {
      const users = await identity.listUsers(requireAuth(ctx), { name: queryString(ctx, 'name') });
      return { status: 200, body: collection('users', users.map((u) => userView(u, ctx.serviceUrl)), `${ctx.serviceUrl}/v3/users`) };
    },
    async createUser(ctx) {
      const u = await identity.createUser(requireAuth(ctx), ctx.body.user);
      return { status: 201, body: { user: userView(u, ctx.serviceUrl) } };
    },
    async showUser(ctx) {
      const u = await identity.getUser(requireAuth(ctx), ctx.params.user_id);
      return { status: 200, body: { user: userView(u, ctx.serviceUrl) } };
    },
    async updateUser(ctx) {
      const u = await identity.updateUser(requireAuth(ctx), ctx.params.user_id, ctx.body.user);
      return { status: 200, body: { user: userView(u, ctx.serviceUrl) } };
    },
    async deleteUser(ctx) {
      await identity.deleteUser(requireAuth(ctx), ctx.params.user_id);
      return { status: 204 };
    },
    async listUserProjects(ctx) {
      const projects = await identity.projectsOfUser(requireAuth(ctx), ctx.params.user_id);
      return { status: 200, body: collection('projects', projects.map((p) => projectView(p, ctx.serviceUrl)), `${ctx.serviceUrl}/v3/users/${ctx.params.user_id}/projects`) };
    },

    async listDomains(ctx) {
      const name = queryString(ctx, 'name');
      const domains = !name || name === DEFAULT_DOMAIN.name ? [domainView(ctx.serviceUrl)] : [];
      return { status: 200, body: collection('domains', domains, `${ctx.serviceUrl}/v3/domains`) };
    },
    async showDomain(ctx) {
      const id = ctx.params.domain_id;
      if (id !== DEFAULT_DOMAIN.id) throw new NotFound(`Could not find domain: ${id}.`);
      return { status: 200, body: { domain: domainView(ctx.serviceUrl) } };
    },

    async listRoles(ctx) {
      const name = queryString(ctx, 'name');
      const roles = (await identity.listRoles()).filter((r) => !name || r.name === name);
      return { status: 200, body: collection('roles', roles.map((r) => roleView(r, ctx.serviceUrl)), `${ctx.serviceUrl}/v3/roles`) };
    },
    async showRole(ctx) {
      const role = (await identity.listRoles()).find((r) => r.id === ctx.params.role_id);
      if (!role) throw new NotFound(`Could not find role: ${ctx.params.role_id}.`);
      return { status: 200, body: { role: roleView(role, ctx.serviceUrl) } };
    },
    async listRoleAssignments(ctx) {
      const rows = await identity.listAssignments(requireAuth(ctx), {
        userId: queryString(ctx, 'user.id'), projectId: queryString(ctx, 'scope.project.id'), roleId: queryString(ctx, 'role.id'),
      });
      const items = rows.map((r) => ({
        role: { id: r.role_id }, user: { id: r.user_id }, scope: { project: { id: r.project_id } },
        links: { assignment: `${ctx.serviceUrl}/v3/projects/${r.project_id}/users/${r.user_id}/roles/${r.role_id}` },
      }));
      return { status: 200, body: { role_assignments: items, links: { self: `${ctx.serviceUrl}/v3/role_assignments`, previous: null, next: null } } };
    },
    async listProjectUserRoles(ctx) {
      const roles = await identity.rolesOfUserOnProject(requireAuth(ctx), ctx.params.project_id, ctx.params.user_id);
      return { status: 200, body: collection('roles', roles.map((r) => roleView(r, ctx.serviceUrl)), ctx.req.originalUrl) };
    },
    async assignProjectUserRole(ctx) {
      await identity.assignRole(requireAuth(ctx), ctx.params.project_id, ctx.params.user_id, ctx.params.role_id);
      return { status: 204 };
    },
    async checkProjectUserRole(ctx) {
      await identity.checkRole(requireAuth(ctx), ctx.params.project_id, ctx.params.user_id, ctx.params.role_id);
      return { status: 204 };
    },
    async unassignProjectUserRole(ctx) {
      await identity.unassignRole(requireAuth(ctx), ctx.params.project_id, ctx.params.user_id, ctx.params.role_id);
      return { status: 204 };
    },
  });
}
