import type { AuthContext } from '../http/context';
import { Conflict } from '../http/faults';
import type { ServerRow } from './server-store';

/** Nova's power_state integers. */
export const POWER = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

const REBOOT = { rebooting: 'REBOOT', reboot_pending: 'REBOOT', reboot_started: 'REBOOT' };
const HARD_REBOOT = { rebooting_hard: 'HARD_REBOOT', reboot_pending_hard: 'HARD_REBOOT', reboot_started_hard: 'HARD_REBOOT' };
const REBUILD = { rebuilding: 'REBUILD', rebuild_block_device_mapping: 'REBUILD', rebuild_spawning: 'REBUILD' };
const RESIZE = { resize_prep: 'RESIZE', resize_migrating: 'RESIZE', resize_migrated: 'RESIZE', resize_finish: 'RESIZE' };

/** nova/api/openstack/common.py _STATE_MAP (vm_state -> default status, task_state overrides). */
const STATE_MAP: Record<string, Record<string, string>> = {
  active: { default: 'ACTIVE', ...REBOOT, ...HARD_REBOOT, ...REBUILD, ...RESIZE },
  building: { default: 'BUILD' },
  stopped: { default: 'SHUTOFF', ...HARD_REBOOT, ...RESIZE, ...REBUILD },
  resized: { default: 'VERIFY_RESIZE', resize_reverting: 'REVERT_RESIZE' },
  paused: { default: 'PAUSED' },
  suspended: { default: 'SUSPENDED' },
  error: { default: 'ERROR', ...REBUILD },
  deleted: { default: 'DELETED' },
  shelved: { default: 'SHELVED' },
  shelved_offloaded: { default: 'SHELVED_OFFLOADED' },
};

export function statusOf(vmState: string, taskState: string | null): string {
  const row = STATE_MAP[vmState];
  if (!row) return 'UNKNOWN';
  return (taskState !== null && row[taskState]) || row.default;
}

/** The vm_states a `status` filter names (Nova's reverse mapping, simplified). */
export function vmStatesOfStatus(status: string): string[] | null {
  const map: Record<string, string[]> = {
    BUILD: ['building'], ACTIVE: ['active'], REBOOT: ['active'], HARD_REBOOT: ['active', 'stopped'], SHUTOFF: ['stopped'],
    ERROR: ['error'], PAUSED: ['paused'], SUSPENDED: ['suspended'], DELETED: ['deleted'], REBUILD: ['active', 'stopped', 'error'],
    RESIZE: ['active', 'stopped'], VERIFY_RESIZE: ['resized'], REVERT_RESIZE: ['resized'], SHELVED: ['shelved'],
    SHELVED_OFFLOADED: ['shelved_offloaded'],
  };
  return map[status.toUpperCase()] ?? null;
}

export interface StateRule {
  vmStates: string[];
  /** Allowed task states; Nova's default is "none in progress"; 'any': not checked (server tags). */
  taskStates?: (string | null)[] | 'any';
  mustBeLaunched?: boolean;
}

/** nova/compute/api.py check_instance_state: 409 "Cannot '<action>' instance <id> while it is in <attr> <state>". */
export function checkState(server: ServerRow, action: string, rule: StateRule): void {
  if (!rule.vmStates.includes(server.vm_state)) {
    throw new Conflict(`Cannot '${action}' instance ${server.id} while it is in vm_state ${server.vm_state}`);
  }
  const tasks = rule.taskStates ?? [null];
  if (tasks !== 'any' && !tasks.includes(server.task_state)) {
    throw new Conflict(`Cannot '${action}' instance ${server.id} while it is in task_state ${server.task_state}`);
  }
  if (rule.mustBeLaunched && !server.launched_at) {
    throw new Conflict(`Cannot '${action}' instance ${server.id} while it is in launched_at None`);
  }
}

/** nova/compute/api.py check_instance_lock: a locked server refuses the action to non-admins (checked before the state). */
export function checkLock(server: ServerRow, auth: Pick<AuthContext, 'isAdmin'>): void {
  if (server.locked && !auth.isAdmin) throw new Conflict(`Instance ${server.id} is locked`);
}
