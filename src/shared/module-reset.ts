/**
 * Reset (POST /snapstack/v1/reset) is orchestrated by src/snapstack/instance-reset.ts and done
 * by the modules: each one's port offers `resetToSeed()`, which removes what the module made
 * (its rows, files and Docker objects), keeps what its seed made, and says what went.
 */

/** What one module's reset removed: rows by table (only tables that lost rows), Docker objects by kind. */
export interface ResetOutcome {
  rows: Record<string, number>;
  docker: { containers: number; volumes: number; images: number };
}

/** The reset operation on a module's port. */
export interface ModuleReset {
  /** Back to the seeded state: every resource the module made goes; the seed stays, with its ids. Idempotent. */
  resetToSeed(): Promise<ResetOutcome>;
}

export function emptyOutcome(): ResetOutcome {
  return { rows: {}, docker: { containers: 0, volumes: 0, images: 0 } };
}

/** `part` added into `total` (counts of one table or kind summed). */
export function addOutcome(total: ResetOutcome, part: ResetOutcome): ResetOutcome {
  for (const [table, n] of Object.entries(part.rows)) if (n) total.rows[table] = (total.rows[table] ?? 0) + n;
  total.docker.containers += part.docker.containers;
  total.docker.volumes += part.docker.volumes;
  total.docker.images += part.docker.images;
  return total;
}
