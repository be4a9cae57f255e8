/**
 * Small Nova views: server addresses (/servers/{id}/ips), the server password
 * (/servers/{id}/os-server-password), the NUMA topology (/servers/{id}/topology, 2.78: none) and
 * the availability zone list (/os-availability-zone).
 *
 * LIMITATIONS: one network at most (Docker's bridge, "private"; no Neutron); the password is
 * always "" (no metadata service sets one); one zone, "nova", and no /os-availability-zone/detail.
 */
import type { Handlers } from '../http/context';
import { requireAuth } from '../http/context';
import { NotFound } from '../http/faults';
import type { ServerService } from './server-service';
import { atLeast } from './server-action-table';
import { addresses } from './server-views';

export function serverInfoHandlers(servers: ServerService): Handlers {
  return {
    async listServerAddresses(ctx) {
      const server = await servers.get(requireAuth(ctx), ctx.params.server_id);
      return { status: 200, body: { addresses: addresses(server, false) } };
    },
    async showServerAddressesByNetwork(ctx) {
      const server = await servers.get(requireAuth(ctx), ctx.params.server_id);
      const byNetwork: Record<string, unknown> = addresses(server, false);
      const label = ctx.params.network_label;
      if (!Object.prototype.hasOwnProperty.call(byNetwork, label)) throw new NotFound('Instance is not a member of specified network');
      return { status: 200, body: { [label]: byNetwork[label] } };
    },
    async showServerPassword(ctx) {
      await servers.get(requireAuth(ctx), ctx.params.server_id);
      return { status: 200, body: { password: '' } };
    },
    async clearServerPassword(ctx) {
      await servers.get(requireAuth(ctx), ctx.params.server_id);
      return { status: 204 };
    },
    async showServerTopology(ctx) {
      // From 2.78; below, Nova has no such method (404).
      if (!atLeast(ctx.microversion, '2.78')) throw new NotFound('The resource could not be found.');
      await servers.get(requireAuth(ctx), ctx.params.server_id);
      // Nova's answer for an instance without a NUMA topology (a container has none).
      return { status: 200, body: { nodes: [], pagesize_kb: null } };
    },
    async listComputeAvailabilityZones(ctx) {
      requireAuth(ctx);
      return { status: 200, body: { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }] } };
    },
  };
}
