/**
 * What the API-call fault check costs a replica (SNAPSTACK_REPLICA=1): no statement of its own
 * while no rule matches. The rules' epoch rides along the identity epoch the token cache reads
 * anyway (one statement reads both); the rules themselves are read again once after a change.
 */
import { startHarness, type Harness, type Session } from '../../support/snapstack-harness';

jest.setTimeout(120_000);

describe('the fault check of API calls in a replica', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ replica: true });
  });
  afterAll(() => h?.stop());

  /** The statements `n` flavor lists (10 clients at once) send. */
  async function statementsOf(who: Session, n: number): Promise<string[]> {
    const sqls: string[] = [];
    const on = (q: { sql: string }) => sqls.push(q.sql);
    h.app.db.on('query', on);
    try {
      await Promise.all(Array.from({ length: 10 }, async () => {
        for (let i = 0; i < n / 10; i++) {
          const res = await who.request('GET', '/compute/v2.1/flavors/detail');
          if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
        }
      }));
    } finally {
      h.app.db.off('query', on);
    }
    return sqls;
  }
  const onRules = (sqls: string[]) => sqls.filter((s) => s.includes('fault_rules'));
  const epochReads = (sqls: string[]) => sqls.filter((s) => /from "settings"/.test(s));

  it('sends no statement about fault rules per request, and reads the rules again once after a change', async () => {
    const demo = await h.login('demo');
    const admin = await h.login('admin');
    await statementsOf(demo, 20); // warm: the token cached, the (empty) rules read
    const quiet = await statementsOf(demo, 100);
    expect(onRules(quiet)).toEqual([]);
    // At most one epoch read per request (shared by concurrent ones), reading both epochs at once.
    expect(epochReads(quiet).length).toBeLessThanOrEqual(100);
    expect(epochReads(quiet).every((s) => s.includes('"key" in'))).toBe(true);

    // A rule for another service: one read of the rules after the change, then none again.
    expect((await admin.request('POST', '/snapstack/v1/faults', { fault: { target: 'api', action: 'fail', service: 'image' } })).status).toBe(201);
    const changed = await statementsOf(demo, 100);
    expect(onRules(changed).length).toBe(1);
    expect(onRules(await statementsOf(demo, 100))).toEqual([]);
  });
});
