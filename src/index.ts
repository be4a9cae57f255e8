/** The package's public API: what another project imports from `snapstack`. */
export { startSnapstack, CLOUD_NAMES } from './embed';
export type { SnapstackOptions, RunningSnapstack, Credentials, SeededUser } from './embed';
export type { ResetReport } from './snapstack/instance-reset';
export type { FaultRule, FaultRuleInput, FaultTarget } from './faults/fault-rules';
