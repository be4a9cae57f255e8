import { randomBytes } from 'node:crypto';
import type { PauseHold } from '../../runtime/container-pauses';
import type { ImageDriver } from '../../runtime/image-driver';
import { InstanceImages } from './instance-images';
import type { ContainerSpec, ContainerState, ServerRuntime } from './server-runtime';

interface FakeContainer {
  id: string;
  name: string;
  spec: ContainerSpec;
  state: string;
  holds: number;
}

/**
 * Servers as records in memory, for units and SNAPSTACK_DOCKER=fake: the container lifecycle
 * Docker would show (running, paused, exited), counted pause holds, and images through the
 * image driver it is given (the fake one beside it). Starting needs the image to exist there.
 */
export class FakeServerRuntime extends InstanceImages implements ServerRuntime {
  private readonly containers = new Map<string, FakeContainer>();

  constructor(images: ImageDriver, instanceId = 'fake') {
    super(images, instanceId);
  }

  /** What a test inspects: the specs of the running containers, by server id. */
  running(): ContainerSpec[] {
    return [...this.containers.values()].filter((c) => c.state === 'running').map((c) => c.spec);
  }

  containerName(serverId: string): string {
    return `snapstack-${this.instanceId}-${serverId}`;
  }

  async createAndStart(spec: ContainerSpec): Promise<ContainerState> {
    await this.removeForServer(spec.serverId);
    if (!(await this.images.exists(spec.image))) throw Object.assign(new Error(`No such image: ${spec.image}`), { statusCode: 404 });
    const c: FakeContainer = { id: randomBytes(32).toString('hex'), name: this.containerName(spec.serverId), spec, state: 'running', holds: 0 };
    this.containers.set(c.id, c);
    return this.stateOf(c);
  }

  async inspect(containerId: string): Promise<ContainerState | null> {
    const c = this.find(containerId);
    return c ? this.stateOf(c) : null;
  }

  async stop(containerId: string): Promise<void> {
    const c = this.find(containerId);
    if (c) c.state = 'exited';
  }

  async restart(containerId: string): Promise<void> {
    const c = this.find(containerId);
    if (!c) throw Object.assign(new Error(`No such container: ${containerId}`), { statusCode: 404 });
    c.state = 'running';
  }

  async remove(containerId: string): Promise<void> {
    const c = this.find(containerId);
    if (c) this.containers.delete(c.id);
  }

  async removeForServer(serverId: string): Promise<void> {
    await this.remove(this.containerName(serverId));
  }

  async findForServer(serverId: string): Promise<ContainerState | null> {
    return this.inspect(this.containerName(serverId));
  }

  async listServerContainers(): Promise<Array<{ id: string; serverId: string; state: string }>> {
    return [...this.containers.values()].map((c) => ({ id: c.id, serverId: c.spec.serverId, state: c.state }));
  }

  async hold(containerId: string): Promise<PauseHold> {
    const c = this.find(containerId);
    if (!c || (c.state !== 'running' && c.holds === 0)) return { paused: false, release: async () => undefined };
    c.holds++;
    c.state = 'paused';
    let released = false;
    return {
      paused: true,
      release: async () => {
        if (released) return;
        released = true;
        if (--c.holds === 0) c.state = 'running';
      },
    };
  }

  async logs(): Promise<string> {
    return '';
  }

  async pause(containerId: string): Promise<boolean> {
    const c = this.find(containerId);
    if (c?.state !== 'running') return false;
    c.state = 'paused';
    return true;
  }

  async unpause(containerId: string): Promise<void> {
    const c = this.find(containerId);
    if (c && c.holds === 0 && c.state === 'paused') c.state = 'running';
  }

  private find(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.name === idOrName);
  }

  private stateOf(c: FakeContainer): ContainerState {
    return { id: c.id, state: c.state, ipAddress: c.state === 'running' && c.spec.network !== 'none' ? '172.17.0.2' : null, macAddress: null };
  }
}
