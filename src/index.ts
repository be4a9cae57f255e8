/** The package's public API: what another project imports from `snapstack`. */
export { startSnapstack, CLOUD_NAMES } from './embed';
export type { SnapstackOptions, RunningSnapstack, Credentials, SeededUser } from './embed';
