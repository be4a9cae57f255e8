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

test("only shared images have members, in Glance's words per call (show hides it as a 404)", async () => {
  const img = await sharedImage('private');
  const members = `${GLANCE}/images/${img.id}/members`;
  expect(await demo.request('POST', members, { member: alt.projectId })).toMatchObject({ status: 403, body: { message: `Not allowed to create members for image ${img.id}.` } });
  expect(await demo.request('GET', members)).toMatchObject({ status: 403, body: { message: `Not allowed to list members for image ${img.id}: Only shared images have members.` } });
  expect(await demo.request('GET', `${members}/${alt.projectId}`)).toMatchObject({ status: 404, body: { message: 'Only shared images have members.' } });
  expect(await demo.request('PUT', `${members}/${alt.projectId}`, { status: 'accepted' })).toMatchObject({ status: 403, body: { message: `Not allowed to update members for image ${img.id}.` } });
  expect(await demo.request('DELETE', `${members}/${alt.projectId}`)).toMatchObject({ status: 403, body: { message: `Not allowed to delete members for image ${img.id}.` } });
});

test("members: Glance's messages for a duplicate, an unknown member, the owner deciding, a bad status, a member deleting", async () => {
  const img = await sharedImage();
  const members = `${GLANCE}/images/${img.id}/members`;
  const mine = `${members}/${alt.projectId}`;
  expect((await demo.request('POST', members, { member: alt.projectId })).status).toBe(200);
  expect(await demo.request('POST', members, { member: alt.projectId })).toMatchObject({ status: 409, body: { message: `Member ${alt.projectId} is duplicated for image ${img.id}` } });
  // OSC's `image set --accept` as the owner asks for the owner's own membership.
  expect(await demo.request('PUT', `${members}/${demo.projectId}`, { status: 'accepted' })).toMatchObject({ status: 404, body: { message: `${demo.projectId} not found in the member list of the image ${img.id}.` } });
  expect(await demo.request('GET', `${members}/nobody`)).toMatchObject({ status: 404, body: { message: `nobody not found in the member list of the image ${img.id}.` } });
  // modify_member is the shared member's (or an admin's), and the status is checked after it.
  expect(await demo.request('PUT', mine, { status: 'accepted' })).toMatchObject({ status: 403, body: { message: `Not allowed to update members for image ${img.id}.` } });
  expect(await demo.request('PUT', mine, { status: 'bogus' })).toMatchObject({ status: 403 });
  expect(await alt.request('PUT', mine, { status: 'bogus' })).toMatchObject({ status: 400, body: { message: 'Incorrect request: Status must be "pending", "accepted" or "rejected".' } });
  expect(await alt.request('POST', members, { member: demo.projectId })).toMatchObject({ status: 403, body: { message: `Not allowed to create members for image ${img.id}.` } });
  expect(await alt.request('DELETE', mine)).toMatchObject({ status: 403, body: { message: `Not allowed to delete members for image ${img.id}.` } });
  expect((await alt.request('GET', mine)).body.status).toBe('pending');
});

test("members of an image the caller cannot see: the members controller's 404 'Image <id> not found.'", async () => {
  const img = await sharedImage();
  const members = `${GLANCE}/images/${img.id}/members`;
  const notFound = { status: 404, body: { message: `Image ${img.id} not found.` } };
  expect(await alt.request('GET', members)).toMatchObject(notFound);
  expect(await alt.request('POST', members, { member: alt.projectId })).toMatchObject(notFound);
  expect(await alt.request('PUT', `${members}/${alt.projectId}`, { status: 'accepted' })).toMatchObject(notFound);
  expect(await alt.request('DELETE', `${members}/${alt.projectId}`)).toMatchObject(notFound);
  expect((await demo.request('GET', members)).body.members).toEqual([]);
});
