/** `server delete/stop/start/reboot` and `server image create` (Nova actions); the helpers other action commands share. */
import { CommandContext, CommandSpec, WAIT_OPTION, defineCommand } from '../command';
import type { Session } from '../auth';
import { ApiError, CliError } from '../http';
import { CommandOutput, sortedFields } from '../output';
import { q } from '../resolve';
import { waitFor } from '../wait';
import { formatImage, getImage } from './image';
import { findServer, settled, waitServer } from './server';
import { isObject, type GlanceImage } from '../wire';

export const SERVERS_ARG = (verb: string) => [{ name: 'servers' as const, metavar: '<server>', nargs: '+' as const, help: `Server(s) to ${verb} (name or ID)` }];

export interface MultiServerAction {
  /** e.g. 'stop' for `server stop` */
  verb: string;
  summary: string;
  /** Nova's action name, sent as {"<action>": null} */
  action: string;
  /** the status --wait waits for */
  target: string;
  /** "Error <what> server" when it goes to ERROR */
  what: string;
  examples: string[];
}

/** `server <verb> [--wait] <server> [<server> ...]`: one body-less Nova action per server. */
export function multiServerCommand(a: MultiServerAction): CommandSpec {
  return defineCommand({
    name: `server ${a.verb}`,
    summary: a.summary,
    description: `${a.summary} With --wait, wait until each is ${a.target}.`,
    options: [WAIT_OPTION],
    positionals: SERVERS_ARG(a.verb),
    examples: a.examples,
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      for (const name of pos.servers) {
        const server = await findServer(s, name);
        await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body: { [a.action]: null } });
        if (opts.wait) await waitServer(ctx, s, server.id, name, settled(a.target), a.what);
      }
    },
  });
}

/** After a 202 that makes an image (createImage, createBackup): --wait for it, then show it as `image show` does. */
export async function showMadeImage(ctx: CommandContext, s: Session, res: { body: unknown; headers: Headers }, name: string, server: string, wait: boolean): Promise<CommandOutput> {
  // From 2.45 the body names the image; before, the Location header does.
  const fromBody = isObject(res.body) && typeof res.body.image_id === 'string' ? res.body.image_id : undefined;
  const imageId: string | undefined = fromBody ?? res.headers.get('location')?.replace(/\/+$/, '').split('/').pop();
  if (!imageId) throw new CliError(`The compute service accepted the snapshot of server ${server} but did not say which image it makes`);
  if (wait) {
    await waitFor<GlanceImage>(ctx, {
      label: `image ${name}`,
      fetch: () => getImage(s, imageId),
      describe: (i) => i?.status ?? 'unknown',
      done: (i) => i?.status === 'active',
      failure: (i) => (i && ['killed', 'deleted', 'pending_delete', 'deactivated', 'error'].includes(i.status)
        ? `Error creating server image: image ${name} (${imageId}) is ${i.status}` : undefined),
    });
  }
  let image: GlanceImage;
  try {
    image = await getImage(s, imageId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new CliError(`No image with a name or ID of '${imageId}' exists.`);
    throw err;
  }
  return { kind: 'show', fields: sortedFields(formatImage(image)) };
}

export const serverActionCommands: CommandSpec[] = [
  defineCommand({
    name: 'server delete',
    summary: 'Delete server(s)',
    options: [
      { flags: ['--force'], dest: 'force', kind: 'flag', help: 'Force delete server(s)' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for delete to complete' },
    ],
    positionals: SERVERS_ARG('delete'),
    examples: ['snapstack server delete --wait web1 web2'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      for (const name of pos.servers) {
        const server = await findServer(s, name);
        if (opts.force) await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body: { forceDelete: null } });
        else await s.request('compute', 'DELETE', `/servers/${q(server.id)}`);
        if (opts.wait) await waitServer(ctx, s, server.id, name, (v) => v === null, 'deleting');
      }
    },
  }),
  multiServerCommand({
    verb: 'stop', summary: 'Stop server(s).', action: 'os-stop', target: 'SHUTOFF', what: 'stopping',
    examples: ['# snapshot a stopped server:', 'snapstack server stop --wait web1', 'snapstack server image create --name web1-snap --wait web1'],
  }),
  multiServerCommand({ verb: 'start', summary: 'Start server(s).', action: 'os-start', target: 'ACTIVE', what: 'starting', examples: ['snapstack server start --wait web1'] }),
  defineCommand({
    name: 'server reboot',
    summary: 'Perform a hard or soft server reboot',
    options: [
      { flags: ['--hard'], dest: 'type', kind: 'const', value: 'HARD', group: 'type', help: 'Perform a hard reboot' },
      { flags: ['--soft'], dest: 'type', kind: 'const', value: 'SOFT', group: 'type', help: 'Perform a soft reboot (default)' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for reboot to complete' },
    ],
    positionals: [{ name: 'server', metavar: '<server>', help: 'Server (name or ID)' }],
    examples: ['snapstack server reboot --wait web1', 'snapstack server reboot --hard web1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const server = await findServer(s, pos.server);
      await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body: { reboot: { type: opts.type ?? 'SOFT' } } });
      if (opts.wait) await waitServer(ctx, s, server.id, pos.server, settled('ACTIVE'), 'rebooting');
    },
  }),
  defineCommand({
    name: 'server image create',
    summary: 'Create a new server disk image from an existing server',
    description: 'Snapshot a server into a new (private) image. A volume-backed server\'s image is ready at once while its volume snapshots are still being made; --wait waits for the image to be active.',
    output: 'show',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<image-name>', help: 'Name of new disk image (default: server name)' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Set a new property on the image (repeat option to set multiple values)' },
      { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait for operation to complete' },
    ],
    positionals: [{ name: 'server', metavar: '<server>', help: 'Server to create image (name or ID)' }],
    examples: [
      '# snapshot a stopped server:',
      'snapstack server stop --wait web1',
      'snapstack server image create --name web1-snap --wait web1',
      'snapstack image list --private',
    ],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const server = await findServer(s, pos.server);
      const name = opts.name ?? server.name;
      const body = { createImage: { name, ...(Object.keys(opts.property).length ? { metadata: opts.property } : {}) } };
      // 2.45+ answers {"image_id"}; older ones only a Location header ending in the id.
      const res = await s.request('compute', 'POST', `/servers/${q(server.id)}/action`, { body, microversion: '2.45' });
      return showMadeImage(ctx, s, res, name, pos.server, Boolean(opts.wait));
    },
  }),
];
