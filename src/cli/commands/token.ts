/** `token issue`: the token this configuration gets, as `openstack token issue` prints it. */
import { type CommandSpec, defineCommand } from '../command';
import { sortedFields } from '../output';

/** Keystone's expires_at as Python's strftime('%Y-%m-%dT%H:%M:%S%z') prints it. */
export function formatExpires(expiresAt: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[-+]\d\d:?\d\d)?$/.exec(expiresAt ?? '');
  if (!m) return expiresAt;
  const zone = !m[2] || m[2] === 'Z' ? '+0000' : m[2].replace(':', '');
  return `${m[1]}${zone}`;
}

export const tokenCommands: CommandSpec[] = [
  defineCommand({
    name: 'token issue',
    summary: 'Issue new token',
    output: 'show',
    examples: ['export OS_TOKEN=$(snapstack token issue -c id -f value)'],
    async run(ctx) {
      const s = await ctx.session();
      const data: Record<string, unknown> = { id: s.token };
      if (s.expiresAt) data.expires = formatExpires(s.expiresAt);
      if (s.projectId) data.project_id = s.projectId;
      if (s.userId) data.user_id = s.userId;
      if (s.domainId) data.domain_id = s.domainId;
      return { kind: 'show', fields: sortedFields(data) };
    },
  }),
];
