/** `volume list/show/create/set/delete` (Cinder v3), as the openstack client prints them. */
import type { Session } from '../auth';
import { CommandContext, CommandSpec, WAIT_OPTION, defineCommand } from '../command';
import { CliError } from '../http';
import { dictColumn, field, Formatted, sortedFields } from '../output';
import { findResource, forEachTarget, q, listAll, SetOperations } from '../resolve';
import { waitCinder } from '../wait';
import { findImage } from './image';
import { findSnapshot } from './snapshot';
import type { ServerSummary, Volume, VolumeAttachment } from '../wire';

export function listVolumes(s: Session, query = ''): Promise<Volume[]> {
  return listAll<Volume>(s, 'volume', 'volumes', `/volumes/detail${query ? `?${query}` : ''}`);
}

export function getVolume(s: Session, id: string): Promise<Volume> {
  return s.request<{ volume: Volume }>('volume', 'GET', `/volumes/${q(id)}`).then((r) => r.body.volume);
}

export function findVolume(s: Session, nameOrId: string): Promise<Volume> {
  return findResource<Volume>({
    resource: 'volume',
    get: (id) => getVolume(s, id),
    list: (name) => listVolumes(s, `name=${q(name)}`),
  }, nameOrId);
}

/** `volume show`/`create` output: metadata -> properties, volume_type -> type, no links. */
export function volumeFields(volume: Record<string, unknown>) {
  const { metadata, volume_type: type, links: _links, ...rest } = volume;
  return sortedFields({ ...rest, properties: dictColumn(metadata as Record<string, unknown>), type });
}

/** OSC's AttachmentsColumn: "Attached to <server> on <device> " per attachment. */
export function attachmentsColumn(attachments: VolumeAttachment[] | undefined, serverNames: Map<string, string>): Formatted {
  const text = (attachments ?? []).map((a) => `Attached to ${(a.server_id && serverNames.get(a.server_id)) ?? a.server_id ?? a.host_name} on ${a.device} `).join('');
  return new Formatted(text, attachments ?? null);
}

/** Polls a volume until it is `available` (or gone, when deleting). */
export function waitVolume(ctx: CommandContext, s: Session, id: string, label: string, until: 'available' | 'deleted') {
  return waitCinder<Volume>(ctx, { kind: 'Volume', id, label, until, get: () => getVolume(s, id) });
}

export const volumeCommands: CommandSpec[] = [
  defineCommand({
    name: 'volume list',
    summary: 'List volumes',
    output: 'list',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: 'Filter results by volume name' },
      { flags: ['--status'], dest: 'status', kind: 'string', metavar: '<status>', help: 'Filter results by status' },
      { flags: ['--all-projects'], dest: 'allProjects', kind: 'flag', help: 'Include all projects (admin only)' },
      { flags: ['--long'], dest: 'long', kind: 'flag', help: 'List additional fields in output' },
      { flags: ['--limit'], dest: 'limit', kind: 'int', metavar: '<num-volumes>', help: 'Maximum number of volumes to display' },
    ],
    examples: ['snapstack volume list', 'snapstack volume list --long -f json'],
    async run(ctx, { opts }) {
      const s = await ctx.session();
      const serverNames = new Map<string, string>();
      try {
        const res = await s.request<{ servers?: ServerSummary[] } | undefined>('compute', 'GET', '/servers/detail');
        for (const srv of res.body?.servers ?? []) serverNames.set(srv.id, srv.name);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
      }
      const params: string[] = [];
      if (opts.allProjects) params.push('all_tenants=True');
      if (opts.name) params.push(`name=${q(opts.name)}`);
      if (opts.status) params.push(`status=${q(opts.status)}`);
      if (opts.limit !== undefined) params.push(`limit=${opts.limit}`);
      let volumes = await listVolumes(s, params.join('&'));
      if (opts.limit !== undefined) volumes = volumes.slice(0, opts.limit);
      const columns = opts.long
        ? ['ID', 'Name', 'Status', 'Size', 'Type', 'Bootable', 'Attached to', 'Properties']
        : ['ID', 'Name', 'Status', 'Size', 'Attached to'];
      const rows = volumes.map((v) => {
        const attached = attachmentsColumn(v.attachments, serverNames);
        const base = [field(v, 'id'), field(v, 'name'), field(v, 'status'), field(v, 'size')];
        return opts.long
          ? [...base, field(v, 'volume_type'), field(v, 'bootable'), attached, dictColumn(v.metadata)]
          : [...base, attached];
      });
      return { kind: 'list', columns, rows };
    },
  }),
  defineCommand({
    name: 'volume show',
    summary: 'Display volume details',
    output: 'show',
    positionals: [{ name: 'volume', metavar: '<volume>', help: 'Volume to display (name or ID)' }],
    examples: ['snapstack volume show data1', 'snapstack volume show -f value -c status data1'],
    async run(ctx, { pos }) {
      const s = await ctx.session();
      return { kind: 'show', fields: volumeFields(await findVolume(s, pos.volume)) };
    },
  }),
  defineCommand({
    name: 'volume create',
    summary: 'Create new volume',
    description: 'Create new volume: empty (--size), from a volume snapshot (--snapshot), a clone (--source) or from an image (--image).',
    output: 'show',
    options: [
      { flags: ['--size'], dest: 'size', kind: 'int', metavar: '<size>', help: 'Volume size in GB (Required unless --snapshot or --source is specified)' },
      { flags: ['--snapshot'], dest: 'snapshot', kind: 'string', metavar: '<snapshot>', group: 'source', help: 'Use <snapshot> as source of volume (name or ID)' },
      { flags: ['--source'], dest: 'source', kind: 'string', metavar: '<volume>', group: 'source', help: 'Volume to clone (name or ID)' },
      { flags: ['--image'], dest: 'image', kind: 'string', metavar: '<image>', group: 'source', help: 'Use <image> as source of volume (name or ID)' },
      { flags: ['--type'], dest: 'type', kind: 'string', metavar: '<volume-type>', help: 'Set the type of volume' },
      { flags: ['--description'], dest: 'description', kind: 'string', metavar: '<description>', help: 'Volume description' },
      { flags: ['--availability-zone'], dest: 'az', kind: 'string', metavar: '<availability-zone>', help: 'Create volume in <availability-zone>' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Set a property to this volume (repeat option to set multiple properties)' },
      WAIT_OPTION,
    ],
    positionals: [{ name: 'name', metavar: '<name>', help: 'Volume name' }],
    examples: [
      'snapstack volume create --size 1 --wait data1',
      '# restore a volume snapshot into a new volume:',
      'snapstack volume create --snapshot data1-snap --wait data1-restored',
      'snapstack volume create --source data1 data1-clone',
    ],
    async run(ctx, { opts, pos }) {
      if (opts.snapshot === undefined && opts.source === undefined && opts.size === undefined) {
        throw new CliError('--size is a required option if snapshot or source volume is not specified.');
      }
      const s = await ctx.session();
      const sourceVolid = opts.source !== undefined ? (await findVolume(s, opts.source)).id : null;
      const imageRef = opts.image !== undefined ? (await findImage(s, opts.image)).id : null;
      let size: number | null = opts.size ?? null;
      let snapshotId: string | null = null;
      if (opts.snapshot !== undefined) {
        const snap = await findSnapshot(s, opts.snapshot);
        snapshotId = snap.id;
        size = Math.max(size ?? 0, snap.size ?? 0);
      }
      const volume = {
        size, consistencygroup_id: null, snapshot_id: snapshotId, name: pos.name, description: opts.description ?? null,
        volume_type: opts.type ?? null, availability_zone: opts.az ?? null, metadata: opts.property, imageRef,
        source_volid: sourceVolid, backup_id: null,
      };
      let created = (await s.request<{ volume: Volume }>('volume', 'POST', '/volumes', { body: { volume } })).body.volume;
      if (opts.wait) created = (await waitVolume(ctx, s, created.id, pos.name, 'available')) ?? created;
      return { kind: 'show', fields: volumeFields(created) };
    },
  }),
  defineCommand({
    name: 'volume set',
    summary: 'Set volume properties',
    description: 'Rename a volume, change its description, extend it (--size) or set properties. Prints nothing.',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: 'New volume name' },
      { flags: ['--description'], dest: 'description', kind: 'string', metavar: '<description>', help: 'New volume description' },
      { flags: ['--size'], dest: 'size', kind: 'int', metavar: '<size>', help: 'Extend volume size in GB' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Set a property on this volume (repeat option to set multiple properties)' },
    ],
    positionals: [{ name: 'volume', metavar: '<volume>', help: 'Volume to modify (name or ID)' }],
    examples: ['snapstack volume set --name data1-old data1', 'snapstack volume set --size 2 data1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const volume = await findVolume(s, pos.volume);
      const ops = new SetOperations((line) => ctx.err(line));
      if (opts.size !== undefined) {
        if (opts.size <= volume.size) {
          ops.fail(`New size must be greater than ${volume.size} GB`);
        } else await ops.attempt('set volume size', () => s.request('volume', 'POST', `/volumes/${q(volume.id)}/action`, { body: { 'os-extend': { new_size: opts.size } } }));
      }
      if (Object.keys(opts.property).length) {
        await ops.attempt('set volume property', () => s.request('volume', 'POST', `/volumes/${q(volume.id)}/metadata`, { body: { metadata: opts.property } }));
      }
      const update: Record<string, string> = {};
      if (opts.name !== undefined) update.name = opts.name;
      if (opts.description !== undefined) update.description = opts.description;
      if (Object.keys(update).length) {
        await ops.attempt('update volume display name or display description', () => s.request('volume', 'PUT', `/volumes/${q(volume.id)}`, { body: { volume: update } }));
      }
      ops.finish();
    },
  }),
  defineCommand({
    name: 'volume delete',
    summary: 'Delete volume(s)',
    options: [
      { flags: ['--force'], dest: 'force', kind: 'flag', group: 'mode', help: 'Attempt forced removal of volume(s), regardless of state (defaults to False)' },
      { flags: ['--purge'], dest: 'purge', kind: 'flag', group: 'mode', help: 'Remove any snapshots along with volume(s) (defaults to False)' },
      WAIT_OPTION,
    ],
    positionals: [{ name: 'volumes', metavar: '<volume>', nargs: '+', help: 'Volume(s) to delete (name or ID)' }],
    examples: ['snapstack volume delete --purge --wait data1'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      await forEachTarget(pos.volumes, async (name) => {
        const volume = await findVolume(s, name);
        if (opts.force) await s.request('volume', 'POST', `/volumes/${q(volume.id)}/action`, { body: { 'os-force_delete': null } });
        else await s.request('volume', 'DELETE', `/volumes/${q(volume.id)}${opts.purge ? '?cascade=True' : ''}`);
        if (opts.wait) await waitVolume(ctx, s, volume.id, name, 'deleted');
      }, ctx.err, {
        failedOne: (name, e) => `Failed to delete volume with name or ID '${name}': ${e}\n`,
        failedSome: (n, total) => `${n} of ${total} volumes failed to delete.`,
      });
    },
  }),
];
