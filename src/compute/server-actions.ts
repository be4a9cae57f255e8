import type { JobDefinition, JobRunner } from '../jobs/job-runner';
import type { Logger } from '../logger';
import type { ServerRuntime } from './runtime/server-runtime';
import type { ServerContainers } from './server-containers';
import type { KeyedMutex } from '../shared/keyed-mutex';
import { checkState, POWER } from './server-states';
import type { ServerRow, ServerStore } from './server-store';

export const JOB_ACTION = 'compute.server.action';

export type PowerAction = 'stop' | 'start' | 'reboot_soft' | 'reboot_hard';

interface ActionPayload {
  serverId: string;
  action: PowerAction;
}

const HARD_REBOOT_TASKS = [null, 'rebooting', 'reboot_pending', 'reboot_started', 'rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'];

/**
 * os-stop, os-start and reboot: the state check and task_state happen in the request (202),
 * the container work in a durable job. Stop removes the container (an image-backed server's
 * root disk is committed first); start and hard reboot create a fresh one; soft reboot
 * restarts the existing container.
 */
export class ServerActions {
  constructor(
    private readonly store: ServerStore,
    private readonly containers: ServerContainers,
    private readonly runtime: ServerRuntime,
    private readonly locks: KeyedMutex,
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
    await this.locks.withLock(serverId, async () => {
      const server = await this.store.get(serverId);
      if (!server) return;
      let task: string;
      switch (action) {
        case 'stop':
          checkState(server, 'stop', { vmStates: ['active', 'error'], mustBeLaunched: true });
          task = 'powering-off';
          break;
        case 'start':
          checkState(server, 'start', { vmStates: ['stopped'] });
          task = 'powering-on';
          break;
        case 'reboot_soft':
          checkState(server, 'reboot', { vmStates: ['active'] });
          task = 'rebooting';
          break;
        case 'reboot_hard':
          checkState(server, 'reboot', { vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'], taskStates: HARD_REBOOT_TASKS });
          task = 'rebooting_hard';
          break;
      }
      // The job waits for this lock, so it sees the task state set below.
      await this.jobs.enqueue(JOB_ACTION, { serverId, action }, { projectId: server.project_id, resourceType: 'server', resourceId: serverId });
      await this.store.update(serverId, { task_state: task });
    });
  }

  private async perform(p: ActionPayload): Promise<void> {
    let server = await this.store.get(p.serverId);
    if (!server) return;
    switch (p.action) {
      case 'stop':
        await this.containers.retire(server, { keepRootDisk: true });
        await this.store.update(server.id, { vm_state: 'stopped', task_state: null, power_state: POWER.SHUTDOWN });
        return;
      case 'start':
        server = await this.containers.launch(server);
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
   * running one (recorded or found by name) is adopted; one that is not running is removed
   * (its root disk kept), so no exited container outlives the action.
   */
  private async settle(p: ActionPayload, error: string): Promise<void> {
    let server = await this.store.get(p.serverId);
    if (!server) return;
    const state = await this.containers.current(server).catch(() => null);
    const running = state?.state === 'running';
    if (running && state.id !== server.container_id) server = (await this.store.update(server.id, { container_id: state.id }))!;
    if (!running && state) {
      server = await this.containers.retire(server, { keepRootDisk: true }).catch((err: unknown) => {
        this.log.error({ err, server_id: p.serverId, container_id: state.id }, 'could not remove the container of a failed action');
        return server!;
      });
    }
    this.log.warn({ server_id: server.id, action: p.action, error, running, decision: running ? 'adopted the running container' : 'stopped' }, 'server action failed');
    await this.store.update(server.id, this.settledState(server, running));
  }

  private settledState(server: ServerRow, running: boolean): Partial<ServerRow> {
    if (server.vm_state === 'error') return { task_state: null };
    return running
      ? { vm_state: 'active', task_state: null, power_state: POWER.RUNNING }
      : { vm_state: 'stopped', task_state: null, power_state: POWER.SHUTDOWN, container_id: null };
  }
}
