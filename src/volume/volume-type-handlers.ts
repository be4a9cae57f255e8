/**
 * Cinder's volume types, their extra specs and os-volume-type-access (operationIds of
 * openapi/volume.yaml). Writes are admin-only by the policy table (src/http/policy.ts).
 *
 * LIMITATIONS:
 * - one backend: extra specs are kept and shown but change nothing (no scheduler, no
 *   volume_backend_name matching, no capabilities); no QoS specs (qos_specs_id is always null),
 *   no encryption types, no per-project default types (/default-types), no per-type quotas
 *   beyond `__DEFAULT__`'s;
 * - the type list has no marker/limit/sort paging and no extra_specs filter;
 * - an extra spec set to null is kept as '' (Cinder keeps NULL and shows null).
 */
import type { operations } from '../generated/volume';
import type { Handlers } from '../http/context';
import { queryString, typedHandlers } from '../http/context';
import { BadRequest } from '../http/faults';
import { parseCinderBool } from './volume-faults';
import { callerOf } from './volume-request';
import type { VolumeTypeService } from './volume-type-service';
import { volumeTypeView } from './volume-views';

/** Cinder's api_utils._parse_is_public: absent = public only, 'none' = all, else a strict boolean. */
function isPublicFilter(raw: string | undefined): boolean | null {
  if (raw === undefined) return true;
  if (raw.trim().toLowerCase() === 'none') return null;
  try {
    return parseCinderBool(raw, 'is_public');
  } catch {
    throw new BadRequest(`Invalid is_public filter [${raw}]`);
  }
}

export function volumeTypeHandlers(types: VolumeTypeService): Handlers {
  return typedHandlers<operations>({
    async listVolumeTypes(ctx) {
      const caller = callerOf(ctx);
      const records = await types.list(caller, isPublicFilter(queryString(ctx, 'is_public')));
      return { status: 200, body: { volume_types: records.map((t) => volumeTypeView(t, { kind: 'show', isAdmin: caller.isAdmin })) } };
    },
    async showVolumeType(ctx) {
      const caller = callerOf(ctx);
      const t = await types.show(caller, ctx.params.type_id);
      return { status: 200, body: { volume_type: volumeTypeView(t, { kind: 'show', isAdmin: caller.isAdmin }) } };
    },
    async createVolumeType(ctx) {
      const v = ctx.body.volume_type;
      const raw = v['os-volume-type-access:is_public'];
      const t = await types.create({
        name: v.name,
        description: v.description,
        extraSpecs: v.extra_specs ? Object.fromEntries(Object.entries(v.extra_specs).map(([k, x]) => [k, x ?? ''])) : undefined,
        isPublic: raw === undefined ? true : parseCinderBool(raw, 'os-volume-type-access:is_public'),
      });
      return { status: 200, body: { volume_type: volumeTypeView(t, { kind: 'create', isAdmin: true }) } };
    },
    async updateVolumeType(ctx) {
      const v = ctx.body.volume_type;
      const t = await types.update(ctx.params.type_id, {
        name: v.name,
        description: v.description,
        isPublic: v.is_public === undefined || v.is_public === null ? undefined : parseCinderBool(v.is_public, 'is_public'),
      });
      return { status: 200, body: { volume_type: volumeTypeView(t, { kind: 'update', isAdmin: true }) } };
    },
    async deleteVolumeType(ctx) {
      await types.delete(ctx.params.type_id);
      return { status: 202 };
    },

    async volumeTypeAction(ctx) {
      const body = ctx.body;
      const keys = Object.keys(body ?? {});
      if (keys.length !== 1) throw new BadRequest('Malformed request body');
      const typeId = ctx.params.type_id;
      if (body.addProjectAccess) {
        await types.addAccess(typeId, body.addProjectAccess.project);
      } else if (body.removeProjectAccess) {
        await types.removeAccess(typeId, body.removeProjectAccess.project);
      } else {
        throw new BadRequest(`There is no such action: ${keys[0]}`);
      }
      return { status: 202 };
    },
    async listVolumeTypeAccess(ctx) {
      const access = await types.access(ctx.params.type_id);
      return { status: 200, body: { volume_type_access: access.map((a) => ({ volume_type_id: a.volumeTypeId, project_id: a.projectId })) } };
    },

    async listVolumeTypeExtraSpecs(ctx) {
      return { status: 200, body: { extra_specs: await types.extraSpecs(callerOf(ctx), ctx.params.type_id) } };
    },
    async createVolumeTypeExtraSpecs(ctx) {
      await types.setExtraSpecs(ctx.params.type_id, ctx.body.extra_specs);
      return { status: 200, body: ctx.body };
    },
    async showVolumeTypeExtraSpec(ctx) {
      const { type_id: typeId, key } = ctx.params;
      return { status: 200, body: { [key]: await types.extraSpec(callerOf(ctx), typeId, key) } };
    },
    async updateVolumeTypeExtraSpec(ctx) {
      const { type_id: typeId, key } = ctx.params;
      if (!Object.hasOwn(ctx.body, key)) throw new BadRequest('Request body and URI mismatch');
      await types.setExtraSpecs(typeId, ctx.body);
      return { status: 200, body: ctx.body };
    },
    async deleteVolumeTypeExtraSpec(ctx) {
      await types.deleteExtraSpec(ctx.params.type_id, ctx.params.key);
      return { status: 202 };
    },
  });
}
