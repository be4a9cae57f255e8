/**
 * Fault rules in the database (KnexFaultRuleStore): a count is consumed once whoever consumes
 * it, concurrent consumers included (separate pools: as separate replicas would).
 */
import type { Knex } from 'knex';
import { createKnex, migrateLatest } from '../../../src/db/database';
import { FaultRules } from '../../../src/faults/fault-rules';
import { KnexFaultRuleStore } from '../../../src/faults/fault-store';
import { createLogger } from '../../../src/logger';
import { testDbConfig, type TestDbConfig } from '../../support/test-db-target';

const log = createLogger('silent');

describe('fault rules in the database', () => {
  let cfg: TestDbConfig;
  let db: Knex;
  let other: Knex | undefined;

  beforeAll(async () => {
    cfg = await testDbConfig();
    db = await createKnex(cfg);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await other?.destroy();
    await db.destroy();
    await cfg.cleanup();
  });
  beforeEach(async () => {
    await new KnexFaultRuleStore(db).clear();
  });

  it('keeps, lists, shows and removes rules; a clear moves the epoch and the clear mark', async () => {
    const store = new KnexFaultRuleStore(db);
    const rules = new FaultRules(store, log);
    const [epoch0, clears0] = [await store.epoch(), await store.clears()];
    const r = await rules.add({ target: 'api', action: 'fail', status: 503, service: 'compute', operation_id: 'createServer', project_id: 'p1' });
    expect(await store.epoch()).not.toBe(epoch0);
    expect(await rules.get(r.id)).toEqual(r);
    await rules.add({ target: 'volume.create', action: 'delay', delay_ms: 10, count: 3 });
    expect((await rules.list()).map((x) => x.target)).toEqual(['api', 'volume.create']);
    expect(await rules.remove(r.id)).toBe(true);
    expect(await rules.remove(r.id)).toBe(false);
    expect(await rules.get(r.id)).toBeUndefined();
    expect(await rules.clear()).toBe(1);
    expect(await rules.list()).toEqual([]);
    expect(await store.clears()).not.toBe(clears0);
  });

  it('consumes the oldest matching rule of each action, scoped by project, service and operation', async () => {
    const store = new KnexFaultRuleStore(db);
    const rules = new FaultRules(store, log);
    await rules.add({ target: 'api', action: 'fail', status: 409, service: 'compute', operation_id: 'createServer', project_id: 'p1' });
    await rules.add({ target: 'api', action: 'delay', delay_ms: 5 });
    expect(await store.consume({ target: 'api', projectId: 'p2', service: 'compute', operationId: 'createServer' })).toMatchObject([{ action: 'delay', remaining: 0 }]);
    expect(await store.consume({ target: 'api', projectId: 'p1', service: 'image', operationId: 'createServer' })).toEqual([]);
    const d = await rules.decide({ target: 'api', projectId: 'p1', service: 'compute', operationId: 'createServer' });
    expect(d).toEqual({ delayMs: 0, fail: expect.objectContaining({ status: 409 }) });
    expect(await rules.list()).toEqual([]);
  });

  it('a count of N fires N times across concurrent consumers on separate pools, never more', async () => {
    other = await createKnex(cfg);
    const a = new FaultRules(new KnexFaultRuleStore(db), log, { shared: true });
    const b = new FaultRules(new KnexFaultRuleStore(other), log, { shared: true });
    await a.add({ target: 'snapshot.create', action: 'fail', count: 7 });
    const point = { target: 'snapshot.create' as const, projectId: 'p1' };
    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).decide(point)));
    expect(decisions.filter((d) => d.fail !== null)).toHaveLength(7);
    expect(await a.list()).toEqual([]);
  });
});
