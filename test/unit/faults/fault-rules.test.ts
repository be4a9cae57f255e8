import { performance } from 'perf_hooks';
import { applyFault, checkRule, FaultRules, InjectedFailure, targetOfJob } from '../../../src/faults/fault-rules';
import { mapError } from '../../../src/http/error-mappers';
import { createLogger } from '../../../src/logger';
import { capturedLog } from '../../support/log-capture';
import { FakeFaultRuleStore } from './fake-fault-store';

const log = createLogger('silent');

describe('fault rules', () => {
  const single = () => new FaultRules(new FakeFaultRuleStore(), log);

  it('applies a rule to the next N matching operations, then forgets it', async () => {
    const rules = single();
    await rules.add({ target: 'snapshot.create', action: 'fail', count: 2 });
    const point = { target: 'snapshot.create' as const, projectId: 'p1' };
    expect((await rules.decide({ target: 'volume.create', projectId: 'p1' })).fail).toBeNull();
    expect((await rules.decide(point)).fail?.message).toBe('Injected fault: snapshot creation failed.');
    expect((await rules.list())[0].remaining).toBe(1);
    expect((await rules.decide(point)).fail).not.toBeNull();
    expect(await rules.list()).toEqual([]);
    expect((await rules.decide(point)).fail).toBeNull();
  });

  it('scopes a rule to a project, and an api rule to a service and operation', async () => {
    const rules = single();
    await rules.add({ target: 'volume.create', action: 'fail', project_id: 'p1' });
    expect((await rules.decide({ target: 'volume.create', projectId: 'p2' })).fail).toBeNull();
    expect((await rules.decide({ target: 'volume.create', projectId: 'p1' })).fail).not.toBeNull();
    await rules.add({ target: 'api', action: 'fail', status: 409, service: 'compute', operation_id: 'createServer' });
    expect((await rules.decide({ target: 'api', projectId: 'p1', service: 'volume', operationId: 'createServer' })).fail).toBeNull();
    expect((await rules.decide({ target: 'api', projectId: 'p1', service: 'compute', operationId: 'listServers' })).fail).toBeNull();
    expect((await rules.decide({ target: 'api', projectId: 'p1', service: 'compute', operationId: 'createServer' })).fail).toMatchObject({ status: 409 });
  });

  it('gives a delay and a failure together, each rule once', async () => {
    const rules = single();
    await rules.add({ target: 'server.build', action: 'delay', delay_ms: 50 });
    await rules.add({ target: 'server.build', action: 'fail', message: 'No valid host was found.' });
    const d = await rules.decide({ target: 'server.build', projectId: null });
    expect(d).toEqual({ delayMs: 50, fail: expect.objectContaining({ message: 'No valid host was found.' }) });
  });

  it('throws an InjectedFailure the error mappers shape as the service does', async () => {
    const rules = single();
    await rules.add({ target: 'api', action: 'fail', status: 503, message: 'busy' });
    const err = await applyFault(rules, { target: 'api', projectId: null }).catch((e) => e);
    expect(err).toBeInstanceOf(InjectedFailure);
    expect(mapError('cinder', err)).toMatchObject({ status: 503, body: { serviceUnavailable: { code: 503, message: 'busy' } } });
    await expect(applyFault(undefined, { target: 'api', projectId: null })).resolves.toBeUndefined();
  });

  it('ends every delay under way when cleared', async () => {
    const rules = single();
    const started = Date.now();
    const waiting = rules.sleep(60_000);
    await rules.clear();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a used-up rule the store fails to remove still answers the operation, and the failure is logged with the rule', async () => {
    const store = new FakeFaultRuleStore();
    store.exhausted = async () => { throw new Error('database went away'); };
    const { log: warnLog, lines } = capturedLog('warn');
    const rules = new FaultRules(store, warnLog);
    const rule = await rules.add({ target: 'volume.create', action: 'fail' });
    expect((await rules.decide({ target: 'volume.create', projectId: 'p1' })).fail).toMatchObject({ ruleId: rule.id });
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'removing used-up fault rules failed', fault_rule_ids: [rule.id], err: expect.objectContaining({ message: 'database went away' }) })]);
    expect((await rules.decide({ target: 'volume.create', projectId: 'p1' })).fail).toBeNull();
  });

  it('one process: asks the store nothing per API call while no rule matches, and sees its own changes at once', async () => {
    const store = new FakeFaultRuleStore();
    const rules = new FaultRules(store, log);
    const call = { target: 'api' as const, projectId: 'p1', service: 'compute', operationId: 'listServers', since: performance.now() };
    await rules.decide(call); // the first call reads the (empty) rules once
    const before = store.calls;
    for (let i = 0; i < 50; i++) expect((await rules.decide(call)).fail).toBeNull();
    expect(store.calls).toBe(before);
    // Rules for something else: read once after the change, then no query again.
    await rules.add({ target: 'api', action: 'fail', service: 'image' });
    await rules.add({ target: 'volume.create', action: 'fail' });
    const afterAdd = store.calls;
    for (let i = 0; i < 20; i++) await rules.decide(call);
    expect(store.calls).toBe(afterAdd + 1);
    // A matching rule is consumed in the store, at once.
    await rules.add({ target: 'api', action: 'fail', service: 'compute', status: 503 });
    expect((await rules.decide(call)).fail).toMatchObject({ status: 503 });
    expect((await rules.decide(call)).fail).toBeNull();
  });

  it('replicas: an API call is answered from what was read only after a rules epoch read newer than the call', async () => {
    const store = new FakeFaultRuleStore();
    const a = new FaultRules(store, log, { shared: true });
    const b = new FaultRules(store, log, { shared: true });
    const seenBy = async (r: FaultRules) => r.seen(await store.epoch(), performance.now());
    const call = () => ({ target: 'api' as const, projectId: 'p1', service: 'compute', operationId: 'createServer', since: performance.now() });

    // Read with the call's token check (the rider): no rule, nothing asked of the store beyond one read of the rules.
    let c = call();
    await seenBy(b);
    expect((await b.decide(c)).fail).toBeNull();
    c = call();
    await seenBy(b);
    const quiet = store.calls;
    expect((await b.decide(c)).fail).toBeNull();
    expect(store.calls).toBe(quiet);

    // A rule made through A: B's next call sees the moved epoch, reads the rules again, fires.
    await a.add({ target: 'api', action: 'fail', status: 500, count: 2 });
    c = call();
    await seenBy(b);
    expect((await b.decide(c)).fail).not.toBeNull();
    // The second of count=2 fires on A; a third call anywhere does not.
    c = call();
    await seenBy(a);
    expect((await a.decide(c)).fail).not.toBeNull();
    c = call();
    await seenBy(b);
    expect((await b.decide(c)).fail).toBeNull();
    expect(await store.list()).toEqual([]);

    // No epoch read since the call arrived (no token, or a job): the store answers.
    await a.add({ target: 'volume.create', action: 'fail' });
    const job = { target: 'volume.create' as const, projectId: 'p1' };
    expect((await b.decide(job)).fail).not.toBeNull();
    expect((await a.decide(job)).fail).toBeNull();
  });

  it('replicas: a clear through one ends the delays under way in another', async () => {
    const store = new FakeFaultRuleStore();
    const a = new FaultRules(store, log, { shared: true, clearPollMs: 20 });
    const b = new FaultRules(store, log, { shared: true, clearPollMs: 20 });
    const started = Date.now();
    const waiting = b.sleep(60_000);
    await new Promise((r) => setTimeout(r, 50));
    await a.clear();
    await waiting;
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('replicas: a failed look for clears is logged and the delay ends at its own time; after close() (shutdown) it is dropped and the looks stop', async () => {
    const { log: warnLog, lines } = capturedLog('warn');
    const store = new FakeFaultRuleStore();
    let looks = 0;
    store.clears = async () => {
      looks++;
      if (looks > 1) throw new Error('connection terminated');
      return '0';
    };
    const rules = new FaultRules(store, warnLog, { shared: true, clearPollMs: 10 });
    const started = Date.now();
    await rules.sleep(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(looks).toBe(2); // it stopped looking at the failure
    expect(lines).toEqual([expect.objectContaining({
      level: 40, msg: 'watching for a clear of the fault rules by another replica failed', err: expect.objectContaining({ message: 'connection terminated' }),
    })]);

    // Shutdown: close() comes before the database closes; a look that fails then is the database going.
    lines.length = 0;
    looks = 0;
    const waiting = rules.sleep(200);
    await new Promise((r) => setTimeout(r, 5)); // the first look done, the poll pending
    rules.close();
    await waiting;
    expect(looks).toBe(1); // no look after close()
    const failing = new FaultRules(Object.assign(new FakeFaultRuleStore(), {
      clears: async () => {
        failing.close(); // the database closes while the look is under way
        throw new Error('aborted: the pool is destroyed');
      },
    }), warnLog, { shared: true, clearPollMs: 10 });
    await failing.sleep(50);
    expect(lines).toEqual([]);
  });

  it('checks rules as the API receives them', () => {
    expect(checkRule({ target: 'volume.create', action: 'fail' })).toBeNull();
    expect(checkRule({ target: 'volume.create', action: 'delay' })).toMatch(/delay_ms/);
    expect(checkRule({ target: 'volume.create', action: 'fail', status: 500 })).toMatch(/status/);
    expect(checkRule({ target: 'api', action: 'fail', status: 302 })).toMatch(/400 to 599/);
    expect(checkRule({ target: 'volume.create', action: 'fail', service: 'compute' })).toMatch(/api rules/);
    expect(checkRule({ target: 'bogus' as any, action: 'fail' })).toMatch(/target must be one of/);
  });

  it('maps job kinds to targets; exports and imports are checked mid-way instead', () => {
    expect(targetOfJob('compute.server.build')).toBe('server.build');
    expect(targetOfJob('snapshot.create')).toBe('snapshot.create');
    expect(targetOfJob('archive.export')).toBeNull();
    expect(targetOfJob('something.else')).toBeNull();
  });
});
