/**
 * Fault injection and pace: rules that script the cloud's behaviour for the next N matching
 * operations, per project or for everyone. The one port (FaultPort) is consulted at three
 * declared points, not scattered through the services:
 *
 * - the job runner, before a durable job runs ('fail': the job fails, and its resource goes to
 *   its error status through the job's own failure path, as a real failure; 'delay': the
 *   resource stays in its transitional status that long, so clients' polling is exercised);
 * - the service router, before a handler runs (target 'api': answers a chosen status in the
 *   service's own error shape, through the service's error mapper; or delays the answer);
 * - checkpoints inside long operations (archive export and import), to fail them mid-way.
 *
 * The rules live in the database (fault-store.ts), so replicas share them and a count is
 * consumed once across all of them; FaultRules keeps what it read to spare API calls a query.
 */
import { randomUUID } from 'crypto';
import { Fault } from '../http/faults';
import type { Logger } from '../logger';
import { bestEffort } from '../shared/best-effort';

/** What a rule matches: a job's operation, a checkpoint, or any API call ('api'). */
export const FAULT_TARGETS = [
  'volume.create', 'volume.delete', 'volume.extend', 'volume.revert',
  'snapshot.create', 'snapshot.delete',
  'server.build', 'server.delete', 'server.action', 'server.snapshot',
  'archive.export', 'archive.import',
  'api',
] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

export interface FaultRuleInput {
  target: FaultTarget;
  action: 'fail' | 'delay';
  /** Only this project's operations; absent or null: every project's. */
  project_id?: string | null;
  /** How many matching operations it applies to; default 1. */
  count?: number;
  /** delay: milliseconds. */
  delay_ms?: number;
  /** fail: the error message (a fault, an error status reason, the API body's message). */
  message?: string;
  /** fail of an API call ('api') or an import (answered in the request): the status (400-599); default 500. */
  status?: number;
  /** api: only this service (identity, compute, volume, image, snapstack). */
  service?: string;
  /** api: only this operation (the operationId of the service's OpenAPI file, e.g. createServer). */
  operation_id?: string;
}

export interface FaultRule extends Required<Pick<FaultRuleInput, 'target' | 'action' | 'count'>> {
  id: string;
  project_id: string | null;
  delay_ms: number | null;
  message: string | null;
  status: number | null;
  service: string | null;
  operation_id: string | null;
  /** Operations it still applies to. */
  remaining: number;
  created_at: string;
}

/** One operation the port is asked about. */
export interface FaultPoint {
  target: FaultTarget;
  projectId: string | null;
  service?: string;
  operationId?: string;
  /**
   * performance.now() when the operation arrived (API calls): with replicas, the rules as last
   * read answer it if the rules' epoch was read after that (see FaultRules).
   */
  since?: number;
}

/** What an operation must do: wait first (delay), then fail (with this message and status). */
export interface FaultDecision {
  delayMs: number;
  fail: { message: string; status: number; ruleId: string } | null;
}

/** An injected failure: thrown where a real one would be, handled as a real one is (a Fault, for the error mappers). */
export class InjectedFailure extends Fault {
  constructor(message: string, status = 500, readonly ruleId = '') {
    super(status, message);
  }
}

/** The port the job runner, the router and checkpoints consult. */
export interface FaultPort {
  /** Consumes matching rules (one of each action at most) and says what to do. */
  decide(point: FaultPoint): Promise<FaultDecision>;
  /** Waits ms; a reset or clear ends every wait early (in every replica), and so does the signal's abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Applies a decision: waits, then throws the injected failure, if any. */
export async function applyFault(port: FaultPort | undefined, point: FaultPoint, signal?: AbortSignal): Promise<void> {
  if (!port) return;
  const d = await port.decide(point);
  if (d.delayMs > 0) await port.sleep(d.delayMs, signal);
  signal?.throwIfAborted();
  if (d.fail) throw new InjectedFailure(d.fail.message, d.fail.status, d.fail.ruleId);
}

/** Messages a failure shows when the rule names none: what a client would read on a real cloud. */
const DEFAULT_MESSAGES: Record<FaultTarget, string> = {
  'volume.create': 'Injected fault: volume creation failed.',
  'volume.delete': 'Injected fault: volume deletion failed.',
  'volume.extend': 'Injected fault: volume extension failed.',
  'volume.revert': 'Injected fault: volume revert failed.',
  'snapshot.create': 'Injected fault: snapshot creation failed.',
  'snapshot.delete': 'Injected fault: snapshot deletion failed.',
  'server.build': 'Injected fault: build of instance failed.',
  'server.delete': 'Injected fault: instance deletion failed.',
  'server.action': 'Injected fault: instance action failed.',
  'server.snapshot': 'Injected fault: instance snapshot failed.',
  'archive.export': 'Injected fault: archive export failed mid-way.',
  'archive.import': 'Injected fault: archive import failed mid-way.',
  api: 'Injected fault.',
};

/** Snapstack's control operations: never failed or delayed by a rule (a test must be able to clear them). */
export const CONTROL_OPERATIONS: readonly string[] = [
  'getHealth', 'getMetrics', 'resetInstance', 'createFaultRule', 'listFaultRules', 'showFaultRule', 'deleteFaultRule', 'clearFaultRules',
];

/** Targets whose failure is the answer to the request itself (so a status can be chosen). */
const ANSWERED_TARGETS: readonly string[] = ['api', 'archive.import'];

/** Targets consulted inside their operation (mid-way), not by the job runner before it. */
const CHECKPOINT_TARGETS: readonly string[] = ['archive.export', 'archive.import', 'api'];

/** The job kinds the runner asks about, as fault targets (compute.server.build -> server.build). */
export function targetOfJob(kind: string): FaultTarget | null {
  const target = kind.replace(/^compute\./, '');
  return (FAULT_TARGETS as readonly string[]).includes(target) && !CHECKPOINT_TARGETS.includes(target) ? (target as FaultTarget) : null;
}

/** Checks a rule as the API receives it; returns a message saying what is wrong, or null. */
export function checkRule(input: FaultRuleInput): string | null {
  if (!FAULT_TARGETS.includes(input.target)) return `target must be one of ${FAULT_TARGETS.join(', ')}`;
  if (input.action === 'delay' && !(Number.isInteger(input.delay_ms) && input.delay_ms! > 0)) return 'a delay rule needs delay_ms, a positive integer';
  if (input.action === 'fail' && input.delay_ms !== undefined) return 'delay_ms is for delay rules';
  if (input.status !== undefined && (!ANSWERED_TARGETS.includes(input.target) || input.action !== 'fail')) return 'status is for fail rules of api and archive.import';
  if (input.status !== undefined && !(input.status >= 400 && input.status <= 599)) return 'status must be 400 to 599';
  if ((input.service !== undefined || input.operation_id !== undefined) && input.target !== 'api') return 'service and operation_id are for api rules';
  return null;
}

/** Where the rules live: the database (fault-store.ts), or a fake for units. */
export interface FaultRuleStore {
  insert(rule: FaultRule): Promise<void>;
  /** Rules with a count left, oldest first. */
  list(): Promise<FaultRule[]>;
  get(id: string): Promise<FaultRule | undefined>;
  remove(id: string): Promise<boolean>;
  /** Removes every rule; returns how many had a count left. */
  clear(): Promise<number>;
  /**
   * Takes one from the count of the oldest rule of each action matching `point`, atomically
   * (N means N operations, whichever process serves them); returns those rules as they are after.
   */
  consume(point: FaultPoint): Promise<FaultRule[]>;
  /** Removes those of these rules whose count ran out. */
  exhausted(ids: string[]): Promise<void>;
  /** Moves with every change of the rules (not with a count going down); replicas read it with the identity epoch (EpochRider). */
  epoch(): Promise<string>;
  /** Moves with every clear (a reset's too). */
  clears(): Promise<string>;
}

export interface FaultRulesOptions {
  /** Replicas: other processes change and consume the rules too. */
  shared: boolean;
  /** Replicas: how often a delay looks whether another replica cleared the rules (ms; default 1000). */
  clearPollMs?: number;
}

/**
 * The rules, kept by the store (the database: every replica sees the same; a reset clears them,
 * and so does a lone start, in app.ts). Every API call asks whether a rule applies, and nearly always none
 * does: so the process keeps the rules as last read, to answer "none matches" without a query.
 * When one may match, the store decides (consume, atomic). What was read is current:
 * - in one process, until this process changes the rules (nothing else can);
 * - with replicas, for an API call that arrived before the latest read of the rules' epoch,
 *   which rides along the identity epoch every authenticated request reads (`seen`: no extra
 *   round trip); the rules are read again when that epoch moved. Anything else (jobs,
 *   checkpoints, a call without a token) asks the store: one query, where a query is cheap.
 */
export class FaultRules implements FaultPort {
  private known: FaultRule[] = [];
  /** The rules' epoch `known` is current for; null: read them again first. */
  private knownEpoch: bigint | null = null;
  /** Moves with every change made here: a read that overlapped one is not kept. */
  private generation = 0;
  private reading: Promise<void> | null = null;
  /** Replicas: the newest rules' epoch seen, and when the newest read of it was sent. */
  private latestEpoch = 0n;
  private latestReadAt = -Infinity;
  private readonly waits = new Set<() => void>();
  /** Set by close(): the database is about to close, so a failed look for clears is the shutdown's, not a fault. */
  private closed = false;

  constructor(private readonly store: FaultRuleStore, private readonly log: Logger, private readonly opts: FaultRulesOptions = { shared: false }) {}

  /** Replicas: the rules' epoch, read with the identity epoch by a query sent at `sentAt` (performance.now()). */
  seen(epoch: string, sentAt: number): void {
    if (!/^\d+$/.test(epoch)) return;
    const e = BigInt(epoch);
    if (e > this.latestEpoch) this.latestEpoch = e;
    if (sentAt > this.latestReadAt) this.latestReadAt = sentAt;
  }

  async add(input: FaultRuleInput): Promise<FaultRule> {
    const count = input.count ?? 1;
    const rule: FaultRule = {
      id: randomUUID(), target: input.target, action: input.action, count, remaining: count,
      project_id: input.project_id ?? null, delay_ms: input.delay_ms ?? null,
      message: input.action === 'fail' ? input.message ?? DEFAULT_MESSAGES[input.target] : null,
      status: ANSWERED_TARGETS.includes(input.target) && input.action === 'fail' ? input.status ?? 500 : null,
      service: input.service ?? null, operation_id: input.operation_id ?? null,
      created_at: new Date().toISOString(),
    };
    try {
      await this.store.insert(rule);
    } finally {
      this.changed();
    }
    return rule;
  }

  list(): Promise<FaultRule[]> {
    return this.store.list();
  }

  get(id: string): Promise<FaultRule | undefined> {
    return this.store.get(id);
  }

  async remove(id: string): Promise<boolean> {
    try {
      return await this.store.remove(id);
    } finally {
      this.changed();
    }
  }

  /** Forgets every rule and ends every wait (other replicas' within clearPollMs). */
  async clear(): Promise<number> {
    try {
      return await this.store.clear();
    } finally {
      this.changed();
      for (const wake of [...this.waits]) wake();
    }
  }

  async decide(point: FaultPoint): Promise<FaultDecision> {
    const decision: FaultDecision = { delayMs: 0, fail: null };
    const fromMemory = this.answersFromMemory(point);
    if (fromMemory) {
      await this.current();
      if (!this.known.some((r) => matches(r, point))) return decision;
    }
    const used = await this.store.consume(point);
    // A rule consumed here changed the counts; one expected but not found went elsewhere: read again.
    if (used.length > 0 || fromMemory) this.changed();
    for (const rule of used) {
      if (rule.action === 'delay') decision.delayMs = rule.delay_ms ?? 0;
      else decision.fail = { message: rule.message ?? DEFAULT_MESSAGES[rule.target], status: rule.status ?? 500, ruleId: rule.id };
    }
    const spent = used.filter((r) => r.remaining <= 0).map((r) => r.id);
    // Tidying only: a rule without a count left is neither listed nor applied.
    if (spent.length) await bestEffort(this.log, 'removing used-up fault rules', { fault_rule_ids: spent }, () => this.store.exhausted(spent));
    return decision;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waits.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waits.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
      if (signal?.aborted) return wake();
      if (this.opts.shared) void this.watchClears(wake);
    });
  }

  /** At shutdown, before the database closes: delays under way stop watching for other replicas' clears and end at their own time. */
  close(): void {
    this.closed = true;
  }

  /**
   * Replicas: ends `wake`'s wait when another replica clears the rules (or resets). A failed look
   * after close() is the database closing under it (expected at shutdown: dropped); any other is
   * logged, and the wait then ends at its own time.
   */
  private async watchClears(wake: () => void): Promise<void> {
    const pollMs = this.opts.clearPollMs ?? 1000;
    const watching = () => this.waits.has(wake) && !this.closed;
    await bestEffort(this.log, 'watching for a clear of the fault rules by another replica', {}, async () => {
      const at = await this.store.clears();
      while (watching()) {
        await new Promise((r) => setTimeout(r, pollMs).unref());
        if (watching() && (await this.store.clears()) !== at) return wake();
      }
    }, () => this.closed);
  }

  private answersFromMemory(point: FaultPoint): boolean {
    return !this.opts.shared || (point.since !== undefined && this.latestReadAt >= point.since);
  }

  private changed(): void {
    this.generation++;
    this.knownEpoch = null;
  }

  /** Reads the rules again if they may have changed since they were read (shared by concurrent callers). */
  private async current(): Promise<void> {
    while (this.knownEpoch === null || this.knownEpoch < this.latestEpoch) {
      this.reading ??= this.read().finally(() => { this.reading = null; });
      await this.reading;
    }
  }

  private async read(): Promise<void> {
    const generation = this.generation;
    const epoch = this.latestEpoch;
    const rules = await this.store.list();
    if (generation !== this.generation) return;
    this.known = rules;
    this.knownEpoch = epoch;
  }
}

function matches(r: FaultRule, p: FaultPoint): boolean {
  if (r.target !== p.target) return false;
  if (r.project_id !== null && r.project_id !== p.projectId) return false;
  if (r.service !== null && r.service !== p.service) return false;
  if (r.operation_id !== null && r.operation_id !== p.operationId) return false;
  return true;
}
