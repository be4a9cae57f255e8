import type { Logger } from '../logger';
import { emptyOutcome, type ModuleReset, type ResetOutcome } from '../shared/module-reset';
import type { FlavorService } from './flavor-service';
import type { ServerRuntime } from './runtime/server-runtime';
import type { ServerContainers } from './server-containers';
import type { ServerStore } from './server-store';

/**
 * Compute's part of reset: every server's container (first: containers hold volumes and
 * images), the root disks committed for them, their rows (key pairs, tags, instance actions and
 * server groups too); flavors back to the defaults.
 */
export class ComputeReset implements ModuleReset {
  constructor(private readonly d: {
    store: ServerStore; flavors: FlavorService; runtime: ServerRuntime; containers: ServerContainers; log: Logger;
    /** Key pairs, server tags, instance actions, server groups: emptied before the servers. */
    records?: Array<{ removeAll(): Promise<Record<string, number>> }>;
  }) {}

  async resetToSeed(): Promise<ResetOutcome> {
    const out = emptyOutcome();
    const containers = await this.d.runtime.listServerContainers();
    await Promise.all(containers.map((c) => this.d.runtime.remove(c.id)));
    out.docker.containers = containers.length;
    const records: Record<string, number> = {};
    for (const r of this.d.records ?? []) Object.assign(records, await r.removeAll());
    const { serverIds, rows } = await this.d.store.removeAll();
    const roots = await Promise.all(serverIds.map(async (id) => {
      const ref = this.d.containers.rootImageName(id);
      if (!(await this.d.runtime.imageExists(ref))) return 0;
      await this.d.runtime.removeImage(ref);
      return 1;
    }));
    out.docker.images = roots.reduce<number>((a, b) => a + b, 0);
    out.rows = { ...records, ...rows, ...(await this.d.flavors.resetToSeed()) };
    this.d.log.info({ containers: out.docker.containers, root_images: out.docker.images, rows: out.rows }, 'compute reset to the seed');
    return out;
  }
}
