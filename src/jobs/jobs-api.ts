/**
 * The jobs module's port: what other modules use of durable jobs (register a kind, enqueue in a
 * transaction, track and settle a journal, read a job). Modules import only this file; the
 * runner itself (job-runner.ts) is built by the composition root.
 */
import type { ModuleReset } from '../shared/module-reset';

export type { EndedJob, EnqueueOptions, JobDefinition, JobHooks, JobRecord, JobRunner, JobStatus } from './job-runner';

/** What reset (src/snapstack) asks of jobs, inside the runner's quiesce: every job's row goes. */
export type JobsResetApi = ModuleReset;
