import type Docker from 'dockerode';
import { KeyedMutex } from '../shared/keyed-mutex';
import { isDockerStatus } from './docker-engine';

/** A counted pause of one container: the last release unpauses what the first hold paused. */
export interface PauseHold {
  /** true when the container is paused by Snapstack's holds (false: it was not running). */
  paused: boolean;
  /** Idempotent. */
  release(): Promise<void>;
}

/**
 * Pauses are counted per container: nested or concurrent holds of one container (two volume
 * snapshots of one running server, an instance snapshot around them) are one `docker pause`,
 * undone when the last hold is released. A container paused by someone else is left as it is.
 */
export class ContainerPauses {
  private readonly held = new Map<string, { count: number; paused: boolean }>();
  private readonly locks = new KeyedMutex();

  constructor(private readonly docker: Docker) {}

  async hold(containerId: string): Promise<PauseHold> {
    return this.locks.withLock(containerId, async () => {
      let h = this.held.get(containerId);
      if (!h) {
        h = { count: 0, paused: await this.pauseIfRunning(containerId) };
        this.held.set(containerId, h);
      }
      h.count++;
      const entry = h;
      let released = false;
      return {
        paused: entry.paused,
        release: async () => {
          if (released) return;
          released = true;
          await this.locks.withLock(containerId, async () => {
            if (--entry.count > 0) return;
            this.held.delete(containerId);
            if (entry.paused) await this.docker.getContainer(containerId).unpause().catch((err: unknown) => {
              if (!isDockerStatus(err, 404) && !isDockerStatus(err, 409)) throw err;
            });
          });
        },
      };
    });
  }

  /** How many holds a container has (tests). */
  holds(containerId: string): number {
    return this.held.get(containerId)?.count ?? 0;
  }

  private async pauseIfRunning(containerId: string): Promise<boolean> {
    const c = this.docker.getContainer(containerId);
    try {
      const info = await c.inspect();
      if (info.State?.Status !== 'running') return false;
      await c.pause();
      return true;
    } catch (err) {
      // Gone, or paused/stopped by someone else meanwhile: nothing of ours to undo.
      if (isDockerStatus(err, 404) || isDockerStatus(err, 409)) return false;
      throw err;
    }
  }
}

const byEngine = new WeakMap<Docker, ContainerPauses>();

/** The one pause counter of an engine connection (every module shares the composition root's). */
export function containerPauses(docker: Docker): ContainerPauses {
  let p = byEngine.get(docker);
  if (!p) byEngine.set(docker, (p = new ContainerPauses(docker)));
  return p;
}
