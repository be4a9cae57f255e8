/**
 * Nova server action handler (POST /servers/{id}/action), dispatched through one table keyed by
 * the API's action name. The families live beside it: power and images here, the state actions
 * (pause, suspend, lock, console) in server-state-action-handlers.ts, backups, shelve, resize and
 * rebuild in their own files.
 *
 * LIMITATIONS:
 * - migrate, os-migrateLive, rescue, changePassword, os-resetState, forceDelete, restore, floating
 *   IPs, security groups, the VNC/SPICE/serial consoles... answer 501 notImplemented; unknown
 *   actions 400 like Nova;
 * - createImage: no quiesce (the container is paused instead, see snapshotConsistency), no
 *   snapshot quota pre-check, an admin's snapshot of another project's server belongs to that
 *   project (Nova shares it back to the admin).
 */
import type { Handlers } from '../http/context';
import type { operations } from '../generated/compute';
import { requireAuth, typedHandlers } from '../http/context';
import { BadRequest, Forbidden, NotImplemented } from '../http/faults';
import type { Compute } from './compute-module';
import { InstanceActions } from './instance-actions';
import { backupActions } from './server-backup-handlers';
import { ACCEPTED, atLeast, powerAction, ServerActionTable } from './server-action-table';
import { resizeActions } from './server-resize-handlers';
import { shelveActions } from './server-shelve-handlers';
import { checkLock } from './server-states';
import { stateActions } from './server-state-action-handlers';

const UNSUPPORTED_ACTIONS = new Set([
  'migrate', 'os-migrateLive', 'rescue', 'unrescue', 'changePassword', 'os-resetState', 'forceDelete', 'restore',
  'addFloatingIp', 'removeFloatingIp', 'addSecurityGroup', 'removeSecurityGroup', 'os-getVNCConsole', 'os-getSPICEConsole',
  'os-getSerialConsole', 'os-getRDPConsole', 'trigger_crash_dump', 'evacuate', 'injectNetworkInfo', 'resetNetwork', 'addFixedIp',
  'removeFixedIp',
]);
const METADATA_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;
/** Nova's default metadata_items quota. */
const METADATA_ITEMS = 128;
const REBOOT_TYPES = ['HARD', 'Soft', 'SOFT', 'soft', 'Hard', 'hard'];

function createImageArgs(body: unknown): { name: string; metadata: Record<string, string> } {
  const b = body as { name?: unknown; metadata?: unknown } | null;
  if (!b || typeof b !== 'object') throw new BadRequest("Invalid input for field/attribute createImage. Value: None. None is not of type 'object'");
  if (typeof b.name !== 'string') throw new BadRequest("Invalid input for field/attribute createImage. 'name' is a required property");
  if (b.name.trim().length === 0 || b.name.length > 255) throw new BadRequest(`Invalid input for field/attribute name. Value: ${b.name}. '${b.name}' does not match the name pattern`);
  return { name: b.name, metadata: imageMetadata(b.metadata ?? {}) };
}

/** Nova's parameter_types.metadata, then its image metadata quota (128 items, 403). */
function imageMetadata(metadata: unknown): Record<string, string> {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new BadRequest(`Invalid input for field/attribute metadata. Value: ${JSON.stringify(metadata)}. ${JSON.stringify(metadata)} is not of type 'object'`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(key)) {
      throw new BadRequest(`Invalid input for field/attribute metadata. Value: ${JSON.stringify(metadata)}. Additional properties are not allowed ('${key}' was unexpected)`);
    }
    if (typeof value !== 'string') throw new BadRequest(`Invalid input for field/attribute ${key}. Value: ${JSON.stringify(value)}. ${JSON.stringify(value)} is not of type 'string'`);
    if (value.length > 255) throw new BadRequest(`Invalid input for field/attribute ${key}. Value: ${value}. '${value}' is too long`);
  }
  if (Object.keys(metadata).length > METADATA_ITEMS) throw new Forbidden('Image metadata limit exceeded');
  return metadata as Record<string, string>;
}

const powerActions: ServerActionTable = {
  'os-stop': powerAction('stop'),
  'os-start': powerAction('start'),
  reboot: {
    lockChecked: true,
    async run(c) {
      const type = (c.args as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !REBOOT_TYPES.includes(type)) {
        throw new BadRequest(`Invalid input for field/attribute type. Value: ${String(type)}. '${String(type)}' is not one of ${JSON.stringify(REBOOT_TYPES)}`);
      }
      await c.compute.actions.request(c.server.id, type.toUpperCase() === 'HARD' ? 'reboot_hard' : 'reboot_soft');
      return ACCEPTED;
    },
  },
  // Nova does not check the lock for snapshots: a lock guards against change, not copies.
  createImage: {
    lockChecked: false,
    async run(c) {
      const { name, metadata } = createImageArgs(c.args);
      const imageId = await c.compute.snapshots.createImage(c.server.id, name, metadata, undefined, c.server);
      if (atLeast(c.mv, '2.45')) return { status: 202, body: { image_id: imageId } };
      return { status: 202, headers: { Location: `${c.ctx.publicUrl}/image/v2/images/${imageId}` } };
    },
  },
};

/** Every implemented action; a search for an action's name finds its entry. */
export function serverActionTable(): ServerActionTable {
  return { ...powerActions, ...stateActions, ...backupActions, ...shelveActions, ...resizeActions };
}

export function serverActionHandlers(compute: Compute): Handlers {
  const table = serverActionTable();
  return typedHandlers<operations>({
    async serverAction(ctx) {
      const auth = requireAuth(ctx);
      const body = ctx.body ?? {};
      const action = Object.keys(body)[0];
      if (!action) throw new BadRequest('Malformed request body');
      const server = await compute.servers.get(auth, ctx.params.server_id);
      const spec = Object.hasOwn(table, action) ? table[action] : undefined;
      if (!spec) {
        if (UNSUPPORTED_ACTIONS.has(action)) throw new NotImplemented(`Action ${action} is not implemented by Snapstack.`);
        throw new BadRequest(`There is no such action: ${action}`);
      }
      if (spec.lockChecked) checkLock(server, auth);
      const run = () => spec.run({ ctx, auth, mv: ctx.microversion, server, args: body[action], compute });
      const name = InstanceActions.actionOf(action);
      return name ? compute.instanceActions.around(server, auth, ctx.requestId, name, run) : run();
    },
  });
}
