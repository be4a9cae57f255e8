/**
 * The real `openstack` CLI (Debian's python3-openstackclient 6.0) against the Nova server actions
 * of issue 11: backup with rotation, shelve/unshelve, rebuild, resize, pause/suspend/lock,
 * console log.
 */
import { startHarness, Harness, Session } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import {
  bootServer, bootWithDataVolume, busyboxImage, COMPUTE, containerOf, dockerExec, GLANCE, mv, pollUntil, randomName, waitForImage, waitForServer,
} from '../support/compute-helpers';

jest.setTimeout(300_000);

const ENV = { OS_COMPUTE_API_VERSION: '2.37' };
const VOL = '/volume/v3/{project_id}';
let h: Harness;
let demo: Session;
let imageId: string;

const os = (args: string[], env = ENV) => openstack(h.url, CLI_USERS.demo, args, env);
const osJson = <T = any>(args: string[]) => openstackJson<T>(h.url, CLI_USERS.demo, args, ENV);
async function ok(args: string[], env = ENV): Promise<string> {
  const r = await os(args, env);
  if (r.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
const bootWithVolume = () => bootWithDataVolume(demo, imageId);
const exec = async (serverId: string, script: string) => dockerExec((await containerOf(h.app.instanceId, serverId))!.Id, script);

beforeAll(async () => {
  h = await startHarness();
  demo = await h.login('demo');
  imageId = (await busyboxImage(demo)).id;
});
afterAll(async () => {
  await h?.stop();
});

test('server backup create --type daily --rotate 2, three times: the two newest backups and their volume snapshots stay', async () => {
  const s = await bootWithVolume();
  const names = [0, 1, 2].map((i) => randomName(`bk${i}`));
  const made: any[] = [];
  for (const name of names) {
    const image = await osJson(['server', 'backup', 'create', '--name', name, '--type', 'daily', '--rotate', '2', '--wait', s.id]);
    // openstack shows the image as it found it before waiting (saving), then waits for active.
    expect(image).toMatchObject({ name, visibility: 'private' });
    expect(['queued', 'saving', 'active']).toContain(image.status);
    await waitForServer(demo, s.id, ['ACTIVE']);
    made.push((await waitForImage(demo, image.id, ['active'])));
  }
  expect(made[2]).toMatchObject({ image_type: 'backup', backup_type: 'daily', instance_uuid: s.id });
  const snapshotOf = (img: any) => JSON.parse(img.block_device_mapping)[0].snapshot_id as string;
  const listed = await osJson<any[]>(['image', 'list', '--private', '--long']);
  expect(listed.map((i) => i.Name).filter((n) => names.includes(n)).sort()).toEqual(names.slice(1).sort());
  expect((await demo.request('GET', `${GLANCE}/images/${made[0].id}`)).status).toBe(404);
  const snaps = await osJson<any[]>(['volume', 'snapshot', 'list']);
  const ids = snaps.map((x) => x.ID);
  expect(ids).toEqual(expect.arrayContaining([snapshotOf(made[1]), snapshotOf(made[2])]));
  await pollUntil(() => demo.request('GET', `${VOL}/snapshots/${snapshotOf(made[0])}`), (r) => r.status === 404, 30_000, 'rotated snapshot gone');
  await ok(['image', 'delete', names[1], names[2]]);
  await ok(['server', 'delete', '--wait', s.id]);
});

test('server shelve / unshelve, rebuild --image <instance snapshot>, resize --flavor with --confirm and --revert', async () => {
  const s = await bootWithVolume();
  await exec(s.id, 'echo root > /root/f && echo vol > /mnt/vdb/f');

  await ok(['server', 'shelve', '--wait', s.id]);
  expect((await waitForServer(demo, s.id, ['SHELVED_OFFLOADED'])).status).toBe('SHELVED_OFFLOADED');
  expect(await containerOf(h.app.instanceId, s.id)).toBeUndefined();
  await ok(['server', 'unshelve', '--wait', s.id]);
  expect((await osJson(['server', 'show', s.id])).status).toBe('ACTIVE');
  expect(await exec(s.id, 'cat /root/f /mnt/vdb/f')).toBe('root\nvol\n');

  // The instance snapshot: another server's root disk with a marker.
  const src = await bootServer(demo, { imageRef: imageId });
  await exec(src.id, 'echo from-snapshot > /root/marker');
  const snapName = randomName('rbsnap');
  await osJson(['server', 'image', 'create', '--name', snapName, '--wait', src.id]);
  // With --wait, openstack prints "Complete" before the server.
  const out = await ok(['server', 'rebuild', '--image', snapName, '--wait', '-f', 'json', s.id]);
  const rebuilt = JSON.parse(out.slice(out.indexOf('{')));
  // openstack shows the rebuild's answer (REBUILD) after waiting for ACTIVE.
  expect(rebuilt).toMatchObject({ id: s.id, status: 'REBUILD' });
  expect(rebuilt.image).toContain(snapName);
  expect((await osJson(['server', 'show', s.id])).status).toBe('ACTIVE');
  expect(await exec(s.id, 'cat /root/marker /mnt/vdb/f')).toBe('from-snapshot\nvol\n');

  await ok(['server', 'resize', '--flavor', 'm1.small', '--wait', s.id]);
  expect(await osJson(['server', 'show', s.id])).toMatchObject({ status: 'VERIFY_RESIZE', flavor: expect.stringContaining('m1.small') });
  await ok(['server', 'resize', '--confirm', s.id]);
  expect((await waitForServer(demo, s.id, ['ACTIVE'])).flavor.id).toBe('2');
  await ok(['server', 'resize', '--flavor', 'm1.medium', '--wait', s.id]);
  await ok(['server', 'resize', '--revert', s.id]);
  expect((await waitForServer(demo, s.id, ['ACTIVE'])).flavor.id).toBe('2');
  expect(await exec(s.id, 'cat /root/marker /mnt/vdb/f')).toBe('from-snapshot\nvol\n');

  await ok(['server', 'delete', '--wait', s.id, src.id]);
  await ok(['image', 'delete', snapName]);
});

test('server pause/unpause/suspend/resume/lock/unlock and console log show', async () => {
  const s = await bootServer(demo, { imageRef: imageId });
  const status = async () => (await osJson(['server', 'show', s.id])).status;
  await ok(['server', 'pause', s.id]);
  await waitForServer(demo, s.id, ['PAUSED']);
  await ok(['server', 'unpause', s.id]);
  await waitForServer(demo, s.id, ['ACTIVE']);
  await ok(['server', 'suspend', s.id]);
  await waitForServer(demo, s.id, ['SUSPENDED']);
  expect(await status()).toBe('SUSPENDED');
  await ok(['server', 'resume', s.id]);
  await waitForServer(demo, s.id, ['ACTIVE']);

  await ok(['server', 'lock', '--reason', 'frozen', s.id], { OS_COMPUTE_API_VERSION: '2.73' });
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.73'))).body.server).toMatchObject({ locked: true, locked_reason: 'frozen' });
  const refused = await os(['server', 'pause', s.id]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(`Instance ${s.id} is locked`);
  await ok(['server', 'unlock', s.id]);
  expect((await demo.request('GET', `${COMPUTE}/servers/${s.id}`, undefined, mv('2.73'))).body.server.locked).toBe(false);

  await exec(s.id, 'printf "first\\nsecond\\nthird\\n" > /proc/1/fd/1');
  // The boot log of each container (the first boot, the resume after the suspend), then what PID 1 was given.
  const log = await ok(['console', 'log', 'show', s.id]);
  expect(log).toMatch(/^Snapstack: booting [^\n]+\n/);
  expect(log.split('\n').filter((l) => / is up$/.test(l))).toHaveLength(2);
  expect(log.endsWith(' is up\nfirst\nsecond\nthird\n')).toBe(true);
  expect(await ok(['console', 'log', 'show', '--lines', '2', s.id])).toBe('third\n');
  await ok(['server', 'delete', '--wait', s.id]);
});
