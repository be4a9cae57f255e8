/**
 * Nova key pair handlers (/os-keypairs).
 *
 * LIMITATIONS:
 * - the key pair quota (100 per user) is fixed: no os-quota-sets or limits for it;
 * - a generated x509 certificate has no UPN subjectAltName (Nova's WinRM extension).
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/compute';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { nextLinks, pageLimit } from './compute-links';
import type { KeypairService } from './keypair-service';
import { createdKeypairView, keypairDetail, keypairSummary } from './keypair-views';
import { atLeast, invalid, objectArgs } from './server-action-table';

/** parameter_types.keypair_name_special_chars (and its 2.92 form): no leading or trailing whitespace. */
const NAME = /^[_\- a-zA-Z0-9]+$/;
const NAME_V292 = /^[_\-@. a-zA-Z0-9]+$/;

function keypairName(name: string, v292: boolean): string {
  const pattern = v292 ? NAME_V292 : NAME;
  if (name.length < 1 || name.length > 255 || name.trim() !== name || !pattern.test(name)) {
    throw invalid('name', name, `'${name}' does not match '${pattern.source}'`);
  }
  return name;
}

/** user_id in the query (2.10+); ignored before, as Nova's query schemas do. */
function userOf(ctx: RequestContext): string | undefined {
  return atLeast(ctx.microversion, '2.10') ? queryString(ctx, 'user_id') : undefined;
}

export function keypairHandlers(keypairs: KeypairService): Handlers {
  return typedHandlers<operations>({
    async createKeypair(ctx) {
      const mv = ctx.microversion;
      const allowed = ['name', 'public_key', ...(atLeast(mv, '2.2') ? ['type'] : []), ...(atLeast(mv, '2.10') ? ['user_id'] : [])];
      const args = objectArgs('keypair', ctx.body.keypair, allowed, atLeast(mv, '2.92') ? ['name', 'public_key'] : ['name']);
      const { keypair, privateKey } = await keypairs.create(requireAuth(ctx), {
        name: keypairName(String(args.name), atLeast(mv, '2.92')),
        type: (args.type as 'ssh' | 'x509' | undefined) ?? 'ssh',
        publicKey: args.public_key as string | undefined,
        userId: args.user_id as string | undefined,
      });
      return { status: atLeast(mv, '2.2') ? 201 : 200, body: { keypair: createdKeypairView(keypair, privateKey, mv) } };
    },

    async listKeypairs(ctx) {
      const paged = atLeast(ctx.microversion, '2.35');
      const limit = paged ? pageLimit(queryString(ctx, 'limit')) : undefined;
      const rows = await keypairs.list(requireAuth(ctx), { userId: userOf(ctx), limit, marker: paged ? queryString(ctx, 'marker') : undefined });
      const body: Record<string, unknown> = { keypairs: rows.map((k) => ({ keypair: keypairSummary(k, ctx.microversion) })) };
      if (paged && rows.length > 0 && rows.length === limit) body.keypairs_links = nextLinks(ctx.serviceUrl, 'os-keypairs', ctx.query, rows[rows.length - 1].name);
      return { status: 200, body };
    },

    async showKeypair(ctx) {
      const k = await keypairs.get(requireAuth(ctx), ctx.params.keypair_name, userOf(ctx));
      return { status: 200, body: { keypair: keypairDetail(k, ctx.microversion) } };
    },

    async deleteKeypair(ctx) {
      await keypairs.delete(requireAuth(ctx), ctx.params.keypair_name, userOf(ctx));
      return { status: atLeast(ctx.microversion, '2.2') ? 204 : 202 };
    },
  });
}
