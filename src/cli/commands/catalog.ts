/** `catalog list`: the services of the token's catalog, as `openstack catalog list` prints them. */
import type { CatalogEndpoint } from '../auth';
import { type CommandSpec, defineCommand } from '../command';
import { Formatted } from '../output';

/** OSC's EndpointsColumn: "<region>\n  <interface>: <url>\n" per endpoint. */
export function endpointsColumn(endpoints: CatalogEndpoint[] | undefined): Formatted {
  let text = '';
  for (const ep of endpoints ?? []) {
    text += `${ep.region_id || ep.region || '<none>'}\n`;
    text += `  ${ep.interface}: ${ep.url}\n`;
  }
  return new Formatted(text, endpoints ?? null);
}

export const catalogCommands: CommandSpec[] = [
  defineCommand({
    name: 'catalog list',
    summary: 'List services in the service catalog',
    output: 'list',
    examples: ['snapstack catalog list -c Type -c Endpoints'],
    async run(ctx) {
      const s = await ctx.session();
      return {
        kind: 'list',
        columns: ['Name', 'Type', 'Endpoints'],
        rows: s.catalog.map((svc) => [svc.name ?? '', svc.type ?? '', endpointsColumn(svc.endpoints)]),
      };
    },
  }),
];
