/**
 * `limit` and `offset` as each service reads them (one parser, src/http/integer-query.ts, each
 * service's rule): Nova's query schema refuses an empty or non-digit value with the validator's
 * words; Cinder and Glance take Python's int() (spaces, a sign) and answer in their own words.
 */
import { randomUUID } from 'crypto';
import { COMPUTE, GLANCE, mv, randomName } from '../../../support/compute-helpers';
import { Harness, Session, startHarness } from '../../../support/snapstack-harness';
import { V } from '../volume/volume-test-helpers';

let h: Harness;
let demo: Session;

beforeAll(async () => {
  h = await startHarness();
  demo = await h.login('demo');
});
afterAll(async () => {
  await h?.stop();
});

const novaRefusal = (name: string, value: string, why: string) => ({ badRequest: { code: 400, message: `Invalid input for query parameters ${name}. Value: ${value}. ${why}` } });
const emptyRefused = (name: string) => novaRefusal(name, '', "'' should be non-empty");
const patternRefused = (name: string, value: string) => novaRefusal(name, value, `'${value}' does not match '^[0-9]*$'`);

describe('Nova: the query schema (non_negative_integer)', () => {
  const server = randomUUID();
  const lists: Array<[string, string, Record<string, string>, string[]]> = [
    ['servers', `${COMPUTE}/servers`, {}, ['limit']],
    ['flavors', `${COMPUTE}/flavors`, {}, ['limit']],
    ['key pairs (2.35)', `${COMPUTE}/os-keypairs`, mv('2.35'), ['limit']],
    ['server groups', `${COMPUTE}/os-server-groups`, {}, ['limit', 'offset']],
    // The query is checked before the server is looked up, as Nova's decorator does.
    ['volume attachments', `${COMPUTE}/servers/${server}/os-volume_attachments`, {}, ['limit', 'offset']],
    ['instance actions (2.58)', `${COMPUTE}/servers/${server}/os-instance-actions`, mv('2.58'), ['limit']],
    ['images (proxy)', `${COMPUTE}/images`, {}, ['limit']],
  ];
  test.each(lists)('%s: an empty or non-digit value is a 400 in the validator\'s words', async (_what, path, headers, names) => {
    for (const name of names) {
      expect(await demo.request('GET', `${path}?${name}=`, undefined, headers)).toMatchObject({ status: 400, body: emptyRefused(name) });
      expect(await demo.request('GET', `${path}?${name}=-1`, undefined, headers)).toMatchObject({ status: 400, body: patternRefused(name, '-1') });
      expect(await demo.request('GET', `${path}?${name}=%201`, undefined, headers)).toMatchObject({ status: 400, body: patternRefused(name, ' 1') });
    }
  });

  test('a valid value passes the schema: an unknown server is then a 404', async () => {
    expect((await demo.request('GET', `${COMPUTE}/servers/${server}/os-volume_attachments?limit=1&offset=0`)).status).toBe(404);
  });

  test('limit=0: common.limited reads it as max_limit (server groups), get_limit_and_marker as an empty page (key pairs)', async () => {
    const groups: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await demo.request('POST', `${COMPUTE}/os-server-groups`, { server_group: { name: randomName('pg'), policies: ['affinity'] } });
      expect(res.status).toBe(200);
      groups.push(res.body.server_group.id);
    }
    const keypair = randomName('pk');
    expect((await demo.request('POST', `${COMPUTE}/os-keypairs`, { keypair: { name: keypair } }, mv('2.35'))).status).toBe(201);
    try {
      const listed = (await demo.request('GET', `${COMPUTE}/os-server-groups?limit=0`)).body.server_groups.map((g: any) => g.id);
      expect(listed).toEqual(expect.arrayContaining(groups));
      const skipped = (await demo.request('GET', `${COMPUTE}/os-server-groups?offset=1`)).body.server_groups;
      expect(skipped).toHaveLength(listed.length - 1);
      const none = await demo.request('GET', `${COMPUTE}/os-keypairs?limit=0`, undefined, mv('2.35'));
      expect(none.body).toEqual({ keypairs: [] });
      expect((await demo.request('GET', `${COMPUTE}/os-keypairs?limit=1`, undefined, mv('2.35'))).body.keypairs).toHaveLength(1);
    } finally {
      for (const g of groups) await demo.request('DELETE', `${COMPUTE}/os-server-groups/${g}`);
      await demo.request('DELETE', `${COMPUTE}/os-keypairs/${keypair}`, undefined, mv('2.35'));
    }
  });
});

describe('Cinder: int() with its own words', () => {
  const cinderRefusal = (message: string) => ({ status: 400, body: { badRequest: { code: 400, message } } });
  test.each(['volumes', 'volumes/detail', 'snapshots'])('%s', async (coll) => {
    const list = (q: string) => demo.request('GET', V(`/${coll}?${q}`));
    expect(await list('limit=')).toMatchObject(cinderRefusal('limit param must be an integer'));
    expect(await list('limit=1.5')).toMatchObject(cinderRefusal('limit param must be an integer'));
    expect(await list('limit=-1')).toMatchObject(cinderRefusal('limit param must be positive'));
    expect(await list('offset=')).toMatchObject(cinderRefusal('offset must be an integer'));
    expect(await list('offset=x')).toMatchObject(cinderRefusal('offset must be an integer'));
    expect(await list('offset=-1')).toMatchObject(cinderRefusal('offset must be >= 0'));
    expect(await list('offset=2147483648')).toMatchObject(cinderRefusal('offset must be <= 2147483647'));
    // int() takes spaces around the number and a sign.
    expect((await list('limit=%202%20&offset=+0')).status).toBe(200);
  });
});

describe('Glance: int() with its own words', () => {
  const glanceRefusal = (message: string) => ({ status: 400, text: expect.stringContaining(message) });
  test.each([`${GLANCE}/images`, `${GLANCE}/metadefs/namespaces`])('%s', async (path) => {
    expect(await demo.request('GET', `${path}?limit=`)).toMatchObject(glanceRefusal('limit param must be an integer'));
    expect(await demo.request('GET', `${path}?limit=-1`)).toMatchObject(glanceRefusal('limit param must be positive'));
    expect((await demo.request('GET', `${path}?limit=%201`)).status).toBe(200);
  });
});
