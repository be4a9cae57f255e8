/**
 * Nova flavor handlers.
 *
 * LIMITATIONS:
 * - no flavor access lists (os-flavor-access): a private flavor is visible to admins only;
 * - extra specs are read-only (always empty for the seeded flavors); PUT (2.55) changes the description.
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import type { FlavorService } from './flavor-service';
import { flavorSummary, flavorView } from './flavor-views';
import { nextLinks } from './compute-links';
import { refuseUnknownQuery } from './request-versions';
import { atLeast, booleanArg, invalid, objectArgs, pyRepr } from './server-action-table';

function intOf(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`Invalid input for field/attribute ${name}. Value: ${String(v)}. '${String(v)}' is not of type 'integer'`);
  return n;
}

export function flavorHandlers(flavors: FlavorService): Handlers {
  const list = async (ctx: Parameters<Handlers[string]>[0], detail: boolean) => {
    refuseUnknownQuery(ctx.query, ctx.microversion, ['limit', 'marker', 'is_public', 'minRam', 'minDisk', 'sort_key', 'sort_dir']);
    const { flavors: rows, more } = await flavors.list(requireAuth(ctx), {
      isPublic: queryString(ctx, 'is_public'), minDisk: queryString(ctx, 'minDisk'), minRam: queryString(ctx, 'minRam'),
      sortKey: queryString(ctx, 'sort_key'), sortDir: queryString(ctx, 'sort_dir'), limit: queryString(ctx, 'limit'), marker: queryString(ctx, 'marker'),
    });
    const items = rows.map((f) => (detail ? flavorView(f, ctx.serviceUrl, ctx.microversion) : flavorSummary(f, ctx.serviceUrl, ctx.microversion)));
    const body: Record<string, unknown> = { flavors: items };
    if (more) body.flavors_links = nextLinks(ctx.serviceUrl, detail ? 'flavors/detail' : 'flavors', ctx.query, rows[rows.length - 1].id);
    return { status: 200, body };
  };
  return typedHandlers<operations>({
    listFlavors: (ctx) => list(ctx, false),
    listFlavorsDetail: (ctx) => list(ctx, true),
    async showFlavor(ctx) {
      const f = await flavors.get(requireAuth(ctx), ctx.params.flavor_id);
      return { status: 200, body: { flavor: flavorView(f, ctx.serviceUrl, ctx.microversion) } };
    },
    async createFlavor(ctx) {
      const b = ctx.body.flavor;
      if ('description' in b && !(ctx.microversion?.atLeast('2.55') ?? false)) {
        throw new BadRequest("Invalid input for field/attribute flavor. Additional properties are not allowed ('description' was unexpected)");
      }
      const f = await flavors.create(requireAuth(ctx), {
        name: String(b.name).trim(), ram: intOf('ram', b.ram), vcpus: intOf('vcpus', b.vcpus), disk: intOf('disk', b.disk),
        id: b.id === undefined || b.id === null ? null : String(b.id),
        ephemeral: b['OS-FLV-EXT-DATA:ephemeral'] === undefined ? 0 : intOf('OS-FLV-EXT-DATA:ephemeral', b['OS-FLV-EXT-DATA:ephemeral']),
        swap: b.swap === undefined || b.swap === '' ? 0 : intOf('swap', b.swap),
        rxtxFactor: b.rxtx_factor === undefined ? 1.0 : Number(b.rxtx_factor),
        isPublic: b['os-flavor-access:is_public'] === undefined ? true : booleanArg('os-flavor-access:is_public', b['os-flavor-access:is_public']),
        description: b.description ?? null,
      });
      return { status: 200, body: { flavor: flavorView(f, ctx.serviceUrl, ctx.microversion) } };
    },
    async updateFlavor(ctx) {
      // Nova's update is from 2.55; below, the method does not exist (404).
      if (!atLeast(ctx.microversion, '2.55')) throw new NotFound('The resource could not be found.');
      const body = objectArgs('flavor', ((ctx.body ?? {}) as Record<string, unknown>).flavor, ['description'], ['description']);
      const d = body.description;
      if (d !== null && (typeof d !== 'string' || d.length > 65535)) {
        throw invalid('description', d, typeof d === 'string' ? `'${d.slice(0, 40)}...' is too long` : `${pyRepr(d)} is not of type 'string', 'null'`);
      }
      const f = await flavors.updateDescription(requireAuth(ctx), ctx.params.flavor_id, d);
      return { status: 200, body: { flavor: flavorView(f, ctx.serviceUrl, ctx.microversion) } };
    },
    async deleteFlavor(ctx) {
      await flavors.delete(requireAuth(ctx), ctx.params.flavor_id);
      return { status: 202 };
    },
    async listFlavorExtraSpecs(ctx) {
      const f = await flavors.get(requireAuth(ctx), ctx.params.flavor_id);
      return { status: 200, body: { extra_specs: f.extra_specs ?? {} } };
    },
    async showFlavorExtraSpec(ctx) {
      const f = await flavors.get(requireAuth(ctx), ctx.params.flavor_id);
      const key = ctx.params.key;
      if (!(key in (f.extra_specs ?? {}))) throw new NotFound(`Flavor ${f.id} has no extra specs with key ${key}.`);
      return { status: 200, body: { [key]: f.extra_specs[key] } };
    },
  });
}
