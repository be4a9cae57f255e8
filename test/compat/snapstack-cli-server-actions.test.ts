// `snapstack`'s server action commands (issue 11) against a harness server, beside the real
// `openstack` client where both print the same thing.
import { startHarness, Harness, Session } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import { snapstackCli, snapstackJson } from '../support/snapstack-cli';
import { bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, randomName, waitForServer } from '../support/compute-helpers';

jest.setTimeout(300_000);

const { demo } = CLI_USERS;
let h: Harness;
let api: Session;
let imageId: string;

beforeAll(async () => {
  h = await startHarness();
  api = await h.login('demo');
  imageId = (await busyboxImage(api)).id;
});
afterAll(async () => {
  await h?.stop();
});

async function ok(args: string[]): Promise<string> {
  const r = await snapstackCli(h.url, args, { user: demo });
  if (r.code !== 0) throw new Error(`snapstack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
const status = async (id: string) => (await api.request('GET', `${COMPUTE}/servers/${id}`)).body.server.status;

test('pause/unpause/lock/unlock/shelve/unshelve/resize --wait, console log show as openstack prints it', async () => {
  const s = await bootServer(api, { imageRef: imageId });
  // suspend and resume are the same command shape (multiServerCommand) as pause and unpause.
  for (const [verb, target] of [['pause', 'PAUSED'], ['unpause', 'ACTIVE']]) {
    await ok(['server', verb, '--wait', s.name]);
    expect(await status(s.id)).toBe(target);
  }
  await ok(['server', 'lock', '--reason', 'frozen', s.name]);
  const refused = await snapstackCli(h.url, ['server', 'pause', s.name], { user: demo });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`Instance ${s.id} is locked`);
  await ok(['server', 'unlock', s.name]);

  await dockerExec((await containerOf(h.app.instanceId, s.id))!.Id, 'printf "a\\nb\\n" > /proc/1/fd/1');
  for (const args of [['console', 'log', 'show', s.name], ['console', 'log', 'show', '--lines', '2', s.name]]) {
    const theirs = await openstack(h.url, demo, args);
    expect(await ok(args)).toBe(theirs.stdout);
  }

  await ok(['server', 'shelve', '--wait', s.name]);
  expect(await status(s.id)).toBe('SHELVED_OFFLOADED');
  await ok(['server', 'unshelve', '--wait', s.name]);
  expect(await status(s.id)).toBe('ACTIVE');
  await ok(['server', 'resize', '--flavor', 'm1.small', '--wait', s.name]);
  expect(await status(s.id)).toBe('VERIFY_RESIZE');
  await ok(['server', 'resize', 'revert', s.name]);
  expect((await waitForServer(api, s.id, ['ACTIVE'])).flavor.id).toBe('1');
  await ok(['server', 'delete', '--wait', s.name]);
});

test('server backup create and server rebuild show the fields openstack shows', async () => {
  const s = await bootServer(api, { imageRef: imageId });
  const name = randomName('bk');
  const ours = await snapstackJson(h.url, demo, ['server', 'backup', 'create', '--name', name, '--type', 'weekly', '--rotate', '2', '--wait', s.name]);
  await waitForServer(api, s.id, ['ACTIVE']);
  const theirs = await openstackJson(h.url, demo, ['image', 'show', name]);
  expect(ours).toMatchObject({ name, status: 'active', id: theirs.id });
  expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  expect(ours.properties).toMatchObject({ image_type: 'backup', backup_type: 'weekly' });

  const rebuilt = await snapstackJson(h.url, demo, ['server', 'rebuild', '--image', name, '--wait', s.name]);
  expect(rebuilt).toMatchObject({ id: s.id, status: 'ACTIVE', image: `${name} (${theirs.id})` });
  expect(typeof rebuilt.adminPass).toBe('string');
  await ok(['server', 'delete', '--wait', s.name]);
  await api.request('DELETE', `${GLANCE}/images/${theirs.id}`);
});
