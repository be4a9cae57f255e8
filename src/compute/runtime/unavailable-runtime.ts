import type { PauseHold } from '../../runtime/container-pauses';
import type { ContainerState, ServerRuntime } from './server-runtime';

const NO_ENGINE = 'No Docker engine is available: Snapstack cannot run servers (SNAPSTACK_DOCKER=none or the engine does not answer).';

/** The runtime when there is no Docker engine: builds fail (server ERROR with this fault), clean-ups succeed. */
export class UnavailableRuntime implements ServerRuntime {
  async createAndStart(): Promise<ContainerState> { throw new Error(NO_ENGINE); }
  async inspect(): Promise<ContainerState | null> { return null; }
  async stop(): Promise<void> {}
  async restart(): Promise<void> { throw new Error(NO_ENGINE); }
  async remove(): Promise<void> {}
  async removeForServer(): Promise<void> {}
  async findForServer(): Promise<ContainerState | null> { return null; }
  async listServerContainers(): Promise<Array<{ id: string; serverId: string; state: string }>> { return []; }
  async hold(): Promise<PauseHold> { return { paused: false, release: async () => undefined }; }
  async logs(): Promise<string> { return ''; }
  async pause(): Promise<boolean> { return false; }
  async unpause(): Promise<void> {}
  async commit(): Promise<{ size: number }> { throw new Error(NO_ENGINE); }
  async tag(): Promise<{ size: number }> { throw new Error(NO_ENGINE); }
  async imageExists(): Promise<boolean> { return false; }
  async ownImages(): Promise<[]> { return []; }
  async removeImage(): Promise<void> {}
}
