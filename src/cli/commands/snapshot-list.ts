/**
 * `snapshot list`: Snapstack's own listing of every snapshot the caller can restore from, volume
 * snapshots (Cinder) and instance snapshots (Glance images made by createImage or by an archive
 * import), with their Kind and their Scope: `workspace` (loaded from the workspace folder, every
 * project's, read-only) or `namespace` (the project's own). The openstack client has no such
 * command, so `volume snapshot list` and `image list` stay exactly openstack's.
 */
import type { Session } from '../auth';
import type { CommandSpec } from '../command';
import { field } from '../output';
import { listImages } from './image';
import { listSnapshots } from './snapshot';

/** The image property and snapshot metadata key Snapstack sets (snapstack_scope=workspace|namespace). */
const SCOPE_PROPERTY = 'snapstack_scope';
/** The pseudo-project that owns workspace snapshots and images. */
const WORKSPACE = 'workspace';
const GIB = 1024 ** 3;

export type SnapshotScope = 'namespace' | 'workspace';

/** The owner says (the pseudo-project `workspace` owns workspace snapshots); when a cloud hides it, the snapstack_scope mark. */
function scopeOf(owner: unknown, declared: unknown): SnapshotScope {
  if (typeof owner === 'string' && owner) return owner === WORKSPACE ? 'workspace' : 'namespace';
  return declared === 'workspace' ? 'workspace' : 'namespace';
}

/** A Cinder snapshot's scope: its owner, else its snapstack_scope metadata. */
export function volumeSnapshotScope(snap: Record<string, any>): SnapshotScope {
  return scopeOf(snap['os-extended-snapshot-attributes:project_id'], snap.metadata?.[SCOPE_PROPERTY]);
}

/** An image's scope: its owner, else its snapstack_scope property (a project cannot pass its own image off as a workspace one). */
export function imageScope(image: Record<string, any>): SnapshotScope {
  return scopeOf(image.owner, image[SCOPE_PROPERTY]);
}

function snapshotMappings(image: Record<string, any>): Array<Record<string, any>> {
  if (typeof image.block_device_mapping !== 'string') return [];
  try {
    const bdm = JSON.parse(image.block_device_mapping);
    return Array.isArray(bdm) ? bdm.filter((b) => b && typeof b === 'object' && b.source_type === 'snapshot') : [];
  } catch {
    return [];
  }
}

/** createImage's images: Nova's image_type=snapshot (image-backed) or a mapping of volume snapshots (volume-backed, imported). */
export function isInstanceSnapshot(image: Record<string, any>): boolean {
  return image.image_type === 'snapshot' || snapshotMappings(image).length > 0;
}

/** GiB an instance snapshot restores: each volume of its mapping, plus a root disk kept in the image (rounded up). */
function instanceSize(image: Record<string, any>, snapshotSizes: Map<string, number>): number {
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
  {
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
  },
];
