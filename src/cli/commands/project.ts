/** `project list` and `project create` (Keystone v3), as the openstack client prints them. */
import { type CommandSpec, defineCommand } from '../command';
import { ApiError } from '../http';
import { field, sortedFields } from '../output';
import type { Project } from '../wire';

const dropLinks = (p: Record<string, unknown>) => {
  const { links: _links, ...rest } = p;
  return rest;
};

export const projectCommands: CommandSpec[] = [
  defineCommand({
    name: 'project list',
    summary: 'List projects',
    description: 'List projects. An admin sees every project; other users see the projects they have a role on.',
    output: 'list',
    options: [
      { flags: ['--long'], dest: 'long', kind: 'flag', help: 'List additional fields in output' },
      { flags: ['--my-projects'], dest: 'myProjects', kind: 'flag', help: 'List projects for the authenticated user. Supersedes other filters.' },
    ],
    examples: ['snapstack project list --long', 'snapstack project list -f value -c Name'],
    async run(ctx, { opts }) {
      const s = await ctx.session();
      const mine = () => s.request<{ projects?: Project[] } | undefined>('identity', 'GET', `/users/${encodeURIComponent(s.userId)}/projects`);
      let res;
      if (opts.myProjects) res = await mine();
      else {
        try {
          res = await s.request<{ projects?: Project[] } | undefined>('identity', 'GET', '/projects');
        } catch (err) {
          // As OSC does: a user who may not list every project gets their own.
          if (!(err instanceof ApiError && err.status === 403)) throw err;
          res = await mine();
        }
      }
      const projects: Project[] = res.body?.projects ?? [];
      const columns = opts.long ? ['ID', 'Name', 'Domain ID', 'Description', 'Enabled'] : ['ID', 'Name'];
      const keys = opts.long ? ['id', 'name', 'domain_id', 'description', 'enabled'] : ['id', 'name'];
      const rows = projects.map((p) => keys.map((k) => field(p, k)));
      return { kind: 'list', columns, rows };
    },
  }),
  defineCommand({
    name: 'project create',
    summary: 'Create new project',
    description: 'Create new project (a namespace: every server, volume, snapshot and image belongs to one). Needs the admin role.',
    output: 'show',
    options: [
      { flags: ['--domain'], dest: 'domain', kind: 'string', metavar: '<domain>', help: 'Domain owning the project (ID; default: the default domain)' },
      { flags: ['--description'], dest: 'description', kind: 'string', metavar: '<description>', help: 'Project description' },
      { flags: ['--enable'], dest: 'enabled', kind: 'const', value: true, group: 'enable', help: 'Enable project (default)' },
      { flags: ['--disable'], dest: 'enabled', kind: 'const', value: false, group: 'enable', help: 'Disable project' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Add a property to <name> (repeat option to set multiple properties)' },
      { flags: ['--or-show'], dest: 'orShow', kind: 'flag', help: 'Return existing project' },
    ],
    positionals: [{ name: 'name', metavar: '<project-name>', help: 'New project name' }],
    examples: ['snapstack project create --description "CI runs" ci', 'snapstack project create --or-show ci'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const project: Record<string, unknown> = {
        name: pos.name,
        ...(opts.domain ? { domain_id: opts.domain } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        enabled: opts.enabled ?? true,
        options: {},
        tags: [],
        ...opts.property,
      };
      let created: Project | undefined;
      try {
        created = (await s.request<{ project: Project }>('identity', 'POST', '/projects', { body: { project } })).body.project;
      } catch (err) {
        if (!(opts.orShow && err instanceof ApiError && err.status === 409)) throw err;
        const found = await s.request<{ projects?: Project[] } | undefined>('identity', 'GET', `/projects?name=${encodeURIComponent(pos.name)}`);
        created = (found.body?.projects ?? []).find((p) => p.name === pos.name);
        if (!created) throw err;
      }
      return { kind: 'show', fields: sortedFields(dropLinks(created)) };
    },
  }),
];
