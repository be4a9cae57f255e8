import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { bootServer, busyboxImage, COMPUTE, mv, randomName } from '../../../support/compute-helpers';

const V = mv('2.26');
let h: Harness;
let demo: Session;
let alt: Session;
let imageId: string;
let serverId: string;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt] = await Promise.all([h.login('demo'), h.login('alt_demo')]);
  imageId = (await busyboxImage(demo)).id;
  serverId = (await bootServer(demo, { name: randomName('tags'), imageRef: imageId, flavorRef: '1', networks: 'none' })).id;
});
afterAll(async () => { await h?.stop(); });

const tags = (id = serverId) => `${COMPUTE}/servers/${id}/tags`;

describe('server tags (2.26)', () => {
  test('add (201 with Location, then 204), check, list, in the server view, delete one, replace all, delete all', async () => {
    expect((await demo.request('GET', tags(), undefined, V)).body).toEqual({ tags: [] });
    const added = await demo.request('PUT', `${tags()}/web`, undefined, V);
    expect(added.status).toBe(201);
    expect(added.headers.get('location')).toBe(`${h.url}/compute/v2.1/servers/${serverId}/tags/web`);
    expect((await demo.request('PUT', `${tags()}/web`, undefined, V)).status).toBe(204);
    expect((await demo.request('GET', `${tags()}/web`, undefined, V)).status).toBe(204);
    const missing = await demo.request('GET', `${tags()}/db`, undefined, V);
    expect(missing.status).toBe(404);
    expect(missing.body.itemNotFound.message).toBe(`Server ${serverId} has no tag 'db'`);
    expect((await demo.request('GET', `${COMPUTE}/servers/${serverId}`, undefined, V)).body.server.tags).toEqual(['web']);
    expect((await demo.request('GET', `${COMPUTE}/servers/${serverId}`, undefined, mv('2.25'))).body.server).not.toHaveProperty('tags');

    const replaced = await demo.request('PUT', tags(), { tags: ['b', 'a', 'b'] }, V);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ tags: ['a', 'b'] });
    expect((await demo.request('DELETE', `${tags()}/a`, undefined, V)).status).toBe(204);
    const gone = await demo.request('DELETE', `${tags()}/a`, undefined, V);
    expect(gone.status).toBe(404);
    expect(gone.body.itemNotFound.message).toBe(`Instance ${serverId} has no tag 'a'`);
    expect((await demo.request('GET', tags(), undefined, V)).body.tags).toEqual(['b']);
    expect((await demo.request('DELETE', tags(), undefined, V)).status).toBe(204);
    expect((await demo.request('GET', tags(), undefined, V)).body.tags).toEqual([]);
  });

  test('limits and validation as Nova: 50 tags, 60 characters, no "," or "/", 404 below 2.26 and for another project', async () => {
    const tooLong = 'x'.repeat(61);
    const long = await demo.request('PUT', `${tags()}/${tooLong}`, undefined, V);
    expect(long.status).toBe(400);
    expect(long.body.badRequest.message).toBe(`Tag '${tooLong}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: '${tooLong}' is too long`);
    expect((await demo.request('PUT', `${tags()}/a,b`, undefined, V)).status).toBe(400);
    expect((await demo.request('PUT', tags(), { tags: ['a/b'] }, V)).status).toBe(400);
    const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
    expect((await demo.request('PUT', tags(), { tags: [...fifty, 'one-more'] }, V)).status).toBe(400);
    expect((await demo.request('PUT', tags(), { tags: fifty }, V)).status).toBe(200);
    const over = await demo.request('PUT', `${tags()}/one-more`, undefined, V);
    expect(over.status).toBe(400);
    expect(over.body.badRequest.message).toBe('The number of tags exceeded the per-server limit 50');
    expect((await demo.request('DELETE', tags(), undefined, V)).status).toBe(204);

    expect((await demo.request('GET', tags(), undefined, mv('2.25'))).status).toBe(404);
    expect((await alt.request('GET', tags(), undefined, V)).status).toBe(404);
    expect((await alt.request('PUT', `${tags()}/x`, undefined, V)).status).toBe(404);
  });

  test('tags at create from 2.52 (refused below), and the list filters tags, tags-any, not-tags, not-tags-any', async () => {
    const early = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('t'), imageRef: imageId, flavorRef: '1', networks: 'none', tags: ['a'] } }, mv('2.51'));
    expect(early.status).toBe(400);
    expect(early.body.badRequest.message).toContain("('tags' was unexpected)");
    const prefix = randomName('flt');
    const make = async (suffix: string, t: string[]) => {
      const res = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: `${prefix}-${suffix}`, imageRef: imageId, flavorRef: '1', networks: 'none', tags: t } }, mv('2.52'));
      expect(res.status).toBe(202);
      return res.body.server.id as string;
    };
    const ab = await make('ab', ['a', 'b']);
    const a = await make('a', ['a']);
    const c = await make('c', ['c']);
    expect((await demo.request('GET', `${COMPUTE}/servers/${ab}`, undefined, mv('2.52'))).body.server.tags).toEqual(['a', 'b']);
    const names = async (query: string, version = V) => {
      const res = await demo.request('GET', `${COMPUTE}/servers/detail?name=^${prefix}&${query}`, undefined, version);
      expect(res.status).toBe(200);
      return res.body.servers.map((s: any) => s.name.slice(prefix.length + 1)).sort();
    };
    expect(await names('tags=a,b')).toEqual(['ab']);
    expect(await names('tags=a')).toEqual(['a', 'ab']);
    expect(await names('tags-any=b,c')).toEqual(['ab', 'c']);
    expect(await names('not-tags=a,b')).toEqual(['a', 'c']);
    expect(await names('not-tags-any=a')).toEqual(['c']);
    expect(await names('tags=a&not-tags-any=b')).toEqual(['a']);
    // Below 2.26 the filters are not Nova's (ignored).
    expect(await names('tags=zzz', mv('2.25'))).toEqual(['a', 'ab', 'c']);
    for (const id of [ab, a, c]) await demo.request('DELETE', `${COMPUTE}/servers/${id}`);
  });
});
