/** `server list/show/create` (Nova v2.1), as the openstack client prints them. */
import type { Session } from '../auth';
import { CommandContext, CommandSpec, WAIT_OPTION, defineCommand } from '../command';
import { ApiError, CliError } from '../http';
import { dictColumn, dictListColumn, field, Formatted, listColumn, listDictColumn, sortedFields } from '../output';
import { findResource, q, listAll } from '../resolve';
import { waitFor } from '../wait';
import { findFlavor, listFlavors } from './flavor';
import { findImage, getImage, listImages } from './image';
import { findSnapshot } from './snapshot';
import { findVolume } from './volume';
import type { GlanceImage, JsonObject, Server, ServerCreated, ServerEnvelope } from '../wire';

export const IMAGE_STRING_FOR_BFV = 'N/A (booted from volume)';
const POWER_STATES = ['NOSTATE', 'Running', '', 'Paused', 'Shutdown', '', 'Crashed', 'Suspended'];

export const powerStateColumn = (v: unknown) => new Formatted(typeof v === 'number' && v >= 0 && v < POWER_STATES.length ? POWER_STATES[v] : 'N/A', v);

/** novaclient's Server.networks: network label -> addresses. */
export function networksOf(server: Pick<Server, 'addresses'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [label, list] of Object.entries(server.addresses ?? {})) out[label] = list.map((a) => a.addr);
  return out;
}

export function microversionAtLeast(session: Session, minor: number): boolean {
  const v = session.config.computeApiVersion;
  return v === 'latest' || Number(v.split('.')[1]) >= minor;
}

export function getServer(s: Session, id: string): Promise<Server> {
  return s.request<ServerEnvelope>('compute', 'GET', `/servers/${q(id)}`).then((r) => r.body.server);
}

export function listServers(s: Session, query = ''): Promise<Server[]> {
  return listAll<Server>(s, 'compute', 'servers', `/servers/detail${query ? `?${query}` : ''}`);
}

/** By id, else by exact name; a name match is fetched again by id (list items lack some show fields). */
export async function findServer(s: Session, nameOrId: string): Promise<Server> {
  const found = await findResource<Server>({
    resource: 'server',
    get: (id) => getServer(s, id),
    // Nova's name filter is a regex (srv1 matches srv10): findResource keeps exact matches.
    list: (name) => listServers(s, `name=${q(name)}`),
  }, nameOrId);
  return found.id === nameOrId ? found : getServer(s, found.id);
}

/** OSC's _prep_server_detail: image and flavor names, renamed and formatted fields. */
export async function serverDetail(s: Session, server: Server & Partial<ServerCreated>): Promise<Record<string, unknown>> {
  const info: Record<string, unknown> = { ...server };
  const image = server.image;
  if (image && typeof image === 'object' && image.id) {
    try {
      info.image = `${(await getImage(s, image.id)).name} (${image.id})`;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      info.image = image.id;
    }
  } else info.image = IMAGE_STRING_FOR_BFV;
  const flavor = server.flavor ?? {};
  if ('id' in flavor && flavor.id !== undefined) {
    try {
      info.flavor = `${(await findFlavor(s, flavor.id, s.config.computeApiVersion)).name} (${flavor.id})`;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      info.flavor = flavor.id;
    }
  } else info.flavor = dictColumn(flavor);
  if ('os-extended-volumes:volumes_attached' in info) {
    info.volumes_attached = listDictColumn(server['os-extended-volumes:volumes_attached'] ?? []);
    delete info['os-extended-volumes:volumes_attached'];
  }
  if ('security_groups' in info) info.security_groups = listDictColumn(server.security_groups ?? []);
  if ('tags' in info) info.tags = listColumn(server.tags ?? []);
  info.addresses = dictListColumn(networksOf(server));
  info.properties = dictColumn(server.metadata);
  delete info.metadata;
  if ('tenant_id' in info) {
    info.project_id = info.tenant_id;
    delete info.tenant_id;
  }
  if ('OS-EXT-STS:power_state' in info) info['OS-EXT-STS:power_state'] = powerStateColumn(info['OS-EXT-STS:power_state']);
  delete info.links;
  return info;
}

const describeServer = (v: Server | null) => (v ? `${v.status}${v['OS-EXT-STS:task_state'] ? ` (${v['OS-EXT-STS:task_state']})` : ''}${v.progress ? ` ${v.progress}%` : ''}` : 'deleted');
const faultOf = (v: Server | null) => v?.fault?.message ?? `status ${v?.status}`;

/** Polls a server until `done`, failing on ERROR with the server's fault message. */
export function waitServer(ctx: CommandContext, s: Session, id: string, label: string, done: (v: Server | null) => boolean, what: string) {
  return waitFor<Server | null>(ctx, {
    label: `server ${label}`,
    fetch: async () => {
      try {
        return await getServer(s, id);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    describe: describeServer,
    done,
    failure: (v) => (v && v.status === 'ERROR' ? `Error ${what} server ${label}: ${faultOf(v)}` : undefined),
  });
}

export const settled = (status: string) => (v: Server | null) => v?.status === status && !v['OS-EXT-STS:task_state'];

const NETWORK_HELP = 'Create server with this network: none (default: Snapstack has no network service), auto, or a network ID (repeatable)';

export const serverCommands: CommandSpec[] = [
  defineCommand({
    name: 'server list',
    summary: 'List servers',
    output: 'list',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name-regex>', help: 'Regular expression to match names' },
      { flags: ['--status'], dest: 'status', kind: 'string', metavar: '<status>', help: 'Search by server status (ACTIVE, SHUTOFF, BUILD, ERROR...)' },
      { flags: ['--all-projects'], dest: 'allProjects', kind: 'flag', help: 'Include all projects (admin only)' },
      { flags: ['--long'], dest: 'long', kind: 'flag', help: 'List additional fields in output' },
      { flags: ['-n', '--no-name-lookup'], dest: 'noNameLookup', kind: 'flag', help: 'Skip flavor and image name lookup.' },
      { flags: ['--limit'], dest: 'limit', kind: 'int', metavar: '<num-servers>', help: 'Maximum number of servers to display' },
    ],
    examples: ['snapstack server list', 'snapstack server list --status SHUTOFF -f value -c Name'],
    async run(ctx, { opts }) {
      const s = await ctx.session();
      const params: string[] = [];
      if (opts.name) params.push(`name=${q(opts.name)}`);
      if (opts.status) params.push(`status=${q(opts.status)}`);
      if (opts.allProjects) params.push('all_tenants=True');
      if (opts.limit !== undefined) params.push(`limit=${opts.limit}`);
      let servers = await listServers(s, params.join('&'));
      if (opts.limit !== undefined) servers = servers.slice(0, opts.limit);
      const embeddedFlavor = microversionAtLeast(s, 47);
      const images = new Map<string, string | null>();
      const flavors = new Map<string, string>();
      if (servers.length && !opts.noNameLookup) {
        // Name lookups are best effort, as in OSC.
        await listImages(s).then((list) => list.forEach((i) => images.set(i.id, i.name)), (err) => { if (!(err instanceof CliError)) throw err; });
        if (!embeddedFlavor) {
          await listFlavors(s, 'is_public=None', s.config.computeApiVersion).then((list) => list.forEach((f) => flavors.set(f.id, f.name)), (err) => { if (!(err instanceof CliError)) throw err; });
        }
      }
      const columns = ['ID', 'Name', 'Status'];
      if (opts.long) columns.push('Task State', 'Power State');
      columns.push('Networks');
      columns.push(...(opts.long ? ['Image Name', 'Image ID'] : ['Image']));
      if (embeddedFlavor) columns.push('Flavor');
      else columns.push(...(opts.long ? ['Flavor Name', 'Flavor ID'] : ['Flavor']));
      if (opts.long) columns.push('Availability Zone', 'Host', 'Properties');
      const rows = servers.map((v) => {
        const bootImage = v.image && typeof v.image === 'object' && v.image.id ? v.image.id : undefined;
        const imageId = bootImage ?? IMAGE_STRING_FOR_BFV;
        const imageName = bootImage === undefined ? IMAGE_STRING_FOR_BFV : images.get(bootImage) ?? '';
        // Below 2.47 a reference {id, links}, from 2.47 the embedded flavor {original_name, ...}.
        const flavorId = (v.flavor && 'id' in v.flavor ? v.flavor.id : undefined) ?? '';
        const flavorName = embeddedFlavor ? (v.flavor && 'original_name' in v.flavor ? v.flavor.original_name : undefined) ?? '' : flavors.get(flavorId) ?? '';
        const row: unknown[] = [v.id, v.name, v.status];
        if (opts.long) row.push(field(v, 'OS-EXT-STS:task_state'), powerStateColumn(field(v, 'OS-EXT-STS:power_state')));
        row.push(dictListColumn(networksOf(v)));
        if (opts.long) row.push(imageName, imageId);
        else row.push(opts.noNameLookup ? imageId : imageName);
        if (embeddedFlavor) row.push(flavorName);
        else if (opts.long) row.push(flavorName, flavorId);
        else row.push(opts.noNameLookup ? flavorId : flavorName);
        if (opts.long) row.push(field(v, 'OS-EXT-AZ:availability_zone'), field(v, 'OS-EXT-SRV-ATTR:host'), dictColumn(v.metadata));
        return row;
      });
      return { kind: 'list', columns, rows };
    },
  }),
  defineCommand({
    name: 'server show',
    summary: 'Show server details',
    output: 'show',
    positionals: [{ name: 'server', metavar: '<server>', help: 'Server (name or ID)' }],
    examples: ['snapstack server show web1', 'snapstack server show -f value -c status web1'],
    async run(ctx, { pos }) {
      const s = await ctx.session();
      return { kind: 'show', fields: sortedFields(await serverDetail(s, await findServer(s, pos.server))) };
    },
  }),
  defineCommand({
    name: 'server create',
    summary: 'Create a new server',
    description: 'Create a new server from an image or a server snapshot (--image), a volume (--volume) or a volume snapshot (--snapshot). The flavor\'s disk must be at least the image\'s min_disk.',
    output: 'show',
    options: [
      { flags: ['--flavor'], dest: 'flavor', kind: 'string', metavar: '<flavor>', required: true, help: 'Create server with this flavor (name or ID)' },
      { flags: ['--image'], dest: 'image', kind: 'string', metavar: '<image>', group: 'disk', help: 'Create server boot disk from this image (name or ID)' },
      { flags: ['--volume'], dest: 'volume', kind: 'string', metavar: '<volume>', group: 'disk', help: 'Create server using this volume as the boot disk (name or ID)' },
      { flags: ['--snapshot'], dest: 'snapshot', kind: 'string', metavar: '<snapshot>', group: 'disk', help: 'Create server using this snapshot as the boot disk (name or ID)' },
      { flags: ['--boot-from-volume'], dest: 'bootFromVolume', kind: 'int', metavar: '<volume-size>', help: 'With --image: create a volume of this size (GB) from the image and boot from it. The root volume is not deleted with the server.' },
      { flags: ['--network'], dest: 'networks', kind: 'append', metavar: '<network>', help: NETWORK_HELP },
      { flags: ['--nic'], dest: 'nics', kind: 'append', metavar: '<net-id=net-uuid,v4-fixed-ip=ip-addr,port-id=port-uuid|auto|none>', help: 'Create a NIC on the server (repeatable); "none" and "auto" as for --network' },
      { flags: ['--property'], dest: 'property', kind: 'keyvalue', metavar: '<key=value>', help: 'Set a property on this server (repeat option to set multiple values)' },
      { flags: ['--description'], dest: 'description', kind: 'string', metavar: '<description>', help: 'Set description for the server' },
      { flags: ['--key-name'], dest: 'keyName', kind: 'string', metavar: '<key-name>', help: 'Keypair to inject into this server' },
      { flags: ['--availability-zone'], dest: 'az', kind: 'string', metavar: '<zone-name>', help: 'Select an availability zone for the server.' },
      WAIT_OPTION,
    ],
    requiredGroups: ['disk'],
    positionals: [{ name: 'name', metavar: '<server-name>', help: 'New server name' }],
    examples: [
      'snapstack server create --image cirros --flavor m1.tiny --network none --wait web1',
      '# launch from a snapshot with a flavor big enough (Disk >= the snapshot\'s min_disk):',
      'snapstack image show -f value -c min_disk web1-snap',
      'snapstack flavor list --min-disk "$(snapstack image show -f value -c min_disk web1-snap)"',
      'snapstack server create --image web1-snap --flavor m1.small --network none --wait web2',
      '# boot from a new volume, or from a volume snapshot:',
      'snapstack server create --image cirros --boot-from-volume 1 --flavor m1.tiny --network none db1',
      'snapstack server create --snapshot db1-root-snap --flavor m1.tiny --network none db2',
    ],
    async run(ctx, { opts, pos }) {
      if (opts.bootFromVolume !== undefined && !opts.image) throw new CliError(`--boot-from-volume is only allowed with --image`);
      const nics: (string | Record<string, string>)[] = [];
      for (const n of opts.networks) nics.push(n === 'none' || n === 'auto' ? n : { uuid: n });
      for (const n of opts.nics) nics.push(n === 'none' || n === 'auto' ? n : parseNic(n));
      if (nics.some((n) => typeof n === 'string') && nics.length > 1) {
        throw new CliError("Specifying a --nic of auto or none cannot be used with any other --nic value");
      }
      const s = await ctx.session();
      const image = opts.image ? await findImage(s, opts.image) : undefined;
      const volumeId = opts.volume ? (await findVolume(s, opts.volume)).id : undefined;
      const snapshotId = opts.snapshot ? (await findSnapshot(s, opts.snapshot)).id : undefined;
      const flavor = await findFlavor(s, opts.flavor, s.config.computeApiVersion);
      let bdm: JsonObject[] | undefined;
      if (volumeId) bdm = [{ uuid: volumeId, boot_index: '0', source_type: 'volume', destination_type: 'volume' }];
      else if (snapshotId) bdm = [{ uuid: snapshotId, boot_index: '0', source_type: 'snapshot', destination_type: 'volume', delete_on_termination: false }];
      else if (opts.bootFromVolume !== undefined && image) {
        bdm = [{ uuid: image.id, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: opts.bootFromVolume }];
      }
      const server: Record<string, unknown> = {
        name: pos.name,
        imageRef: image && opts.bootFromVolume === undefined ? image.id : '',
        flavorRef: flavor.id,
        min_count: 1,
        max_count: 1,
        networks: nics.length === 0 ? 'none' : typeof nics[0] === 'string' ? nics[0] : nics,
      };
      if (bdm) server.block_device_mapping_v2 = bdm;
      if (Object.keys(opts.property).length) server.metadata = opts.property;
      if (opts.description !== undefined) server.description = opts.description;
      if (opts.keyName !== undefined) server.key_name = opts.keyName;
      if (opts.az !== undefined) server.availability_zone = opts.az;
      let created: ServerCreated;
      try {
        created = (await s.request<{ server: ServerCreated }>('compute', 'POST', '/servers', { body: { server } })).body.server;
      } catch (err) {
        if (err instanceof ApiError && err.status === 400 && image && /Flavor's disk is (smaller|too small)/.test(err.message)) {
          throw new CliError(`${err.message}${await biggerFlavorsHint(s, image)}`);
        }
        throw err;
      }
      if (opts.wait) await waitServer(ctx, s, created.id, pos.name, settled('ACTIVE'), 'creating');
      // As OSC: the create answer (adminPass...) updated with the server as it is now.
      return { kind: 'show', fields: sortedFields(await serverDetail(s, { ...created, ...(await getServer(s, created.id)) })) };
    },
  }),
];

function parseNic(value: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const kv of value.split(',')) {
    const [k, v] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
    if (!['net-id', 'port-id', 'v4-fixed-ip', 'v6-fixed-ip', 'tag'].includes(k) || !v || !kv.includes('=')) {
      throw new CliError(`Invalid argument ${value}; argument must be of form 'net-id=net-uuid,port-id=port-uuid,v4-fixed-ip=ip-addr,v6-fixed-ip=ip-addr,tag=tag'`);
    }
    info[k] = v;
  }
  const nic: Record<string, string> = {};
  if (info['net-id']) nic.uuid = info['net-id'];
  if (info['port-id']) nic.port = info['port-id'];
  if (info['v4-fixed-ip'] || info['v6-fixed-ip']) nic.fixed_ip = info['v4-fixed-ip'] || info['v6-fixed-ip'];
  if (info.tag) nic.tag = info.tag;
  return nic;
}

/** "; flavors big enough: a, b" for a boot refused for the flavor's disk. */
async function biggerFlavorsHint(s: Session, image: GlanceImage): Promise<string> {
  try {
    const fits = (await listFlavors(s, `is_public=None&minDisk=${Number(image.min_disk) || 0}`, s.config.computeApiVersion))
      .filter((f) => f.disk >= (Number(image.min_disk) || 0))
      .map((f) => f.name);
    return fits.length ? `; flavors big enough for image ${image.name ?? image.id} (min_disk ${image.min_disk} GB): ${fits.join(', ')}` : '';
  } catch {
    return '';
  }
}
