// Replicas' volume data drivers without the rest of the app: overlay drivers on one data directory
// and one Docker engine, each with its own advisory locks on one PostgreSQL (as two replicas'
// volume modules are), and a look at who waits for which lock there.
import pg from 'pg';
import { createLogger } from '../../../src/logger';
import { AdvisoryLocks } from '../../../src/shared/resource-locks';
import { OverlayDockerDriver, type OverlayDockerDriverOptions } from '../../../src/volume/data/overlay-docker-driver';
import { testDbConfig, type TestDbConfig } from '../../support/test-db-target';
import { pollUntil } from '../../support/compute-helpers';
import { HELPER_IMAGE, VolumeDataHarness } from '../volume-data/volume-data-harness';

const NAMESPACE = 'snapstack:volume-data:';

export class ReplicaDrivers {
  readonly h = new VolumeDataHarness();
  private cfg?: TestDbConfig;
  private readonly locks: AdvisoryLocks[] = [];
  private db?: pg.Pool;

  async setup(): Promise<void> {
    this.cfg = await testDbConfig();
    if (!this.cfg.databaseUrl) throw new Error('replicas need PostgreSQL (integration-pg)');
    this.db = new pg.Pool({ connectionString: this.cfg.databaseUrl, max: 1 });
    await this.h.setup();
  }

  async teardown(): Promise<void> {
    await this.h.teardown();
    for (const l of this.locks) await l.close();
    await this.db?.end();
    await this.cfg?.cleanup();
  }

  /** A replica's driver: the shared data directory, its own advisory lock pool. Only the first sweeps. */
  async driver(overrides: Partial<OverlayDockerDriverOptions> = {}): Promise<OverlayDockerDriver> {
    const l = new AdvisoryLocks(this.cfg!.databaseUrl!, createLogger('silent'), { namespace: NAMESPACE, maxConnections: 4 });
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
    const waiters = async () => (await this.db!.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
          AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [NAMESPACE + key],
    )).rowCount;
    await pollUntil(waiters, (n) => (n ?? 0) > 0, 60_000, `a waiter for ${key}`);
  }
}

/** A gate a test opens when it chooses: `pass` waits at it; `reached` resolves once something does. */
export function gate(): { reached: Promise<void>; pass: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  return { reached, open, pass: async () => { reach(); await opened; } };
}
