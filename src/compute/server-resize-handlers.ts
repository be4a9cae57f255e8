import { isIPv4, isIPv6 } from 'net';
/**
 * resize, confirmResize, revertResize (server-resize.ts) and rebuild (server-rebuild.ts).
 *
 * LIMITATIONS:
 * - one host: resize re-creates the container in place (allow_resize_to_same_host);
 * - rebuild ignores preserve_ephemeral, personality, user_data, trusted certificates,
 *   hostname and accessIPs;
 * - a volume-backed rebuild at 2.93 runs the new image's system with the root volume's data
 *   kept: Snapstack's volumes made from an image hold no image data to re-image.
 */
import { randomBytes } from 'crypto';
import { atLeast, invalid, metadataArg, nameArg, objectArgs, pyRepr, ServerActionTable } from './server-action-table';
import { hostnameArg, trustedCertsArg } from './request-versions';
import { viewOptions } from './server-handlers';
import { serverDetail } from './server-views';

const REBUILD_KEYS = ['name', 'imageRef', 'adminPass', 'metadata', 'preserve_ephemeral', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6'];

/** Nova's rebuild schema at a microversion (servers.py rebuild, _v219, _v254, _v257, _v263, _v290). */
function rebuildKeys(mv: Parameters<typeof atLeast>[0]): string[] {
  const keys = [...REBUILD_KEYS, atLeast(mv, '2.57') ? 'user_data' : 'personality'];
  if (atLeast(mv, '2.19')) keys.push('description');
  if (atLeast(mv, '2.54')) keys.push('key_name');
  if (atLeast(mv, '2.63')) keys.push('trusted_image_certificates');
  if (atLeast(mv, '2.90')) keys.push('hostname');
  return keys;
}

/** accessIPv4/accessIPv6 of a rebuild: a string in the address's format (Nova's parameter_types). */
function addressArg(field: string, value: unknown, valid: (s: string) => boolean, format: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(field, value, `${pyRepr(value)} is not of type 'string'`);
  if (!valid(value)) throw invalid(field, value, `'${value}' is not a '${format}'`);
  return value;
}

function refArg(field: string, value: unknown): string {
  if ((typeof value !== 'string' || value.length === 0) && typeof value !== 'number') {
    throw invalid(field, value, typeof value === 'string' ? "'' is too short" : `${pyRepr(value)} is not of type 'string', 'integer'`);
  }
  return String(value).replace(/\/+$/, '').split('/').pop() ?? String(value);
}

export const resizeActions: ServerActionTable = {
  resize: {
    lockChecked: true,
    async run(c) {
      const o = objectArgs('resize', c.args, ['flavorRef', 'OS-DCF:diskConfig'], ['flavorRef']);
      await c.compute.resizes.resize(c.auth, c.server.id, refArg('flavorRef', o.flavorRef));
      return { status: 202 };
    },
  },
  confirmResize: { lockChecked: true, run: async (c) => (await c.compute.resizes.confirm(c.server.id), { status: 204 }) },
  revertResize: { lockChecked: true, run: async (c) => (await c.compute.resizes.revert(c.server.id), { status: 202 }) },
  rebuild: {
    lockChecked: true,
    async run(c) {
      const o = objectArgs('rebuild', c.args, rebuildKeys(c.mv), ['imageRef']);
      if (typeof o.imageRef !== 'string') throw invalid('imageRef', o.imageRef, `${pyRepr(o.imageRef)} is not of type 'string'`);
      const name = o.name === undefined ? undefined : nameArg('name', o.name);
      if (o.description !== undefined && o.description !== null && (typeof o.description !== 'string' || o.description.length > 255)) {
        throw invalid('description', o.description, `${pyRepr(o.description)} is not valid under any of the given schemas`);
      }
      const accessIPs = { accessIPv4: addressArg('accessIPv4', o.accessIPv4, isIPv4, 'ipv4'), accessIPv6: addressArg('accessIPv6', o.accessIPv6, isIPv6, 'ipv6') };
      if (o.key_name !== undefined && o.key_name !== null) {
        if (typeof o.key_name !== 'string') throw invalid('key_name', o.key_name, `${pyRepr(o.key_name)} is not of type 'string', 'null'`);
        await c.compute.keypairs.forServer(c.auth.userId, o.key_name);
      }
      if (o.adminPass !== undefined && typeof o.adminPass !== 'string') throw invalid('adminPass', o.adminPass, `${pyRepr(o.adminPass)} is not of type 'string'`);
      const server = await c.compute.rebuilds.rebuild(c.auth, c.server.id, {
        imageRef: o.imageRef,
        ...(name !== undefined ? { name } : {}),
        ...(o.metadata !== undefined ? { metadata: metadataArg(o.metadata) } : {}),
        ...(o.description !== undefined ? { description: o.description as string | null } : {}),
        ...(accessIPs.accessIPv4 !== undefined ? { accessIPv4: accessIPs.accessIPv4 } : {}),
        ...(accessIPs.accessIPv6 !== undefined ? { accessIPv6: accessIPs.accessIPv6 } : {}),
        ...(o.hostname !== undefined ? { hostname: hostnameArg(o.hostname) } : {}),
        ...(o.trusted_image_certificates !== undefined ? { trustedCerts: trustedCertsArg(o.trusted_image_certificates, true) } : {}),
        ...(o.key_name !== undefined ? { keyName: o.key_name as string | null } : {}),
        reimageBootVolume: atLeast(c.mv, '2.93'),
      });
      // Below 2.75 the trimmed view of PUT /servers/{id}; from 2.75 all of GET's fields (Nova's rebuild view).
      const view = serverDetail(server, await c.compute.servers.blockDevices(server.id), { ...viewOptions(c.ctx, true), update: true });
      if (atLeast(c.mv, '2.75')) delete view['OS-EXT-SRV-ATTR:user_data'];
      // Nova's rebuild view adds key_name from 2.54 and user_data from 2.57.
      if (atLeast(c.mv, '2.54')) view.key_name = server.key_name;
      if (atLeast(c.mv, '2.57')) view.user_data = null;
      view.adminPass = typeof o.adminPass === 'string' && o.adminPass ? o.adminPass : randomBytes(9).toString('base64url').slice(0, 12);
      return { status: 202, body: { server: view } };
    },
  },
};
