import { instanceCounts, multiplyPlan, ServerPlan } from '../../../src/compute/server-create';
import { hostnameOf, sanitizeHostname } from '../../../src/compute/server-views';

const plan = {
  server: { id: 's-0', name: 'Web Server', reservation_id: 'r-abcdefgh', launch_index: 0, hostname: null },
  blockDevices: [{ id: 'b-0', server_id: 's-0', boot_index: 0 }],
  adminPass: 'pw', securityGroups: [{ name: 'default' }], count: { min: 1, max: 3 },
} as unknown as ServerPlan;

describe('multiple create (nova/compute/api.py)', () => {
  test('min_count and max_count as Nova reads them', () => {
    expect(instanceCounts({})).toEqual({ min: 1, max: 1 });
    expect(instanceCounts({ min_count: 2 })).toEqual({ min: 2, max: 2 });
    expect(instanceCounts({ min_count: '1', max_count: '3' })).toEqual({ min: 1, max: 3 });
    expect(() => instanceCounts({ min_count: 3, max_count: 2 })).toThrow('min_count must be <= max_count');
    expect(() => instanceCounts({ max_count: 0 })).toThrow('0 is less than the minimum of 1');
    expect(() => instanceCounts({ min_count: 'x' })).toThrow("'x' does not match '^[0-9]*$'");
  });

  test('one plan stays as it is; n plans share the reservation, with their own ids, launch indexes, and -1..-n names and hostnames', () => {
    expect(multiplyPlan(plan, 1)).toEqual([plan]);
    const many = multiplyPlan(plan, 3);
    expect(many.map((p) => p.server.id)[0]).toBe('s-0');
    expect(new Set(many.map((p) => p.server.id)).size).toBe(3);
    expect(many.map((p) => p.server.name)).toEqual(['Web Server-1', 'Web Server-2', 'Web Server-3']);
    expect(many.map((p) => p.server.hostname)).toEqual(['web-server-1', 'web-server-2', 'web-server-3']);
    expect(many.map((p) => p.server.launch_index)).toEqual([0, 1, 2]);
    expect(new Set(many.map((p) => p.server.reservation_id))).toEqual(new Set(['r-abcdefgh']));
    for (const p of many) expect(p.blockDevices.every((b) => b.server_id === p.server.id && b.id !== 'b-0')).toBe(true);
  });

  test('a name that makes no hostname: each server is Server-<its id>, unsuffixed', () => {
    const many = multiplyPlan({ ...plan, server: { ...plan.server, name: '!!' } } as ServerPlan, 2);
    expect(many.map((p) => p.server.hostname)).toEqual(many.map((p) => `Server-${p.server.id}`));
    expect(many.map((p) => p.server.name)).toEqual(['!!-1', '!!-2']);
  });
});

describe("Nova's sanitize_hostname (nova/utils.py)", () => {
  test.each([
    ['Web Server', 'web-server'],
    ['my_host.example', 'my-host-example'],
    ['a  b', 'a--b'],
    ['a+b=c', 'abc'],
    ['..-Trim-..', 'trim'],
    ['Café Ünïcode', 'café-ünïcode'],
    ['日本 host', 'host'],
    ['x'.repeat(70), 'x'.repeat(63)],
    ['!!', ''],
  ])('%j -> %j', (name, want) => expect(sanitizeHostname(name)).toBe(want));

  test('nothing left: Server-<id>', () => {
    expect(hostnameOf('***', 'abc')).toBe('Server-abc');
    expect(hostnameOf('Web', 'abc')).toBe('web');
  });
});
