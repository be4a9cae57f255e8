import { randomUUID } from 'crypto';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { GLANCE, randomName } from '../../../support/compute-helpers';

// Glance's image_tag_quota, image_property_quota and image_member_quota, set low here (128 each by default).
const QUOTAS = { tags: 3, properties: 3, members: 2 };
const PATCH = { 'Content-Type': 'application/openstack-images-v2.1-json-patch' };
const JSON_FIRST = { Accept: 'application/json' };

let h: Harness;
let demo: Session;

beforeAll(async () => {
  h = await startHarness({ imageQuotas: QUOTAS });
  demo = await h.login('demo');
});
afterAll(async () => h?.stop());

const over = (what: string, attempted: number, maximum: number) =>
  `The limit has been exceeded on the number of allowed ${what}. Attempted: ${attempted}, Maximum: ${maximum}`;

async function image(body: Record<string, unknown> = {}) {
  const res = await demo.request('POST', `${GLANCE}/images`, { name: randomName('quota'), ...body });
  expect(res.status).toBe(201);
  return res.body;
}

async function named(name: string) {
  return (await demo.request('GET', `${GLANCE}/images?name=${name}`)).body.images;
}

test('tags: a create, a PATCH and a tag PUT over image_tag_quota are 413 in Glance words; nothing changes', async () => {
  const name = randomName('quota-create');
  const refused = await demo.request('POST', `${GLANCE}/images`, { name, tags: ['a', 'b', 'c', 'd'] }, JSON_FIRST);
  expect(refused.status).toBe(413);
  expect(refused.body).toEqual({ message: over('image tags', 4, 3), code: '413 Request Entity Too Large', title: 'Request Entity Too Large' });
  expect(await named(name)).toEqual([]);

  const img = await image({ tags: ['a', 'b', 'c'] });
  const put = await demo.request('PUT', `${GLANCE}/images/${img.id}/tags/d`, undefined, JSON_FIRST);
  expect(put.status).toBe(413);
  expect(put.body.message).toBe(`Image tag limit exceeded for image ${img.id}: ${over('image tags', 4, 3)}:`);
  // A tag the image already has adds nothing, so it is no new tag to count.
  expect((await demo.request('PUT', `${GLANCE}/images/${img.id}/tags/b`)).status).toBe(204);

  const patch = await demo.request('PATCH', `${GLANCE}/images/${img.id}`, [{ op: 'replace', path: '/tags', value: ['w', 'x', 'y', 'z'] }], { ...PATCH, ...JSON_FIRST });
  expect(patch.status).toBe(413);
  expect(patch.body.message).toBe(over('image tags', 4, 3));
  expect((await demo.request('GET', `${GLANCE}/images/${img.id}`)).body.tags.sort()).toEqual(['a', 'b', 'c']);
});

test('tags added at once never pass the limit together', async () => {
  const img = await image();
  const puts = await Promise.all(['t1', 't2', 't3', 't4', 't5', 't6'].map((t) => demo.request('PUT', `${GLANCE}/images/${img.id}/tags/${t}`)));
  expect(puts.map((r) => r.status).sort()).toEqual([204, 204, 204, 413, 413, 413]);
  expect((await demo.request('GET', `${GLANCE}/images/${img.id}`)).body.tags).toHaveLength(3);
});

test('properties: over image_property_quota on create or when a PATCH adds one is 413; replacing one is not', async () => {
  const name = randomName('quota-props');
  const refused = await demo.request('POST', `${GLANCE}/images`, { name, p1: '1', p2: '2', p3: '3', p4: '4' }, JSON_FIRST);
  expect(refused.status).toBe(413);
  expect(refused.body.message).toBe(over('image properties', 4, 3));
  expect(await named(name)).toEqual([]);

  const img = await image({ p1: '1', p2: '2', p3: '3' });
  const add = await demo.request('PATCH', `${GLANCE}/images/${img.id}`, [{ op: 'add', path: '/p4', value: '4' }], { ...PATCH, ...JSON_FIRST });
  expect(add.status).toBe(413);
  expect(add.body.message).toBe(over('image properties', 4, 3));
  const replace = await demo.request('PATCH', `${GLANCE}/images/${img.id}`, [{ op: 'replace', path: '/p1', value: 'one' }], PATCH);
  expect(replace.status).toBe(200);
  expect(replace.body).toMatchObject({ p1: 'one', p2: '2', p3: '3' });
  expect(replace.body).not.toHaveProperty('p4');
  // One out, another in: the count stays at the limit.
  const swap = await demo.request('PATCH', `${GLANCE}/images/${img.id}`, [{ op: 'remove', path: '/p3' }, { op: 'add', path: '/p5', value: '5' }], PATCH);
  expect(swap.status).toBe(200);
  expect(swap.body).toMatchObject({ p5: '5' });
});

test('members: one over image_member_quota is 413, also when they are added at once', async () => {
  const img = await image({ visibility: 'shared' });
  const members = `${GLANCE}/images/${img.id}/members`;
  for (let i = 0; i < 2; i++) expect((await demo.request('POST', members, { member: randomUUID() })).status).toBe(200);
  const third = await demo.request('POST', members, { member: randomUUID() }, JSON_FIRST);
  expect(third.status).toBe(413);
  expect(third.body.message).toBe(`Image member limit exceeded for image ${img.id}: ${over('image members for this image', 3, 2)}:`);

  const other = await image({ visibility: 'shared' });
  const adds = await Promise.all(Array.from({ length: 5 }, () => demo.request('POST', `${GLANCE}/images/${other.id}/members`, { member: randomUUID() })));
  expect(adds.map((r) => r.status).sort()).toEqual([200, 200, 413, 413, 413]);
  expect((await demo.request('GET', `${GLANCE}/images/${other.id}/members`)).body.members).toHaveLength(2);
});
