/**
 * What the API-call fault check costs a replica (SNAPSTACK_REPLICA=1): no statement of its own
 * while no rule matches. The rules' epoch rides along the identity epoch the token cache reads
 * anyway (one statement reads both); the rules themselves are read again once after a change.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startSnapstack, type Snapstack } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { request } from '../../support/snapstack-harness';
import { login } from '../../support/replica-helpers';

jest.setTimeout(120_000);

describe('the fault check of API calls in a replica', () => {
  let database: TestDatabase;
  let app: Snapstack;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-fault-cost-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ ...process.env, DATABASE_URL: database.url, SNAPSTACK_REPLICA: '1' }, {
      host: '127.0.0.1', port: 0, dataDir, adminPassword: 'admin-secret', demoPassword: 'demo-secret', altDemoPassword: 'alt-secret',
    });
    app = await startSnapstack(config, { logger: createLogger('silent') });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The statements `n` flavor lists (10 clients at once) send. */
  async function statementsOf(token: string, n: number): Promise<string[]> {
    const sqls: string[] = [];
    const on = (q: { sql: string }) => sqls.push(q.sql);
    app.db.on('query', on);
    try {
      await Promise.all(Array.from({ length: 10 }, async () => {
        for (let i = 0; i < n / 10; i++) {
          const res = await request(app.url, 'GET', '/compute/v2.1/flavors/detail', undefined, { 'X-Auth-Token': token });
          if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
        }
      }));
    } finally {
      app.db.off('query', on);
    }
    return sqls;
  }
  const onRules = (sqls: string[]) => sqls.filter((s) => s.includes('fault_rules'));
  const epochReads = (sqls: string[]) => sqls.filter((s) => /from "settings"/.test(s));

  it('sends no statement about fault rules per request, and reads the rules again once after a change', async () => {
    const demo = await login(app.url, 'demo', 'demo-secret');
    const admin = await login(app.url, 'admin', 'admin-secret');
    await statementsOf(demo.token, 20); // warm: the token cached, the (empty) rules read
    const quiet = await statementsOf(demo.token, 100);
    expect(onRules(quiet)).toEqual([]);
    // At most one epoch read per request (shared by concurrent ones), reading both epochs at once.
    expect(epochReads(quiet).length).toBeLessThanOrEqual(100);
    expect(epochReads(quiet).every((s) => s.includes('"key" in'))).toBe(true);

    // A rule for another service: one read of the rules after the change, then none again.
    expect((await request(app.url, 'POST', '/snapstack/v1/faults', { fault: { target: 'api', action: 'fail', service: 'image' } }, { 'X-Auth-Token': admin.token })).status).toBe(201);
    const changed = await statementsOf(demo.token, 100);
    expect(onRules(changed).length).toBe(1);
    expect(onRules(await statementsOf(demo.token, 100))).toEqual([]);
  });
});
