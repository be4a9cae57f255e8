/**
 * The compute module's port: what other modules may know of Nova here. Compute itself is
 * assembled by compute-module.ts for the composition root; reset re-seeds the flavors below.
 */
export { DEFAULT_FLAVORS } from './flavor-service';
export type { Compute } from './compute-module';
