/**
 * The compute module's port: what other modules may know of Nova here. Compute itself is
 * assembled by compute-module.ts for the composition root.
 */
import type { ModuleReset } from '../shared/module-reset';

export { DEFAULT_FLAVORS } from './flavor-service';
export type { Compute } from './compute-module';

/**
 * What reset (src/snapstack) asks of compute, first: every server's container, root disks and
 * rows go; flavors go back to the defaults (a default one deleted comes back).
 */
export type ComputeResetApi = ModuleReset;
