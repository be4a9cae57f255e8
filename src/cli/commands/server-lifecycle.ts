/**
 * `server pause/unpause/suspend/resume/lock/unlock/shelve/unshelve/resize/rebuild`,
 * `server backup create` and `console log show`: openstack's names, flags and columns.
 */
import { CommandSpec, WAIT_OPTION, defineCommand } from '../command';
import { CliError } from '../http';
import { sortedFields } from '../output';
import { q } from '../resolve';
import { findFlavor } from './flavor';
import { findImage } from './image';
import { findServer, getServer, serverDetail, settled, waitServer } from './server';
import { multiServerCommand, SERVERS_ARG, showMadeImage } from './server-actions';
import type { Server } from '../wire';

const SERVER_ARG = (help: string) => [{ name: 'server' as const, metavar: '<server>', help }];
const isStatus = (...statuses: string[]) => (v: Server | null) => !!v && statuses.includes(v.status) && !v['OS-EXT-STS:task_state'];

export const serverLifecycleCommands: CommandSpec[] = [
  multiServerCommand({ verb: 'pause', summary: 'Pause server(s).', action: 'pause', target: 'PAUSED', what: 'pausing', examples: ['snapstack server pause --wait web1'] }),
  multiServerCommand({ verb: 'unpause', summary: 'Unpause server(s).', action: 'unpause', target: 'ACTIVE', what: 'unpausing', examples: ['snapstack server unpause web1'] }),
  multiServerCommand({ verb: 'suspend', summary: 'Suspend server(s).', action: 'suspend', target: 'SUSPENDED', what: 'suspending', examples: ['snapstack server suspend --wait web1'] }),
  multiServerCommand({ verb: 'resume', summary: 'Resume server(s).', action: 'resume', target: 'ACTIVE', what: 'resuming', examples: ['snapstack server resume --wait web1'] }),
  defineCommand({
    name: 'server lock',
    summary: 'Lock server(s). A non-admin user will not be able to execute actions',
    options: [{ flags: ['--reason'], dest: 'reason', kind: 'string', metavar: '<reason>', help: 'Reason for locking the server(s) (compute API 2.73 or later)' }],
    positionals: SERVERS_ARG('lock'),
    examples: ['snapstack server lock --reason "release freeze" web1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      for (const name of pos.servers) {
        const server = await findServer(s, name);
        const body = { lock: opts.reason ? { locked_reason: opts.reason } : null };
        await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body, ...(opts.reason ? { microversion: '2.73' } : {}) });
      }
    },
  }),
  defineCommand({
    name: 'server unlock',
    summary: 'Unlock server(s)',
    positionals: SERVERS_ARG('unlock'),
    examples: ['snapstack server unlock web1'],
    async run(ctx, { pos }) {
      const s = await ctx.session();
      for (const name of pos.servers) {
        const server = await findServer(s, name);
        await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body: { unlock: null } });
      }
    },
  }),
  defineCommand({
    name: 'server shelve',
    summary: 'Shelve and optionally offload server(s)',
    description: 'Shelve server(s): an image-backed server\'s root disk becomes the image <name>-shelved and its container goes (offloaded at once, as Nova with shelved_offload_time 0).',
    options: [
      { flags: ['--offload'], dest: 'offload', kind: 'flag', help: 'Remove the shelved server(s) from the host (admin only)' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for shelve and/or offload operation to complete' },
    ],
    positionals: SERVERS_ARG('shelve'),
    examples: ['snapstack server shelve --wait web1', 'snapstack server unshelve --wait web1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      for (const name of pos.servers) {
        const server = await findServer(s, name);
        await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body: { shelve: null } });
        if (!opts.wait && !opts.offload) continue;
        await waitServer(ctx, s, server.id, name, isStatus('SHELVED', 'SHELVED_OFFLOADED'), 'shelving');
        if (!opts.offload || (await getServer(s, server.id)).status === 'SHELVED_OFFLOADED') continue;
        await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body: { shelveOffload: null } });
        if (opts.wait) await waitServer(ctx, s, server.id, name, settled('SHELVED_OFFLOADED'), 'offloading');
      }
    },
  }),
  defineCommand({
    name: 'server unshelve',
    summary: 'Unshelve server(s)',
    options: [
      { flags: ['--availability-zone'], dest: 'az', kind: 'string', metavar: '<availability-zone>', help: 'Name of the availability zone in which to unshelve a SHELVED_OFFLOADED server (compute API 2.77 or later)' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for unshelve operation to complete' },
    ],
    positionals: SERVERS_ARG('unshelve'),
    examples: ['snapstack server unshelve --wait web1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      for (const name of pos.servers) {
        const server = await findServer(s, name);
        const body = { unshelve: opts.az ? { availability_zone: opts.az } : null };
        await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body, ...(opts.az ? { microversion: '2.77' } : {}) });
        if (opts.wait) await waitServer(ctx, s, server.id, name, settled('ACTIVE'), 'unshelving');
      }
    },
  }),
  defineCommand({
    name: 'server resize',
    summary: 'Scale server to a new flavor.',
    description: 'Resize a server to another flavor (the container is re-created with its limits; VERIFY_RESIZE), then confirm (--confirm) or revert (--revert) it.',
    options: [
      { flags: ['--flavor'], dest: 'flavor', kind: 'string', metavar: '<flavor>', group: 'op', help: 'Resize server to specified flavor' },
      { flags: ['--confirm'], dest: 'confirm', kind: 'flag', group: 'op', help: 'Confirm server resize is complete' },
      { flags: ['--revert'], dest: 'revert', kind: 'flag', group: 'op', help: 'Restore server state before resize' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for resize to complete' },
    ],
    positionals: SERVER_ARG('Server (name or ID)'),
    examples: ['snapstack server resize --flavor m1.small --wait web1', 'snapstack server resize --confirm web1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const server = await findServer(s, pos.server);
      const act = (body: unknown) => s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body });
      if (opts.flavor) {
        const flavor = await findFlavor(s, opts.flavor);
        await act({ resize: { flavorRef: flavor.id } });
        if (opts.wait) await waitServer(ctx, s, server.id, pos.server, isStatus('VERIFY_RESIZE', 'ACTIVE', 'SHUTOFF'), 'resizing');
      } else if (opts.confirm) {
        await act({ confirmResize: null });
      } else if (opts.revert) {
        await act({ revertResize: null });
        if (opts.wait) await waitServer(ctx, s, server.id, pos.server, isStatus('ACTIVE', 'SHUTOFF'), 'reverting');
      }
    },
  }),
  ...(['confirm', 'revert'] as const).map((op): CommandSpec => ({
    name: `server resize ${op}`,
    summary: op === 'confirm' ? 'Confirm server resize.' : 'Revert server resize.',
    positionals: SERVER_ARG(`Server (name or ID)`),
    examples: [`snapstack server resize ${op} web1`],
    async run(ctx, { pos }) {
      const s = await ctx.session();
      const server = await findServer(s, pos.server);
      await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body: { [op === 'confirm' ? 'confirmResize' : 'revertResize']: null } });
    },
  })),
  defineCommand({
    name: 'server rebuild',
    summary: 'Rebuild server',
    description: 'Replace a server\'s root disk with an image (an instance snapshot too); attached volumes keep their data.',
    output: 'show',
    options: [
      { flags: ['--image'], dest: 'image', kind: 'string', metavar: '<image>', help: 'Recreate server from the specified image (name or ID). Defaults to the currently used one.' },
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: 'Set the new name of the rebuilt server' },
      { flags: ['--password'], dest: 'password', kind: 'string', metavar: '<password>', help: 'Set the password on the rebuilt server' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Set a new property on the rebuilt server (repeat option to set multiple values)' },
      { flags: ['--description'], dest: 'description', kind: 'string', metavar: '<description>', help: 'Set a new description on the rebuilt server (compute API 2.19 or later)' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for rebuild to complete' },
    ],
    positionals: SERVER_ARG('Server (name or ID)'),
    examples: ['snapstack server rebuild --image web1-snap --wait web2'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const server = await findServer(s, pos.server);
      const imageId = opts.image ? (await findImage(s, opts.image)).id : typeof server.image === 'object' ? server.image.id : undefined;
      if (!imageId) throw new CliError('The server was booted from a volume: give --image');
      const body = {
        rebuild: {
          imageRef: imageId,
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.password ? { adminPass: opts.password } : {}),
          ...(Object.keys(opts.property).length ? { metadata: opts.property } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        },
      };
      const res = await s.request<{ server: Server & { adminPass?: string } }>('compute', 'POST', `/servers/${q(server.id)}/action`, { body, ...(opts.description !== undefined ? { microversion: '2.19' } : {}) });
      let shown = res.body.server;
      const rebuilt = opts.wait ? await waitServer(ctx, s, server.id, pos.server, isStatus('ACTIVE', 'SHUTOFF'), 'rebuilding') : null;
      if (rebuilt) shown = { ...rebuilt, adminPass: shown.adminPass };
      return { kind: 'show', fields: sortedFields(await serverDetail(s, shown)) };
    },
  }),
  defineCommand({
    name: 'server backup create',
    summary: 'Create a server backup image',
    description: 'Back up a server into an image (an instance snapshot) (image_type backup, backup_type <type>); the server\'s oldest backups of that type beyond --rotate are deleted with their volume snapshots.',
    output: 'show',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<image-name>', help: 'Name of the backup image (default: server name)' },
      { flags: ['--type'], dest: 'type', kind: 'string', metavar: '<backup-type>', help: 'Used to populate the backup_type property of the backup image (default: empty)' },
      { flags: ['--rotate'], dest: 'rotate', kind: 'int', metavar: '<count>', help: 'Number of backups to keep (default: 1)' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for backup image create to complete' },
    ],
    positionals: SERVER_ARG('Server to back up (name or ID)'),
    examples: ['snapstack server backup create --type daily --rotate 3 --wait web1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const server = await findServer(s, pos.server);
      const name = opts.name ?? server.name;
      const body = { createBackup: { name, backup_type: opts.type ?? '', rotation: opts.rotate ?? 1 } };
      const res = await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body, microversion: '2.45' });
      return showMadeImage(ctx, s, res, name, pos.server, Boolean(opts.wait));
    },
  }),
  defineCommand({
    name: 'console log show',
    summary: "Show server's console output",
    options: [{ flags: ['--lines'], dest: 'lines', kind: 'int', metavar: '<num-lines>', help: 'Number of lines to display from the end of the log (default=all)' }],
    positionals: SERVER_ARG('Server to show console log (name or ID)'),
    examples: ['snapstack console log show --lines 20 web1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const server = await findServer(s, pos.server);
      const body = { 'os-getConsoleOutput': opts.lines !== undefined ? { length: opts.lines } : {} };
      const res = await s.request<{ output: string }>('compute', 'POST', `/servers/${q(server.id)}/action`, { body });
      ctx.out(res.body.output);
    },
  }),
];
