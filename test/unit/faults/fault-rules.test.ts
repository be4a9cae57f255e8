import { applyFault, checkRule, FaultRules, InjectedFailure, targetOfJob } from '../../../src/faults/fault-rules';
import { mapError } from '../../../src/http/error-mappers';

describe('fault rules', () => {
  it('applies a rule to the next N matching operations, then forgets it', () => {
    const rules = new FaultRules();
    rules.add({ target: 'snapshot.create', action: 'fail', count: 2 });
    const point = { target: 'snapshot.create' as const, projectId: 'p1' };
    expect(rules.decide({ target: 'volume.create', projectId: 'p1' }).fail).toBeNull();
    expect(rules.decide(point).fail?.message).toBe('Injected fault: snapshot creation failed.');
    expect(rules.list()[0].remaining).toBe(1);
    expect(rules.decide(point).fail).not.toBeNull();
    expect(rules.list()).toEqual([]);
    expect(rules.decide(point).fail).toBeNull();
  });

  it('scopes a rule to a project, and an api rule to a service and operation', () => {
    const rules = new FaultRules();
    rules.add({ target: 'volume.create', action: 'fail', project_id: 'p1' });
    expect(rules.decide({ target: 'volume.create', projectId: 'p2' }).fail).toBeNull();
    expect(rules.decide({ target: 'volume.create', projectId: 'p1' }).fail).not.toBeNull();
    rules.add({ target: 'api', action: 'fail', status: 409, service: 'compute', operation_id: 'createServer' });
    expect(rules.decide({ target: 'api', projectId: 'p1', service: 'volume', operationId: 'createServer' }).fail).toBeNull();
    expect(rules.decide({ target: 'api', projectId: 'p1', service: 'compute', operationId: 'listServers' }).fail).toBeNull();
    expect(rules.decide({ target: 'api', projectId: 'p1', service: 'compute', operationId: 'createServer' }).fail).toMatchObject({ status: 409 });
  });

  it('gives a delay and a failure together, each rule once', () => {
    const rules = new FaultRules();
    rules.add({ target: 'server.build', action: 'delay', delay_ms: 50 });
    rules.add({ target: 'server.build', action: 'fail', message: 'No valid host was found.' });
    const d = rules.decide({ target: 'server.build', projectId: null });
    expect(d).toEqual({ delayMs: 50, fail: expect.objectContaining({ message: 'No valid host was found.' }) });
  });

  it('throws an InjectedFailure the error mappers shape as the service does', async () => {
    const rules = new FaultRules();
    rules.add({ target: 'api', action: 'fail', status: 503, message: 'busy' });
    const err = await applyFault(rules, { target: 'api', projectId: null }).catch((e) => e);
    expect(err).toBeInstanceOf(InjectedFailure);
    expect(mapError('cinder', err)).toMatchObject({ status: 503, body: { serviceUnavailable: { code: 503, message: 'busy' } } });
    await expect(applyFault(undefined, { target: 'api', projectId: null })).resolves.toBeUndefined();
  });

  it('ends every delay under way when cleared', async () => {
    const rules = new FaultRules();
    const started = Date.now();
    const waiting = rules.sleep(60_000);
    rules.clear();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
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
