import type { JobDefinition, JobRunner } from '../jobs/jobs-api';
import type { AuthContext } from '../http/context';
import { Forbidden } from '../http/faults';
import type { Logger } from '../logger';
import type { ServerRuntime } from './runtime/server-runtime';
import type { ServerContainers } from './server-containers';
import type { ResourceLocks } from '../shared/resource-locks';
import { checkState, POWER, StateRule } from './server-states';
import { acceptAction } from './server-jobs';
import type { ServerRow, ServerStore } from './server-store';
import { bestEffort } from '../shared/best-effort';

export const JOB_ACTION = 'compute.server.action';

export type PowerAction = 'stop' | 'start' | 'reboot_soft' | 'reboot_hard' | 'pause' | 'unpause' | 'suspend' | 'resume';

interface ActionPayload {
  serverId: string;
  action: PowerAction;
}

const HARD_REBOOT_TASKS = [null, 'rebooting', 'reboot_pending', 'reboot_started', 'rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'];

/** Per action: Nova's name in the 409 text, its state rule (nova/compute/api.py) and the task_state it sets. */
const RULES: Record<PowerAction, { name: string; rule: StateRule; task: string }> = {
  stop: { name: 'stop', rule: { vmStates: ['active', 'error'], mustBeLaunched: true }, task: 'powering-off' },
  start: { name: 'start', rule: { vmStates: ['stopped'] }, task: 'powering-on' },
  reboot_soft: { name: 'reboot', rule: { vmStates: ['active'] }, task: 'rebooting' },
  reboot_hard: { name: 'reboot', rule: { vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'], taskStates: HARD_REBOOT_TASKS }, task: 'rebooting_hard' },
  pause: { name: 'pause', rule: { vmStates: ['active'] }, task: 'pausing' },
  unpause: { name: 'unpause', rule: { vmStates: ['paused'] }, task: 'unpausing' },
  suspend: { name: 'suspend', rule: { vmStates: ['active'] }, task: 'suspending' },
  resume: { name: 'resume', rule: { vmStates: ['suspended'] }, task: 'resuming' },
};

/**
 * os-stop, os-start, reboot, pause, unpause, suspend, resume: the state check and task_state
 * happen in the request (202), the container work in a durable job. Stop and suspend remove
 * the container (an image-backed server's root disk is committed first); start, resume and
 * hard reboot create a fresh one; soft reboot restarts the existing container; pause and
 * unpause are Docker's (the processes are frozen, memory kept).
 */
export class ServerActions {
  constructor(
    private readonly store: ServerStore,
    private readonly containers: ServerContainers,
    private readonly runtime: ServerRuntime,
    private readonly locks: ResourceLocks,
    private readonly jobs: JobRunner,
    private readonly log: Logger,
  ) {}

  job(): JobDefinition<ActionPayload> {
    return {
      kind: JOB_ACTION,
      onRestart: 'fail',
      run: (p) => this.locks.withLock(p.serverId, () => this.perform(p)),
      onFail: (p, error) => this.locks.withLock(p.serverId, () => this.settle(p, error)),
    };
  }

  async request(serverId: string, action: PowerAction): Promise<void> {
    const { name, rule, task } = RULES[action];
    await acceptAction({ store: this.store, locks: this.locks, jobs: this.jobs }, JOB_ACTION, { serverId, action }, (server) => {
      checkState(server, name, rule);
      return { task_state: task };
    });
  }

  /**
   * lock (synchronous in Nova too): remembers who locked, the owner's project or an admin of
   * another; the owner re-locking a locked server changes nothing. The reason is shown from 2.73
   * (kept when a re-lock gives none).
   */
  async lock(serverId: string, auth: AuthContext, reason: string | null): Promise<void> {
    await this.locks.withLock(serverId, async () => {
      const server = await this.store.require(serverId);
      const owner = server.project_id === auth.projectId;
      if (server.locked && owner) return;
      await this.store.update(serverId, { locked: true, locked_by: owner ? 'owner' : 'admin', locked_reason: reason ?? server.locked_reason ?? null });
    });
  }

  /**
   * unlock: a lock set by the other side (an admin's lock for the owner, or the owner's for an
   * admin of another project) needs os_compute_api:os-lock-server:unlock:unlock_override (admin).
   */
  async unlock(serverId: string, auth: AuthContext): Promise<void> {
    await this.locks.withLock(serverId, async () => {
      const server = await this.store.require(serverId);
      const expected = server.project_id === auth.projectId ? 'owner' : 'admin';
      if (server.locked_by && server.locked_by !== expected && !auth.isAdmin) {
        throw new Forbidden("Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.");
      }
      await this.store.update(serverId, { locked: false, locked_by: null, locked_reason: null });
    });
  }

  /**
   * os-getConsoleOutput: the container's log. `length` lines from the end (Nova's _tail_log:
   * 0 -> nothing); null or -1 -> all. Control characters but \t and \n are dropped as Nova does.
   */
  async consoleOutput(server: ServerRow, length: number | null): Promise<string> {
    let out = await this.containers.consoleLog(server);
    if (length !== null && length !== -1) out = length === 0 ? '' : out.split('\n').slice(-length).join('\n');
    return out.replace(/[\x00-\x08\x0B-\x1F]/g, '');
  }

  private async perform(p: ActionPayload): Promise<void> {
    let server = await this.store.get(p.serverId);
    if (!server) return;
    switch (p.action) {
      case 'stop':
        await this.containers.retire(server, { keepRootDisk: true });
        await this.store.update(server.id, { vm_state: 'stopped', task_state: null, power_state: POWER.SHUTDOWN });
        return;
      case 'suspend':
        await this.containers.retire(server, { keepRootDisk: true });
        await this.store.update(server.id, { vm_state: 'suspended', task_state: null, power_state: POWER.SHUTDOWN });
        return;
      case 'start':
      case 'resume':
        await this.containers.launch(server, undefined, () => ({ vm_state: 'active', task_state: null, power_state: POWER.RUNNING }));
        return;
      case 'pause':
        if (!(await this.containers.pause(server))) throw new Error(`The container of instance ${server.id} is not running.`);
        await this.store.update(server.id, { vm_state: 'paused', task_state: null, power_state: POWER.PAUSED });
        return;
      case 'unpause':
        await this.containers.unpause(server);
        await this.store.update(server.id, { vm_state: 'active', task_state: null, power_state: POWER.RUNNING });
        return;
      case 'reboot_soft': {
        const state = server.container_id ? await this.runtime.inspect(server.container_id) : null;
        if (state) await this.runtime.restart(state.id);
        else await this.containers.launch(server);
        await this.store.update(server.id, { task_state: null, power_state: POWER.RUNNING });
        return;
      }
      case 'reboot_hard':
        await this.containers.recreate(server);
        await this.store.update(server.id, { vm_state: 'active', task_state: null, power_state: POWER.RUNNING, fault: null });
    }
  }

  /**
   * After a failed or interrupted action, the state follows what the container really does: a
   * running or paused one (recorded or found by name) is adopted; any other is removed (its
   * root disk kept), so no exited container outlives the action.
   */
  private async settle(p: ActionPayload, error: string): Promise<void> {
    const recorded = await this.store.get(p.serverId);
    if (!recorded) return;
    let server = recorded;
    // The engine not answering counts as no container: the action's failure stands.
    const found = (await bestEffort(this.log, 'reading the container of a failed action', { server_id: p.serverId, action: p.action }, () => this.containers.current(recorded))) ?? null;
    const live = found !== null && (found.state === 'running' || found.state === 'paused');
    if (live && found.id !== server.container_id) server = (await this.store.update(server.id, { container_id: found.id }))!;
    if (found && !live) {
      server = await this.containers.retire(server, { keepRootDisk: true }).catch((err: unknown) => {
        this.log.error({ err, server_id: p.serverId, container_id: found.id }, 'could not remove the container of a failed action');
        return server;
      });
    }
    const container = live ? found.state : null;
    this.log.warn({ server_id: server.id, action: p.action, error, container, decision: live ? 'adopted the container' : 'no container' }, 'server action failed');
    await this.store.update(server.id, this.settledState(server, container));
  }

  private settledState(server: ServerRow, container: string | null): Partial<ServerRow> {
    if (server.vm_state === 'error') return { task_state: null };
    if (container === 'running') return { vm_state: 'active', task_state: null, power_state: POWER.RUNNING };
    if (container === 'paused') return { vm_state: 'paused', task_state: null, power_state: POWER.PAUSED };
    // Suspending or resuming and no container: still suspended (the root disk was committed or never left).
    if (server.vm_state === 'suspended') return { task_state: null, container_id: null };
    return { vm_state: 'stopped', task_state: null, power_state: POWER.SHUTDOWN, container_id: null };
  }
}
