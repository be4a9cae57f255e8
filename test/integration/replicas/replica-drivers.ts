// Replicas' volume data drivers without the rest of the app: overlay drivers on one data directory
// and one Docker engine, each with its own advisory locks on one PostgreSQL (as two replicas'
// volume modules are), and a look at who waits for which lock there.
import knex, { type Knex } from 'knex';
import { createLogger } from '../../../src/logger';
import { AdvisoryLocks } from '../../../src/shared/resource-locks';
import { OverlayDockerDriver, type OverlayDockerDriverOptions } from '../../../src/volume/data/overlay-docker-driver';
import { pollUntil } from '../../support/compute-helpers';
import { advisoryLockSessions, replicaDatabase, VOLUME_DATA_LOCKS, type ReplicaDatabase } from '../../support/replica-helpers';
import { HELPER_IMAGE, VolumeDataHarness } from '../volume-data/volume-data-harness';

export class ReplicaDrivers {
  readonly h = new VolumeDataHarness();
  private cfg?: ReplicaDatabase;
  private readonly locks: AdvisoryLocks[] = [];
  private db?: Knex;

  async setup(): Promise<void> {
    this.cfg = await replicaDatabase();
    this.db = knex({ client: 'pg', connection: this.cfg.databaseUrl, pool: { min: 0, max: 1 } });
    await this.h.setup();
  }

  async teardown(): Promise<void> {
    await this.h.teardown();
    for (const l of this.locks) await l.close();
    await this.db?.destroy();
    await this.cfg?.cleanup();
  }

  /** A replica's driver: the shared data directory, its own advisory lock pool. Only the first sweeps. */
  async driver(overrides: Partial<OverlayDockerDriverOptions> = {}): Promise<OverlayDockerDriver> {
    const l = new AdvisoryLocks(this.cfg!.databaseUrl, createLogger('silent'), { namespace: VOLUME_DATA_LOCKS, maxConnections: 4 });
    this.locks.push(l);
    const d = new OverlayDockerDriver({
      dataDir: this.h.dataDir, instanceId: this.h.instanceId, docker: this.h.docker, images: this.h.images, helperImage: HELPER_IMAGE, maxChainDepth: 50,
      logger: this.h.logger, shared: true, sweep: this.locks.length === 1, locks: l, ...overrides,
    });
    await d.init();
    return d;
  }

  /** Resolves once some session waits in PostgreSQL for the volume-data advisory lock `key` (not granted yet). */
  async waitingFor(key: string): Promise<void> {
    await pollUntil(() => advisoryLockSessions(this.db!, VOLUME_DATA_LOCKS + key, false), (n) => n > 0, 60_000, `a waiter for ${key}`);
  }
}

/** A gate a test opens when it chooses: `pass` waits at it; `reached` resolves once something does. */
function gate(): { reached: Promise<void>; pass: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  return { reached, open, pass: async () => { reach(); await opened; } };
}

/**
 * Stops every call of `target[method]` at a gate until the test opens it (`reached` once one
 * waits there); `restore` puts the method back.
 */
export function gateMethod(target: object, method: string): ReturnType<typeof gate> & { restore: () => void } {
  const methods = target as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const own = Object.prototype.hasOwnProperty.call(target, method);
  const original = methods[method];
  const g = gate();
  methods[method] = async (...args: unknown[]) => {
    await g.pass();
    return original.apply(target, args);
  };
  const restore = () => {
    if (own) methods[method] = original;
    else delete methods[method];
  };
  return { ...g, restore };
}
