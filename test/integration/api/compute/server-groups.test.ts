import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { busyboxImage, COMPUTE, mv, randomName, waitForServer, waitForServerGone } from '../../../support/compute-helpers';

const SG = `${COMPUTE}/os-server-groups`;
let h: Harness;
let demo: Session;
let alt: Session;
let admin: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => { await h?.stop(); });

const boot = (name: string, group: string, extra: Record<string, unknown> = {}) => demo.request('POST', `${COMPUTE}/servers`, {
  server: { name, imageRef: imageId, flavorRef: '1', networks: 'none', ...extra }, 'os:scheduler_hints': { group },
}, mv('2.71'));

describe('os-server-groups', () => {
  test('create, show, list, delete by microversion: policies + metadata below 2.64, policy + rules from it, project/user from 2.13', async () => {
    const old = await demo.request('POST', SG, { server_group: { name: randomName('g'), policies: ['affinity'] } }, mv('2.1'));
    expect(old.status).toBe(200);
    expect(old.body.server_group).toEqual({ id: expect.any(String), name: expect.any(String), policies: ['affinity'], metadata: {}, members: [] });
    const modern = await demo.request('POST', SG, { server_group: { name: randomName('g'), policy: 'anti-affinity', rules: { max_server_per_host: '2' } } }, mv('2.64'));
    expect(modern.status).toBe(200);
    expect(modern.body.server_group).toMatchObject({ policy: 'anti-affinity', rules: { max_server_per_host: 2 }, members: [], project_id: demo.projectId, user_id: demo.userId });
    expect(modern.body.server_group).not.toHaveProperty('policies');
    const shown = await demo.request('GET', `${SG}/${modern.body.server_group.id}`, undefined, mv('2.13'));
    expect(shown.body.server_group).toMatchObject({ policies: ['anti-affinity'], project_id: demo.projectId });
    const listed = (await demo.request('GET', SG, undefined, mv('2.64'))).body.server_groups.map((g: any) => g.id);
    expect(listed).toEqual(expect.arrayContaining([old.body.server_group.id, modern.body.server_group.id]));
    expect((await alt.request('GET', `${SG}/${old.body.server_group.id}`)).status).toBe(404);
    expect((await alt.request('GET', SG)).body.server_groups.map((g: any) => g.id)).not.toContain(old.body.server_group.id);
    expect((await admin.request('GET', `${SG}?all_projects=True`)).body.server_groups.map((g: any) => g.id)).toContain(old.body.server_group.id);
    expect((await demo.request('GET', `${SG}?limit=1&offset=1`)).body.server_groups).toHaveLength(1);
    for (const g of [old, modern]) expect((await demo.request('DELETE', `${SG}/${g.body.server_group.id}`)).status).toBe(204);
    const gone = await demo.request('GET', `${SG}/${old.body.server_group.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.itemNotFound.message).toBe(`Instance group ${old.body.server_group.id} could not be found.`);
  });

  test('validation as Nova: soft policies from 2.15, rules only with anti-affinity, one policy, the quota of 10 groups', async () => {
    const create = (body: unknown, v: string) => demo.request('POST', SG, { server_group: body }, mv(v));
    expect((await create({ name: 'x', policies: ['soft-affinity'] }, '2.14')).status).toBe(400);
    const soft = await create({ name: randomName('soft'), policies: ['soft-affinity'] }, '2.15');
    expect(soft.status).toBe(200);
    const rules = await create({ name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } }, '2.64');
    expect(rules.status).toBe(400);
    expect(rules.body.badRequest.message).toBe('Only anti-affinity policy supports rules.');
    expect((await create({ name: 'x', policies: ['affinity', 'anti-affinity'] }, '2.1')).status).toBe(400);
    expect((await create({ name: 'x', policies: ['affinity'] }, '2.64')).status).toBe(400);
    expect((await create({ name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 0 } }, '2.64')).status).toBe(400);
    const made = [soft.body.server_group.id];
    for (let i = 1; i < 10; i++) made.push((await create({ name: randomName('q'), policies: ['affinity'] }, '2.1')).body.server_group.id);
    const over = await create({ name: 'x', policies: ['affinity'] }, '2.1');
    expect(over.status).toBe(403);
    expect(over.body.forbidden.message).toBe('Quota exceeded, too many server groups.');
    for (const id of made) await demo.request('DELETE', `${SG}/${id}`);
  });

  test('the group hint: members shown; a second anti-affinity member is refused by the one host (ERROR, No valid host); affinity fits', async () => {
    const anti = (await demo.request('POST', SG, { server_group: { name: randomName('anti'), policies: ['anti-affinity'] } })).body.server_group.id;
    const first = await boot(randomName('a1'), anti);
    expect(first.status).toBe(202);
    const firstId = first.body.server.id;
    const active = await waitForServer(demo, firstId, ['ACTIVE'], mv('2.71'));
    expect(active.server_groups).toEqual([anti]);
    const second = await boot(randomName('a2'), anti);
    expect(second.status).toBe(202);
    const refused = await waitForServer(demo, second.body.server.id, ['ERROR']);
    expect(refused.fault).toMatchObject({ code: 500, message: 'No valid host was found. There are not enough hosts available.' });
    const actions = (await demo.request('GET', `${COMPUTE}/servers/${second.body.server.id}/os-instance-actions/${second.headers.get('x-compute-request-id')}`, undefined, mv('2.51'))).body.instanceAction;
    expect(actions).toMatchObject({ action: 'create', message: 'Error', events: [expect.objectContaining({ result: 'Error' })] });
    expect((await demo.request('GET', `${SG}/${anti}`)).body.server_group.members.sort()).toEqual([firstId, second.body.server.id].sort());

    const affinity = (await demo.request('POST', SG, { server_group: { name: randomName('aff'), policies: ['affinity'] } })).body.server_group.id;
    const pair = await boot(randomName('aff'), affinity, { min_count: 2 });
    expect(pair.status).toBe(202);
    const members = (await demo.request('GET', `${SG}/${affinity}`)).body.server_group.members;
    expect(members).toHaveLength(2);
    for (const id of members) await waitForServer(demo, id, ['ACTIVE']);

    const unknown = await boot(randomName('u'), '6b9d2f0e-2c1e-4d6a-9a51-0e0b4c1c2d3e');
    expect(unknown.status).toBe(400);
    expect(unknown.body.badRequest.message).toBe('Instance group 6b9d2f0e-2c1e-4d6a-9a51-0e0b4c1c2d3e could not be found.');

    // A deleted member leaves the group's members; the group deletes with members left.
    const ids = [firstId, second.body.server.id, ...members];
    for (const id of ids) await demo.request('DELETE', `${COMPUTE}/servers/${id}`);
    for (const id of ids) await waitForServerGone(demo, id);
    expect((await demo.request('GET', `${SG}/${anti}`)).body.server_group.members).toEqual([]);
    for (const g of [anti, affinity]) expect((await demo.request('DELETE', `${SG}/${g}`)).status).toBe(204);
  });
});
