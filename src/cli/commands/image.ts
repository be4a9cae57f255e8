/** `image list/show/set/delete` (Glance v2), as the openstack client prints them. */
import type { Session } from '../auth';
import { type CommandSpec, defineCommand } from '../command';
import { CliError } from '../http';
import { dictColumn, listColumn, pySortCompare, sortedFields } from '../output';
import { pyStr } from '../../shared/py-format';
import { findResource, forEachTarget, q } from '../resolve';
import type { GlanceImage, GlanceImageList } from '../wire';

const CORE_FIELDS = new Set([
  'status', 'name', 'container_format', 'created_at', 'size', 'disk_format', 'updated_at', 'visibility',
  'min_disk', 'protected', 'id', 'file', 'checksum', 'owner', 'virtual_size', 'min_ram', 'schema',
]);

/** osc_lib's format_size: 1000-based, one decimal, no trailing zeros. */
export function formatSize(size: number | null | undefined): string {
  const suffix = ['', 'K', 'M', 'G', 'T', 'P', 'E', 'Z'];
  let n = size ?? 0;
  let i = 0;
  while (n >= 1000) {
    i++;
    n /= 1000;
  }
  return `${n.toFixed(1).replace(/0+$/, '').replace(/\.$/, '')}${suffix[i]}`;
}

/** Wire names of openstacksdk's Image attributes, in declaration order (the order of `properties`). */
const SDK_IMAGE_ATTRIBUTES = [
  'checksum', 'container_format', 'created_at', 'disk_format', 'os_hidden', 'protected', 'os_hash_algo', 'os_hash_value',
  'min_disk', 'min_ram', 'name', 'owner', 'properties', 'size', 'store', 'status', 'updated_at', 'virtual_size', 'visibility',
  'file', 'locations', 'direct_url', 'url', 'metadata', 'architecture', 'hypervisor_type', 'instance_type_rxtx_factor',
  'instance_uuid', 'img_config_drive', 'kernel_id', 'os_distro', 'os_version', 'os_secure_boot', 'os_shutdown_timeout',
  'ramdisk_id', 'vm_mode', 'hw_cpu_sockets', 'hw_cpu_cores', 'hw_cpu_threads', 'hw_disk_bus', 'hw_cpu_policy',
  'hw_cpu_thread_policy', 'hw_rng_model', 'hw_machine_type', 'hw_scsi_model', 'hw_serial_port_count', 'hw_video_model',
  'hw_video_ram', 'hw_watchdog_action', 'os_command_line', 'hw_vif_model', 'hw_vif_multiqueue_enabled', 'hw_boot_menu',
  'vmware_adaptertype', 'vmware_ostype', 'auto_disk_config', 'os_type', 'os_admin_user', 'hw_qemu_guest_agent',
  'os_require_quiesce', 'schema', 'id', 'tags',
];
const KNOWN = new Set(SDK_IMAGE_ATTRIBUTES);

/**
 * OSC's _format_image over the SDK's to_dict(ignore_none=True): core fields, tags, and every
 * other key (known attributes in SDK order, unknown ones where `properties` sits) under properties.
 */
export function formatImage(image: Record<string, unknown>, humanReadable = false): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const k of SDK_IMAGE_ATTRIBUTES) {
    if (k === 'properties') {
      // The SDK keeps unknown top-level keys (but "self") under properties.
      for (const [uk, uv] of Object.entries(image)) if (!KNOWN.has(uk) && uk !== 'self' && uk !== 'location') properties[uk] = uv;
      if (image.properties && typeof image.properties === 'object') Object.assign(properties, image.properties);
      continue;
    }
    const v = image[k];
    if (v === null || v === undefined) continue;
    if (CORE_FIELDS.has(k)) info[k] = v;
    else if (k !== 'tags') properties[k] = v;
  }
  if (humanReadable) info.size = formatSize(image.size as number);
  info.tags = listColumn((image.tags as unknown[]) ?? null);
  if (Object.keys(properties).length) info.properties = dictColumn(properties);
  return info;
}

/** Every page of GET /v2/images?<query>, following Glance's `next`. */
export async function listImages(s: Session, query = '', limit?: number): Promise<GlanceImage[]> {
  const out: GlanceImage[] = [];
  let path: string | undefined = `/images${query ? `?${query}` : ''}`;
  while (path) {
    const res: { body: Partial<GlanceImageList> | undefined } = await s.request<Partial<GlanceImageList> | undefined>('image', 'GET', path);
    out.push(...(res.body?.images ?? []));
    if (limit !== undefined) break;
    const next: string | undefined = res.body?.next;
    path = next ? `/${next.replace(/^\/?v2\//, '')}` : undefined;
  }
  return out;
}

export function getImage(s: Session, id: string): Promise<GlanceImage> {
  return s.request<GlanceImage>('image', 'GET', `/images/${q(id)}`).then((r) => r.body);
}

export function findImage(s: Session, nameOrId: string): Promise<GlanceImage> {
  return findResource<GlanceImage>({
    resource: 'image',
    get: (id) => getImage(s, id),
    list: (name) => listImages(s, `name=${q(name)}`),
    fallbackList: (name) => listImages(s, `name=${q(name)}&os_hidden=true`),
  }, nameOrId);
}

const VISIBILITY_OPTIONS = (verb: string) => ['public', 'private', 'community', 'shared'].map((v) => ({
  flags: [`--${v}`], dest: 'visibility', kind: 'const' as const, value: v, group: 'visibility', help: `${verb} ${v} images`,
}));

export const imageCommands: CommandSpec[] = [
  defineCommand({
    name: 'image list',
    summary: 'List available images',
    description: 'List available images, sorted by name. Server snapshots (server image create) are private images of your project.',
    output: 'list',
    options: [
      ...VISIBILITY_OPTIONS('List only'),
      { flags: ['--all'], dest: 'visibility', kind: 'const', value: 'all', group: 'visibility', help: 'List all images' },
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: 'Filter images based on name.' },
      { flags: ['--status'], dest: 'status', kind: 'string', metavar: '<status>', help: 'Filter images based on status.' },
      { flags: ['--tag'], dest: 'tag', kind: 'append', metavar: '<tag>', help: 'Filter images based on tag (repeat option to filter on multiple tags)' },
      { flags: ['--hidden'], dest: 'hidden', kind: 'flag', help: 'List hidden images' },
      { flags: ['--long'], dest: 'long', kind: 'flag', help: 'List additional fields in output' },
      { flags: ['--limit'], dest: 'limit', kind: 'int', metavar: '<num-images>', help: 'Maximum number of images to display.' },
      { flags: ['--sort'], dest: 'sort', kind: 'string', metavar: '<key>[:<direction>]', help: 'Sort output by selected keys and directions (asc or desc) (default: name:asc), multiple keys and directions can be specified separated by comma' },
    ],
    examples: ['# list private images (server snapshots among them):', 'snapstack image list --private', 'snapstack image list --private --long -f json'],
    async run(ctx, { opts }) {
      const s = await ctx.session();
      const params: string[] = [];
      if (opts.visibility) params.push(`visibility=${opts.visibility}`);
      if (opts.limit !== undefined) params.push(`limit=${opts.limit}`);
      if (opts.name) params.push(`name=${q(opts.name)}`);
      if (opts.status) params.push(`status=${q(opts.status)}`);
      for (const t of opts.tag) params.push(`tag=${q(t)}`);
      if (opts.hidden) params.push('os_hidden=true');
      const images = sortImages(await listImages(s, params.join('&'), opts.limit), opts.sort ?? 'name:asc');
      if (opts.long) {
        return {
          kind: 'list',
          columns: ['ID', 'Name', 'Disk Format', 'Container Format', 'Size', 'Checksum', 'Status', 'Visibility', 'Protected', 'Project', 'Tags'],
          rows: images.map((i) => [i.id, i.name ?? null, i.disk_format ?? null, i.container_format ?? null, i.size ?? null, i.checksum ?? null,
            i.status ?? null, i.visibility ?? null, i.protected ?? null, i.owner ?? null, listColumn(i.tags ?? [])]),
        };
      }
      return { kind: 'list', columns: ['ID', 'Name', 'Status'], rows: images.map((i) => [i.id, i.name ?? null, i.status ?? null]) };
    },
  }),
  defineCommand({
    name: 'image show',
    summary: 'Display image details',
    output: 'show',
    options: [{ flags: ['--human-readable'], dest: 'human', kind: 'flag', help: 'Print image size in a human-friendly format.' }],
    positionals: [{ name: 'image', metavar: '<image>', help: 'Image to display (name or ID)' }],
    examples: ['snapstack image show web1-snap', '# the smallest root disk a server booted from it needs (GiB):', 'snapstack image show -f value -c min_disk web1-snap'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      return { kind: 'show', fields: sortedFields(formatImage(await findImage(s, pos.image), opts.human)) };
    },
  }),
  defineCommand({
    name: 'image set',
    summary: 'Set image properties',
    description: 'Set image properties: rename a snapshot, change its minimum disk or RAM, add properties or tags. Prints nothing.',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: 'New image name' },
      { flags: ['--min-disk'], dest: 'minDisk', kind: 'int', metavar: '<disk-gb>', help: 'Minimum disk size needed to boot image, in gigabytes' },
      { flags: ['--min-ram'], dest: 'minRam', kind: 'int', metavar: '<ram-mb>', help: 'Minimum RAM size needed to boot image, in megabytes' },
      { flags: ['--protected'], dest: 'protected', kind: 'const', value: true, group: 'protected', help: 'Prevent image from being deleted' },
      { flags: ['--unprotected'], dest: 'protected', kind: 'const', value: false, group: 'protected', help: 'Allow image to be deleted (default)' },
      ...VISIBILITY_OPTIONS('Image is'),
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Set a property on this image (repeat option to set multiple properties)' },
      { flags: ['--tag'], dest: 'tag', kind: 'append', metavar: '<tag>', help: 'Set a tag on this image (repeat option to set multiple tags)' },
    ],
    positionals: [{ name: 'image', metavar: '<image>', help: 'Image to modify (name or ID)' }],
    examples: ['# rename a snapshot:', 'snapstack image set --name web1-golden web1-snap', 'snapstack image set --property purpose=ci --tag golden web1-golden'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const image = await findImage(s, pos.image);
      const ops: { op: string; path: string; value: unknown }[] = [];
      const add = (path: string, value: unknown) => ops.push({ op: 'add', path: `/${path}`, value });
      for (const [k, v] of Object.entries(opts.property)) add(k, v);
      if (opts.minDisk !== undefined) add('min_disk', opts.minDisk);
      if (opts.minRam !== undefined) add('min_ram', opts.minRam);
      if (opts.name !== undefined) add('name', opts.name);
      if (opts.protected !== undefined) add('protected', opts.protected);
      if (opts.tag.length) add('tags', [...new Set([...(image.tags ?? []), ...opts.tag])]);
      if (opts.visibility !== undefined) add('visibility', opts.visibility);
      if (ops.length === 0) return;
      await s.request('image', 'PATCH', `/images/${q(image.id)}`, {
        body: ops,
        headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      });
    },
  }),
  defineCommand({
    name: 'image delete',
    summary: 'Delete image(s)',
    positionals: [{ name: 'images', metavar: '<image>', nargs: '+', help: 'Image(s) to delete (name or ID)' }],
    examples: ['snapstack image delete web1-snap'],
    async run(ctx, { pos }) {
      const s = await ctx.session();
      await forEachTarget(pos.images, async (name) => {
        const image = await findImage(s, name);
        await s.request('image', 'DELETE', `/images/${q(image.id)}`);
      }, ctx.err, {
        failedOne: (name, e) => `Failed to delete image with name or ID '${name}': ${e}\n`,
        failedSome: (n, total) => `Failed to delete ${n} of ${total} images.`,
      });
    },
  }),
];

/** osc_lib's sort_items with sort_type str: "key[:asc|desc],...", stable, None as 'None'. */
export function sortImages<T extends object>(items: T[], sort: string): T[] {
  let out = [...items];
  for (const part of sort.split(',').reverse()) {
    const [key, dir = 'asc'] = part.trim().split(':');
    if (!key) throw new CliError("'<empty string>'' is not a valid sort key");
    if (dir !== 'asc' && dir !== 'desc') throw new CliError(`'${dir || '<empty string>'}' is not a valid sort direction for sort key ${key}, use 'asc' or 'desc' instead`);
    const val = (x: T) => pyStr((x as Record<string, unknown>)[key] ?? null);
    out = out.sort((a, b) => pySortCompare(val(a), val(b)) * (dir === 'desc' ? -1 : 1));
  }
  return out;
}
