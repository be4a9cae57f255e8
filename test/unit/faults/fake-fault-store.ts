import type { FaultPoint, FaultRule, FaultRuleStore } from '../../../src/faults/fault-rules';

/** The rules in memory, for units: what KnexFaultRuleStore does in SQL, and a count of its calls. */
export class FakeFaultRuleStore implements FaultRuleStore {
  rules: FaultRule[] = [];
  calls = 0;
  private epochs = { changes: 0, clears: 0 };

  async insert(rule: FaultRule): Promise<void> {
    this.calls++;
    this.rules.push({ ...rule });
    this.epochs.changes++;
  }

  async list(): Promise<FaultRule[]> {
    this.calls++;
    return this.rules.filter((r) => r.remaining > 0).map((r) => ({ ...r }));
  }

  async get(id: string): Promise<FaultRule | undefined> {
    this.calls++;
    const r = this.rules.find((x) => x.id === id && x.remaining > 0);
    return r && { ...r };
  }

  async remove(id: string): Promise<boolean> {
    this.calls++;
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    if (this.rules.length < before) this.epochs.changes++;
    return this.rules.length < before;
  }

  async clear(): Promise<number> {
    this.calls++;
    const n = this.rules.filter((r) => r.remaining > 0).length;
    this.rules = [];
    this.epochs.changes++;
    this.epochs.clears++;
    return n;
  }

  async consume(p: FaultPoint): Promise<FaultRule[]> {
    this.calls++;
    const used: FaultRule[] = [];
    for (const action of ['delay', 'fail'] as const) {
      const r = this.rules.find((x) => x.action === action && x.remaining > 0 && x.target === p.target
        && (x.project_id === null || x.project_id === p.projectId) && (x.service === null || x.service === p.service)
        && (x.operation_id === null || x.operation_id === p.operationId));
      if (!r) continue;
      r.remaining -= 1;
      used.push({ ...r });
    }
    return used;
  }

  async exhausted(ids: string[]): Promise<void> {
    this.calls++;
    this.rules = this.rules.filter((r) => !(ids.includes(r.id) && r.remaining <= 0));
  }

  async epoch(): Promise<string> {
    this.calls++;
    return String(this.epochs.changes);
  }

  async clears(): Promise<string> {
    this.calls++;
    return String(this.epochs.clears);
  }
}
