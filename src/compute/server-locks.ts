/** In-process async mutex per server id: actions, builds and deletes on one server take turns. */
export class ServerLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async withLock<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(serverId) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(serverId, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(serverId) === tail) this.tails.delete(serverId);
    }
  }
}
