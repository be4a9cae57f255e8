/**
 * shelve, shelveOffload, unshelve (server-shelve.ts).
 *
 * LIMITATIONS: one availability zone ("nova") and one host; the shelved image of a server
 * deleted while shelved stays in Glance.
 */
import { BadRequest, Conflict } from '../http/faults';
import { ACCEPTED, atLeast, invalid, nameArg, objectArgs, pyRepr, ServerActionTable } from './server-action-table';
import { COMPUTE_HOST } from './server-views';

/** Nova's three unshelve schemas (2.1, 2.77, 2.91): the zone and host asked for, if any. */
function unshelveArgs(args: unknown, mv: Parameters<typeof atLeast>[0]): { az: string | null; host: string | null } {
  if (!atLeast(mv, '2.77') || args === null) return { az: null, host: null };
  if (!atLeast(mv, '2.91')) {
    const o = objectArgs('unshelve', args, ['availability_zone'], ['availability_zone']);
    return { az: nameArg('availability_zone', o.availability_zone), host: null };
  }
  const o = objectArgs('unshelve', args, ['availability_zone', 'host']);
  const az = o.availability_zone ?? null;
  if (az !== null && typeof az !== 'string') throw invalid('availability_zone', az, `${pyRepr(az)} is not of type 'string', 'null'`);
  if (o.host !== undefined && typeof o.host !== 'string') throw invalid('host', o.host, `${pyRepr(o.host)} is not of type 'string'`);
  return { az: az as string | null, host: (o.host as string | undefined) ?? null };
}

export const shelveActions: ServerActionTable = {
  shelve: { lockChecked: true, run: async (c) => (await c.compute.shelves.shelve(c.server.id), ACCEPTED) },
  shelveOffload: { lockChecked: true, run: async (c) => (await c.compute.shelves.offload(c.server.id), ACCEPTED) },
  unshelve: {
    lockChecked: true,
    async run(c) {
      const { az, host } = unshelveArgs(c.args, c.mv);
      if ((az !== null || host !== null) && c.server.vm_state === 'shelved') {
        throw new Conflict(`Specifying an availability zone or a host when unshelving server "${c.server.id}" with status "${c.server.vm_state}" is not supported. The server status must be SHELVED_OFFLOADED.`);
      }
      if (az !== null && az !== c.server.availability_zone) throw new BadRequest('The requested availability zone is not available');
      if (host !== null && host !== COMPUTE_HOST) throw new BadRequest(`Compute host ${host} could not be found.`);
      await c.compute.shelves.unshelve(c.server.id);
      return ACCEPTED;
    },
  },
};
