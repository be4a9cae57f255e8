/**
 * Reset: the instance back to its seeded state, fast enough to run between tests. Every
 * resource and Docker object this instance made goes; what the seed made stays with its ids
 * (users, projects, roles, flavors, images), so tokens of the seeded users keep working.
 * Workspace snapshots (SNAPSTACK_WORKSPACE_DIR) are part of the seed and stay too.
 *
 * Each module removes its own part through its port's `resetToSeed()`; this file only
 * orchestrates them, with no job running in any replica (the job runner's quiesce), in
 * dependency order (see RESET_ORDER).
 */
import type { Logger } from '../logger';
import type { JobRunner, JobsResetApi } from '../jobs/jobs-api';
import type { ComputeResetApi } from '../compute/compute-api';
import type { VolumeResetApi } from '../volume/volume-api';
import type { ImageResetApi } from '../image/image-api';
import type { ArchiveResetApi } from '../archive/archive-api';
import type { IdentityResetApi } from '../identity/identity-api';
import { addOutcome, emptyOutcome, type ResetOutcome } from '../shared/module-reset';
import { crashPoint } from '../shared/crash-points';

export interface ResetReport extends ResetOutcome {
  duration_ms: number;
}

/** Each module's reset, by port. */
export interface ResetParts {
  jobs: JobsResetApi;
  compute: ComputeResetApi;
  archive: ArchiveResetApi;
  volume: VolumeResetApi;
  image: ImageResetApi;
  identity: IdentityResetApi;
}

/**
 * Jobs first (no durable job resumes on what goes); compute before volume and image (its
 * containers mount volumes and run images); archive's exports and volume's snapshots before
 * image (a snapshot's layer may be an image's); identity last (every other resource names a
 * project). Compute re-seeds its flavors itself.
 */
export const RESET_ORDER: ReadonlyArray<keyof ResetParts> = ['jobs', 'compute', 'archive', 'volume', 'image', 'identity'];

export interface ResetDeps {
  jobs: Pick<JobRunner, 'quiesce'>;
  parts: ResetParts;
  /** Other state to forget (fault rules, pending delays); run once no job is claimed any more, before running jobs are waited for. */
  onReset: Array<() => void | Promise<void>>;
  log: Logger;
}

export class InstanceReset {
  constructor(private readonly d: ResetDeps) {}

  /** Each module's part, by port (a test resets one module alone). */
  get parts(): ResetParts {
    return this.d.parts;
  }

  async reset(): Promise<ResetReport> {
    const started = Date.now();
    // The hooks end delays under way (fault rules): after claims stopped everywhere, so a job
    // whose delay ends starts nothing new, and before running jobs are waited for.
    const forget = async () => {
      for (const hook of this.d.onReset) await hook();
    };
    const outcome = await this.d.jobs.quiesce(async () => {
      const total = emptyOutcome();
      for (const name of RESET_ORDER) {
        crashPoint(`reset.${name}`);
        addOutcome(total, await this.d.parts[name].resetToSeed());
      }
      return total;
    }, forget);
    const report: ResetReport = { ...outcome, duration_ms: Date.now() - started };
    this.d.log.info(report, 'reset to the seeded state');
    return report;
  }
}
