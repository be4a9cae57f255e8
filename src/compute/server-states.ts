import { Conflict } from '../http/faults';
import type { ServerRow } from './server-store';

/** Nova's power_state integers. */
export const POWER = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;

/** nova/api/openstack/common.py _STATE_MAP, for the states Snapstack produces. */
export function statusOf(vmState: string, taskState: string | null): string {
  switch (vmState) {
    case 'building':
      return 'BUILD';
    case 'active':
      if (taskState === 'rebooting' || taskState === 'reboot_pending' || taskState === 'reboot_started') return 'REBOOT';
      if (taskState === 'rebooting_hard' || taskState === 'reboot_pending_hard' || taskState === 'reboot_started_hard') return 'HARD_REBOOT';
      return 'ACTIVE';
    case 'stopped':
      if (taskState === 'rebooting_hard' || taskState === 'reboot_pending_hard' || taskState === 'reboot_started_hard') return 'HARD_REBOOT';
      return 'SHUTOFF';
    case 'error':
      return 'ERROR';
    case 'paused':
      return 'PAUSED';
    case 'suspended':
      return 'SUSPENDED';
    case 'deleted':
      return 'DELETED';
    default:
      return 'UNKNOWN';
  }
}

/** The vm_states a `status` filter names (Nova's reverse mapping, simplified). */
export function vmStatesOfStatus(status: string): string[] | null {
  const map: Record<string, string[]> = {
    BUILD: ['building'], ACTIVE: ['active'], REBOOT: ['active'], HARD_REBOOT: ['active', 'stopped'], SHUTOFF: ['stopped'],
    ERROR: ['error'], PAUSED: ['paused'], SUSPENDED: ['suspended'], DELETED: ['deleted'],
  };
  return map[status.toUpperCase()] ?? null;
}

export interface StateRule {
  vmStates: string[];
  /** Allowed task states; Nova's default is "none in progress". */
  taskStates?: (string | null)[];
  mustBeLaunched?: boolean;
}

/** nova/compute/api.py check_instance_state: 409 "Cannot '<action>' instance <id> while it is in <attr> <state>". */
export function checkState(server: ServerRow, action: string, rule: StateRule): void {
  if (!rule.vmStates.includes(server.vm_state)) {
    throw new Conflict(`Cannot '${action}' instance ${server.id} while it is in vm_state ${server.vm_state}`);
  }
  const tasks = rule.taskStates ?? [null];
  if (!tasks.includes(server.task_state)) {
    throw new Conflict(`Cannot '${action}' instance ${server.id} while it is in task_state ${server.task_state}`);
  }
  if (rule.mustBeLaunched && !server.launched_at) {
    throw new Conflict(`Cannot '${action}' instance ${server.id} while it is in launched_at None`);
  }
}
