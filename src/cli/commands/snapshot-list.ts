/**
 * `snapshot list`: Snapstack's own listing of every snapshot the caller can restore from, volume
 * snapshots (Cinder) and instance snapshots (Glance images made by createImage or by an archive
 * import), with their Kind and their Scope: `workspace` (loaded from the workspace folder, every
 * project's, read-only) or `namespace` (the project's own). The openstack client has no such
 * command, so `volume snapshot list` and `image list` stay exactly openstack's.
 */
import type { Session } from '../auth';
import { type CommandSpec, defineCommand } from '../command';
import { field } from '../output';
import { listImages } from './image';
import { listSnapshots } from './snapshot';
import { imageScope, isInstanceSnapshot, snapshotMappings, volumeSnapshotScope, type SnapshotScope } from '../../shared/snapshot-scope';
import type { GlanceImage } from '../wire';

export { imageScope, isInstanceSnapshot, volumeSnapshotScope, type SnapshotScope };

const GIB = 1024 ** 3;

/** GiB an instance snapshot restores: each volume of its mapping, plus a root disk kept in the image (rounded up). */
function instanceSize(image: GlanceImage, snapshotSizes: Map<string, number>): number {
  let gib = image.size ? Math.ceil(Number(image.size) / GIB) : 0;
  for (const m of snapshotMappings(image)) gib += Number(m.volume_size ?? snapshotSizes.get(String(m.snapshot_id)) ?? 0);
  return gib;
}

/** Cinder's times have no zone (UTC); Glance's end in Z. */
const timeOf = (t: unknown) => (typeof t === 'string' ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`) || 0 : 0);

interface Row {
  cells: unknown[];
  kind: 'volume' | 'instance';
  scope: SnapshotScope;
  created: number;
}

export const snapshotListCommands: CommandSpec[] = [
  defineCommand({
    name: 'snapshot list',
    summary: 'List volume and instance snapshots, namespace and workspace',
    description:
      "List the project's volume snapshots and instance snapshots (images made by server image create or by "
      + 'snapshot import) together with the workspace snapshots every project sees, newest first. Kind: volume or '
      + "instance. Scope: workspace (read-only, from the workspace folder) or namespace (the project's own). "
      + 'Size: GiB (an instance snapshot: all its volumes, plus its root disk when an image keeps it).',
    output: 'list',
    options: [
      { flags: ['--scope'], dest: 'scope', kind: 'string', choices: ['namespace', 'workspace'], metavar: '{namespace,workspace}', help: 'Only snapshots of this scope' },
      { flags: ['--kind'], dest: 'kind', kind: 'string', choices: ['volume', 'instance'], metavar: '{volume,instance}', help: 'Only volume snapshots or only instance snapshots' },
    ],
    examples: ['snapstack snapshot list', 'snapstack snapshot list --scope workspace -f value -c ID -c Name'],
    async run(ctx, { opts }) {
      const s: Session = await ctx.session();
      const rows: Row[] = [];
      const snaps = await listSnapshots(s);
      const sizes = new Map<string, number>(snaps.map((x) => [x.id, Number(x.size ?? 0)]));
      if (opts.kind !== 'instance') {
        for (const x of snaps) {
          const scope = volumeSnapshotScope(x);
          rows.push({ kind: 'volume', scope, created: timeOf(x.created_at), cells: [field(x, 'id'), field(x, 'name'), 'volume', scope, field(x, 'status'), field(x, 'size')] });
        }
      }
      if (opts.kind !== 'volume') {
        for (const img of (await listImages(s)).filter(isInstanceSnapshot)) {
          const scope = imageScope(img);
          rows.push({
            kind: 'instance', scope, created: timeOf(img.created_at),
            cells: [field(img, 'id'), field(img, 'name'), 'instance', scope, field(img, 'status'), instanceSize(img, sizes)],
          });
        }
      }
      const shown = rows.filter((r) => !opts.scope || r.scope === opts.scope).sort((a, b) => b.created - a.created);
      return { kind: 'list', columns: ['ID', 'Name', 'Kind', 'Scope', 'Status', 'Size'], rows: shown.map((r) => r.cells) };
    },
  }),
];
