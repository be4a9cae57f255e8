/** `volume snapshot create/list/show/set/delete` (Cinder v3), as the openstack client prints them. */
import type { Session } from '../auth';
import { CommandContext, CommandSpec, WAIT_OPTION, defineCommand } from '../command';
import { CliError } from '../http';
import { dictColumn, field, Formatted, sortedFields } from '../output';
import { findResource, forEachTarget, q, listAll, SetOperations } from '../resolve';
import { waitCinder } from '../wait';
import { findVolume, listVolumes } from './volume';
import type { VolumeSnapshot } from '../wire';

export function listSnapshots(s: Session, query = ''): Promise<VolumeSnapshot[]> {
  return listAll<VolumeSnapshot>(s, 'volume', 'snapshots', `/snapshots/detail${query ? `?${query}` : ''}`);
}

export function getSnapshot(s: Session, id: string): Promise<VolumeSnapshot> {
  return s.request<{ snapshot: VolumeSnapshot }>('volume', 'GET', `/snapshots/${q(id)}`).then((r) => r.body.snapshot);
}

export function findSnapshot(s: Session, nameOrId: string): Promise<VolumeSnapshot> {
  return findResource<VolumeSnapshot>({
    resource: 'snapshot',
    get: (id) => getSnapshot(s, id),
    list: (name) => listSnapshots(s, `name=${q(name)}`),
  }, nameOrId);
}

function snapshotFields(snap: Record<string, unknown>) {
  const { metadata, ...rest } = snap;
  return sortedFields({ ...rest, properties: dictColumn(metadata as Record<string, unknown>) });
}

function waitSnapshot(ctx: CommandContext, s: Session, id: string, label: string, until: 'available' | 'deleted') {
  return waitCinder<VolumeSnapshot>(ctx, {
    kind: 'Snapshot', id, label, until, get: () => getSnapshot(s, id),
    describe: (v) => `${v.status}${v['os-extended-snapshot-attributes:progress'] ? ` ${v['os-extended-snapshot-attributes:progress']}` : ''}`,
  });
}

export const snapshotCommands: CommandSpec[] = [
  defineCommand({
    name: 'volume snapshot create',
    summary: 'Create new volume snapshot',
    description: 'Create new volume snapshot. A volume attached to a server (in-use) needs --force.',
    output: 'show',
    options: [
      { flags: ['--volume'], dest: 'volume', kind: 'string', metavar: '<volume>', help: 'Volume to snapshot (name or ID) (default is <snapshot-name>)' },
      { flags: ['--description'], dest: 'description', kind: 'string', metavar: '<description>', help: 'Description of the snapshot' },
      { flags: ['--force'], dest: 'force', kind: 'flag', help: 'Create a snapshot attached to an instance. Default is False' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Set a property to this snapshot (repeat option to set multiple properties)' },
      WAIT_OPTION,
    ],
    positionals: [{ name: 'name', metavar: '<snapshot-name>', help: 'Name of the new snapshot' }],
    examples: ['snapstack volume snapshot create --volume data1 --wait data1-snap', 'snapstack volume snapshot create --volume root-vol --force root-snap'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const volume = await findVolume(s, opts.volume ?? pos.name);
      const snapshot = { volume_id: volume.id, force: !!opts.force, name: pos.name, description: opts.description ?? null, metadata: opts.property };
      let created = (await s.request<{ snapshot: VolumeSnapshot }>('volume', 'POST', '/snapshots', { body: { snapshot } })).body.snapshot;
      if (opts.wait) created = (await waitSnapshot(ctx, s, created.id, pos.name, 'available')) ?? created;
      return { kind: 'show', fields: snapshotFields(created) };
    },
  }),
  defineCommand({
    name: 'volume snapshot list',
    summary: 'List volume snapshots',
    output: 'list',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: 'Filters results by a name.' },
      { flags: ['--status'], dest: 'status', kind: 'string', metavar: '<status>', help: 'Filters results by a status.' },
      { flags: ['--volume'], dest: 'volume', kind: 'string', metavar: '<volume>', help: 'Filters results by a volume (name or ID).' },
      { flags: ['--all-projects'], dest: 'allProjects', kind: 'flag', help: 'Include all projects (admin only)' },
      { flags: ['--long'], dest: 'long', kind: 'flag', help: 'List additional fields in output' },
      { flags: ['--limit'], dest: 'limit', kind: 'int', metavar: '<num-snapshots>', help: 'Maximum number of snapshots to display' },
    ],
    examples: ['snapstack volume snapshot list --volume data1 --long'],
    async run(ctx, { opts }) {
      const s = await ctx.session();
      const volumeNames = new Map<string, string | null | undefined>();
      try {
        for (const v of await listVolumes(s)) volumeNames.set(v.id, v.name);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
      }
      const params: string[] = [];
      if (opts.allProjects) params.push('all_tenants=True');
      if (opts.name) params.push(`name=${q(opts.name)}`);
      if (opts.status) params.push(`status=${q(opts.status)}`);
      if (opts.volume) params.push(`volume_id=${q((await findVolume(s, opts.volume)).id)}`);
      if (opts.limit !== undefined) params.push(`limit=${opts.limit}`);
      let snaps = await listSnapshots(s, params.join('&'));
      if (opts.limit !== undefined) snaps = snaps.slice(0, opts.limit);
      const base = (x: VolumeSnapshot) => ['id', 'name', 'description', 'status', 'size'].map((k) => field(x, k));
      if (!opts.long) return { kind: 'list', columns: ['ID', 'Name', 'Description', 'Status', 'Size'], rows: snaps.map(base) };
      return {
        kind: 'list',
        columns: ['ID', 'Name', 'Description', 'Status', 'Size', 'Created At', 'Volume', 'Properties'],
        rows: snaps.map((x) => [...base(x), field(x, 'created_at'), new Formatted(volumeNames.get(x.volume_id) ?? x.volume_id, x.volume_id), dictColumn(x.metadata)]),
      };
    },
  }),
  defineCommand({
    name: 'volume snapshot show',
    summary: 'Display volume snapshot details',
    output: 'show',
    positionals: [{ name: 'snapshot', metavar: '<snapshot>', help: 'Snapshot to display (name or ID)' }],
    examples: ['snapstack volume snapshot show data1-snap'],
    async run(ctx, { pos }) {
      const s = await ctx.session();
      return { kind: 'show', fields: snapshotFields(await findSnapshot(s, pos.snapshot)) };
    },
  }),
  defineCommand({
    name: 'volume snapshot set',
    summary: 'Set volume snapshot properties',
    description: 'Rename a volume snapshot, change its description or set properties. Prints nothing.',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: 'New snapshot name' },
      { flags: ['--description'], dest: 'description', kind: 'string', metavar: '<description>', help: 'New snapshot description' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Property to add/change for this snapshot (repeat option to set multiple properties)' },
    ],
    positionals: [{ name: 'snapshot', metavar: '<snapshot>', help: 'Snapshot to modify (name or ID)' }],
    examples: ['# rename a snapshot:', 'snapstack volume snapshot set --name db-before-upgrade data1-snap'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const snap = await findSnapshot(s, pos.snapshot);
      const ops = new SetOperations((line) => ctx.err(line));
      if (Object.keys(opts.property).length) {
        await ops.attempt('set snapshot property', () => s.request('volume', 'POST', `/snapshots/${q(snap.id)}/metadata`, { body: { metadata: opts.property } }));
      }
      const update: Record<string, string> = {};
      if (opts.name !== undefined) update.name = opts.name;
      if (opts.description !== undefined) update.description = opts.description;
      if (Object.keys(update).length) {
        await ops.attempt('update snapshot name or description', () => s.request('volume', 'PUT', `/snapshots/${q(snap.id)}`, { body: { snapshot: update } }));
      }
      ops.finish();
    },
  }),
  defineCommand({
    name: 'volume snapshot delete',
    summary: 'Delete volume snapshot(s)',
    options: [
      { flags: ['--force'], dest: 'force', kind: 'flag', help: 'Attempt forced removal of snapshot(s), regardless of state (defaults to False)' },
      WAIT_OPTION,
    ],
    positionals: [{ name: 'snapshots', metavar: '<snapshot>', nargs: '+', help: 'Snapshot(s) to delete (name or ID)' }],
    examples: ['snapstack volume snapshot delete --wait data1-snap'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      await forEachTarget(pos.snapshots, async (name) => {
        const snap = await findSnapshot(s, name);
        if (opts.force) await s.request('volume', 'POST', `/snapshots/${q(snap.id)}/action`, { body: { 'os-force_delete': null } });
        else await s.request('volume', 'DELETE', `/snapshots/${q(snap.id)}`);
        if (opts.wait) await waitSnapshot(ctx, s, snap.id, name, 'deleted');
      }, ctx.err, {
        failedOne: (name, e) => `Failed to delete snapshot with name or ID '${name}': ${e}\n`,
        failedSome: (n, total) => `${n} of ${total} snapshots failed to delete.`,
      });
    },
  }),
];
