import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { GLANCE, randomName } from '../../../support/compute-helpers';

let h: Harness;
let demo: Session;
let alt: Session;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt] = await Promise.all([h.login('demo'), h.login('alt_demo')]);
});
afterAll(async () => h?.stop());

async function sharedImage(visibility = 'shared') {
  const res = await demo.request('POST', `${GLANCE}/images`, { name: randomName('shared'), visibility });
  expect(res.status).toBe(201);
  return res.body;
}

const ids = (r: any) => r.body.images.map((i: any) => i.id);

test('sharing: pending members may show the image, accepted ones list it, rejected ones do not', async () => {
  const img = await sharedImage();
  const members = `${GLANCE}/images/${img.id}/members`;
  expect((await alt.request('GET', `${GLANCE}/images/${img.id}`)).status).toBe(404);

  const added = await demo.request('POST', members, { member: alt.projectId });
  expect(added.status).toBe(200);
  expect(added.body).toMatchObject({ image_id: img.id, member_id: alt.projectId, status: 'pending', schema: '/v2/schemas/member' });
  expect((await demo.request('POST', members, { member: alt.projectId })).status).toBe(409);

  expect((await alt.request('GET', `${GLANCE}/images/${img.id}`)).status).toBe(200);
  expect(ids(await alt.request('GET', `${GLANCE}/images`))).not.toContain(img.id);
  expect(ids(await alt.request('GET', `${GLANCE}/images?visibility=shared&member_status=pending`))).toContain(img.id);

  // Only the member decides.
  const ownerAccepts = await demo.request('PUT', `${members}/${alt.projectId}`, { status: 'accepted' });
  expect(ownerAccepts.status).toBe(403);
  const accepted = await alt.request('PUT', `${members}/${alt.projectId}`, { status: 'accepted' });
  expect(accepted.status).toBe(200);
  expect(accepted.body.status).toBe('accepted');
  expect(ids(await alt.request('GET', `${GLANCE}/images`))).toContain(img.id);
  expect(ids(await alt.request('GET', `${GLANCE}/images?visibility=shared`))).toContain(img.id);
  expect((await alt.request('PUT', `${members}/${alt.projectId}`, { status: 'bogus' })).status).toBe(400);

  const listOwner = await demo.request('GET', members);
  expect(listOwner.body).toMatchObject({ schema: '/v2/schemas/members' });
  expect(listOwner.body.members.map((m: any) => m.member_id)).toEqual([alt.projectId]);
  expect((await alt.request('GET', `${members}/${alt.projectId}`)).body.status).toBe('accepted');
  expect((await alt.request('POST', members, { member: demo.projectId })).status).toBe(403);
  expect((await alt.request('DELETE', `${members}/${alt.projectId}`)).status).toBe(403);

  await alt.request('PUT', `${members}/${alt.projectId}`, { status: 'rejected' });
  expect(ids(await alt.request('GET', `${GLANCE}/images`))).not.toContain(img.id);

  expect((await demo.request('DELETE', `${members}/${alt.projectId}`)).status).toBe(204);
  expect((await alt.request('GET', `${GLANCE}/images/${img.id}`)).status).toBe(404);
  expect((await demo.request('GET', `${members}/${alt.projectId}`)).status).toBe(404);
});

test('only shared images have members', async () => {
  const img = await sharedImage('private');
  const res = await demo.request('POST', `${GLANCE}/images/${img.id}/members`, { member: alt.projectId });
  expect(res.status).toBe(403);
  expect(res.body.message).toBe('Only shared images have members.');
});
