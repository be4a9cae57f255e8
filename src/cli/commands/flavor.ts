/** `flavor list` and `flavor show`, as the openstack client (openstacksdk at 2.61) prints them. */
import type { Session } from '../auth';
import { type CommandSpec, defineCommand } from '../command';
import { ApiError } from '../http';
import { dictColumn, sortedFields } from '../output';
import { PyFloat } from '../../shared/py-format';
import { findResource, q, listAll } from '../resolve';
import type { Flavor, FlavorEnvelope } from '../wire';

/** The microversion the SDK would use: its own maximum, capped by the configured one. */
export function cappedMicroversion(session: Session, max: string): string {
  const configured = session.config.computeApiVersion;
  if (configured === 'latest') return max;
  const minor = (v: string) => Number(v.split('.')[1]);
  return minor(configured) < minor(max) ? configured : max;
}

const FLAVOR_MV = '2.61';

export interface FlavorView {
  id: string;
  name: string;
  description: unknown;
  disk: number;
  ram: number;
  vcpus: number;
  swap: unknown;
  ephemeral: number;
  is_public: unknown;
  is_disabled: unknown;
  rxtx_factor: unknown;
  extra_specs: Record<string, unknown>;
}

/** The SDK's Flavor resource from Nova's wire form. */
export function flavorView(f: Flavor): FlavorView {
  return {
    id: f.id,
    name: f.name,
    description: f.description ?? null,
    disk: f.disk ?? 0,
    ram: f.ram ?? 0,
    vcpus: f.vcpus ?? 0,
    swap: f.swap ?? 0,
    ephemeral: f['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
    is_public: f['os-flavor-access:is_public'] ?? null,
    is_disabled: f['OS-FLV-DISABLED:disabled'] ?? null,
    rxtx_factor: typeof f.rxtx_factor === 'number' ? new PyFloat(f.rxtx_factor) : f.rxtx_factor ?? null,
    extra_specs: f.extra_specs ?? {},
  };
}

async function withExtraSpecs(s: Session, f: Flavor): Promise<Flavor> {
  if (f.extra_specs && Object.keys(f.extra_specs).length) return f;
  const res = await s.request<{ extra_specs?: Record<string, string> } | undefined>('compute', 'GET', `/flavors/${q(f.id)}/os-extra_specs`, { microversion: cappedMicroversion(s, FLAVOR_MV) });
  return { ...f, extra_specs: res.body?.extra_specs ?? {} };
}

export function listFlavors(s: Session, query = 'is_public=None', microversion?: string): Promise<Flavor[]> {
  return listAll<Flavor>(s, 'compute', 'flavors', `/flavors/detail?${query}`, { microversion: microversion ?? cappedMicroversion(s, FLAVOR_MV) });
}

export async function findFlavor(s: Session, nameOrId: string, microversion?: string): Promise<Flavor> {
  const mv = microversion ?? cappedMicroversion(s, FLAVOR_MV);
  return findResource<Flavor>({
    resource: 'flavor',
    get: async (id) => (await s.request<FlavorEnvelope>('compute', 'GET', `/flavors/${q(id)}`, { microversion: mv })).body.flavor,
    list: () => listFlavors(s, 'is_public=None', mv),
  }, nameOrId);
}

export const flavorCommands: CommandSpec[] = [
  defineCommand({
    name: 'flavor list',
    summary: 'List flavors',
    description: 'List flavors. To boot from an image or snapshot, pick a flavor whose Disk is at least the image\'s min_disk (--min-disk does it).',
    output: 'list',
    options: [
      { flags: ['--public'], dest: 'visibility', kind: 'const', value: 'public', group: 'vis', help: 'List only public flavors (default)' },
      { flags: ['--private'], dest: 'visibility', kind: 'const', value: 'private', group: 'vis', help: 'List only private flavors (admin only)' },
      { flags: ['--all'], dest: 'visibility', kind: 'const', value: 'all', group: 'vis', help: 'List all flavors, whether public or private' },
      { flags: ['--min-disk'], dest: 'minDisk', kind: 'int', metavar: '<min-disk>', help: 'Filters the flavors by a minimum disk space, in GiB.' },
      { flags: ['--min-ram'], dest: 'minRam', kind: 'int', metavar: '<min-ram>', help: 'Filters the flavors by a minimum RAM, in MiB.' },
      { flags: ['--long'], dest: 'long', kind: 'flag', help: 'List additional fields in output' },
      { flags: ['--limit'], dest: 'limit', kind: 'int', metavar: '<num-flavors>', help: 'Maximum number of flavors to display' },
    ],
    examples: [
      '# flavors big enough to boot the snapshot web1-snap:',
      'snapstack flavor list --min-disk "$(snapstack image show -f value -c min_disk web1-snap)"',
      'snapstack flavor list --long -f json',
    ],
    async run(ctx, { opts }) {
      const s = await ctx.session();
      const params = [`is_public=${opts.visibility === 'all' ? 'None' : opts.visibility === 'private' ? 'False' : 'True'}`];
      if (opts.minDisk !== undefined) params.push(`minDisk=${opts.minDisk}`);
      if (opts.minRam !== undefined) params.push(`minRam=${opts.minRam}`);
      if (opts.limit !== undefined) params.push(`limit=${opts.limit}`);
      let flavors = await listFlavors(s, params.join('&'));
      if (opts.limit !== undefined) flavors = flavors.slice(0, opts.limit);
      const views: FlavorView[] = [];
      for (const f of flavors) views.push(flavorView(await withExtraSpecs(s, f)));
      const columns = ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public', ...(opts.long ? ['Swap', 'RXTX Factor', 'Properties'] : [])];
      const rows = views.map((f) => [
        f.id, f.name, f.ram, f.disk, f.ephemeral, f.vcpus, f.is_public,
        ...(opts.long ? [f.swap, f.rxtx_factor, dictColumn(f.extra_specs)] : []),
      ]);
      return { kind: 'list', columns, rows };
    },
  }),
  defineCommand({
    name: 'flavor show',
    summary: 'Display flavor details',
    output: 'show',
    positionals: [{ name: 'flavor', metavar: '<flavor>', help: 'Flavor to display (name or ID)' }],
    examples: ['snapstack flavor show m1.small', 'snapstack flavor show -f value -c disk m1.small'],
    async run(ctx, { pos }) {
      const s = await ctx.session();
      const f = flavorView(await withExtraSpecs(s, await findFlavor(s, pos.flavor)));
      let access: unknown = null;
      if (f.is_public === false) {
        try {
          const res = await s.request<{ flavor_access?: { tenant_id: string }[] } | undefined>('compute', 'GET', `/flavors/${q(f.id)}/os-flavor-access`, { microversion: cappedMicroversion(s, FLAVOR_MV) });
          access = (res.body?.flavor_access ?? []).map((a) => a.tenant_id);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          ctx.err(`Failed to get access projects list for flavor '${pos.flavor}': ${err.message}\n`);
        }
      }
      return {
        kind: 'show',
        fields: sortedFields({
          'OS-FLV-DISABLED:disabled': f.is_disabled,
          'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
          access_project_ids: access,
          description: f.description,
          disk: f.disk,
          id: f.id,
          name: f.name,
          'os-flavor-access:is_public': f.is_public,
          properties: dictColumn(f.extra_specs),
          ram: f.ram,
          rxtx_factor: f.rxtx_factor,
          swap: f.swap,
          vcpus: f.vcpus,
        }),
      };
    },
  }),
];
