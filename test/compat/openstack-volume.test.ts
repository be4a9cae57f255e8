// The real `openstack` CLI (python-openstackclient, cinderclient underneath) against Cinder.
import { randomBytes } from 'crypto';
import { startHarness, Harness } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';

// Each test runs the real Python clients many times (about 1-3 s a command on a loaded 2-core machine).
jest.setTimeout(300_000);

const rand = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const demo = CLI_USERS.demo;

describe('the real openstack CLI against Cinder', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  /** Polls `openstack <kind> show` until the status is one of `statuses` (or until it is gone). */
  async function waitCli(kind: string[], nameOrId: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const r = await openstack(h.url, demo, [...kind, 'show', nameOrId, '-f', 'json']);
      if (r.code !== 0) {
        if (statuses.includes('gone') && /No (volume|snapshot)|could not be found/i.test(r.stderr)) return undefined;
        last = r.stderr;
      } else {
        const obj = JSON.parse(r.stdout);
        if (statuses.includes(obj.status)) return obj;
        last = obj.status;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`${kind.join(' ')} ${nameOrId} never reached ${statuses.join('|')} (last: ${last})`);
  }

  it('volume create / list / show / set / delete', async () => {
    const name = rand('cli-vol');
    const created = await openstackJson(h.url, demo, ['volume', 'create', '--size', '1', '--description', 'made by the CLI', '--property', 'k=v', name]);
    expect(created).toMatchObject({ name, size: 1, description: 'made by the CLI', type: '__DEFAULT__', bootable: 'false' });
    const shown = await waitCli(['volume'], name, ['available']);
    expect(shown).toMatchObject({ id: created.id, name, status: 'available', availability_zone: 'nova', type: '__DEFAULT__' });
    expect(JSON.stringify(shown.properties)).toContain('k');

    const list = await openstackJson<any[]>(h.url, demo, ['volume', 'list']);
    expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ ID: created.id, Name: name, Status: 'available', Size: 1 })]));
    const long = await openstackJson<any[]>(h.url, demo, ['volume', 'list', '--long', '--name', name]);
    expect(long.map((v) => v.ID)).toEqual([created.id]);

    const renamed = rand('cli-renamed');
    const set = await openstack(h.url, demo, ['volume', 'set', '--name', renamed, '--description', 'changed', '--property', 'a=b', '--size', '2', name]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const after = await waitCli(['volume'], renamed, ['available']);
    expect(after).toMatchObject({ id: created.id, name: renamed, description: 'changed', size: 2 });
    expect(JSON.stringify(after.properties)).toContain('a');

    const del = await openstack(h.url, demo, ['volume', 'delete', renamed]);
    expect(del.code).toBe(0);
    await waitCli(['volume'], created.id, ['gone']);
  });

  it('volume type create / list / set --property / show / delete (admin), volume create --type and set --type (retype)', async () => {
    const admin = CLI_USERS.admin;
    const name = rand('cli-type');
    const created = await openstackJson(h.url, admin, ['volume', 'type', 'create', '--description', 'fast disks', '--property', 'tier=gold', '--private', name]);
    expect(created).toMatchObject({ name, description: 'fast disks', is_public: false });
    const listed = await openstackJson<any[]>(h.url, admin, ['volume', 'type', 'list', '--long', '--private']);
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ ID: created.id, Name: name, 'Is Public': false })]));
    const set = await openstack(h.url, admin, ['volume', 'type', 'set', '--property', 'speed=fast', '--project', 'demo', name]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const shown = await openstackJson(h.url, admin, ['volume', 'type', 'show', name]);
    expect(shown).toMatchObject({ id: created.id, is_public: false });
    expect(JSON.stringify(shown.properties)).toContain('speed');
    expect(JSON.stringify(shown.properties)).toContain('tier');
    expect(JSON.stringify(shown.access_project_ids)).toContain((await h.login('demo')).projectId);
    const unset = await openstack(h.url, admin, ['volume', 'type', 'unset', '--property', 'tier', name]);
    expect(unset.code).toBe(0);
    expect(JSON.stringify((await openstackJson(h.url, admin, ['volume', 'type', 'show', name])).properties)).not.toContain('tier');

    const vol = rand('cli-typed');
    expect(await openstackJson(h.url, demo, ['volume', 'create', '--size', '1', '--type', name, vol])).toMatchObject({ type: name });
    await waitCli(['volume'], vol, ['available']);
    const retype = await openstack(h.url, demo, ['volume', 'set', '--type', '__DEFAULT__', '--retype-policy', 'never', vol]);
    expect(retype.code).toBe(0);
    expect(await waitCli(['volume'], vol, ['available'])).toMatchObject({ type: '__DEFAULT__' });
    expect((await openstack(h.url, demo, ['volume', 'type', 'delete', name])).code).not.toBe(0);
    expect((await openstack(h.url, demo, ['volume', 'delete', vol])).code).toBe(0);
    await waitCli(['volume'], vol, ['gone']);
    const del = await openstack(h.url, admin, ['volume', 'type', 'delete', name]);
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
  });

  it('volume transfer request create / list / show / accept (another project) / delete', async () => {
    const alt = CLI_USERS.alt_demo;
    const vol = rand('cli-gift');
    const made = await openstackJson(h.url, demo, ['volume', 'create', '--size', '1', vol]);
    await waitCli(['volume'], vol, ['available']);
    const req = await openstackJson(h.url, demo, ['volume', 'transfer', 'request', 'create', '--name', 'gift', vol]);
    expect(req).toMatchObject({ name: 'gift', volume_id: made.id, auth_key: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const listed = await openstackJson<any[]>(h.url, demo, ['volume', 'transfer', 'request', 'list']);
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ ID: req.id, Name: 'gift', Volume: made.id })]));
    expect(await openstackJson(h.url, demo, ['volume', 'transfer', 'request', 'show', req.id])).toMatchObject({ id: req.id, volume_id: made.id });
    const accepted = await openstack(h.url, alt, ['volume', 'transfer', 'request', 'accept', '--auth-key', req.auth_key, req.id]);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(await openstackJson(h.url, alt, ['volume', 'show', made.id])).toMatchObject({ id: made.id, status: 'available' });
    expect((await openstack(h.url, demo, ['volume', 'show', made.id])).code).not.toBe(0);

    // A request deleted before anyone accepts it: the volume is available again.
    const other = rand('cli-kept');
    await openstackJson(h.url, demo, ['volume', 'create', '--size', '1', other]);
    await waitCli(['volume'], other, ['available']);
    const req2 = await openstackJson(h.url, demo, ['volume', 'transfer', 'request', 'create', other]);
    expect((await waitCli(['volume'], other, ['awaiting-transfer'])).status).toBe('awaiting-transfer');
    expect((await openstack(h.url, demo, ['volume', 'transfer', 'request', 'delete', req2.id])).code).toBe(0);
    await waitCli(['volume'], other, ['available']);
    expect((await openstack(h.url, demo, ['volume', 'delete', other])).code).toBe(0);
    expect((await openstack(h.url, alt, ['volume', 'delete', made.id])).code).toBe(0);
  });

  it('volume snapshot create / list / show / set --name / delete, and volume create --snapshot', async () => {
    const volName = rand('cli-src');
    const vol = await openstackJson(h.url, demo, ['volume', 'create', '--size', '1', volName]);
    await waitCli(['volume'], volName, ['available']);

    const snapName = rand('cli-snap');
    const snap = await openstackJson(h.url, demo, ['volume', 'snapshot', 'create', '--volume', volName, '--description', 'first', snapName]);
    expect(snap).toMatchObject({ name: snapName, volume_id: vol.id, size: 1, description: 'first' });
    const shown = await waitCli(['volume', 'snapshot'], snapName, ['available']);
    expect(shown).toMatchObject({ id: snap.id, name: snapName, status: 'available', volume_id: vol.id });

    const list = await openstackJson<any[]>(h.url, demo, ['volume', 'snapshot', 'list']);
    expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ ID: snap.id, Name: snapName, Status: 'available', Size: 1 })]));
    // --long names the volume through OSC's volume cache (GET /volumes/detail); JSON keeps the id.
    const long = await openstackJson<any[]>(h.url, demo, ['volume', 'snapshot', 'list', '--long', '--volume', volName]);
    expect(long).toEqual([expect.objectContaining({ ID: snap.id, Volume: vol.id, Description: 'first' })]);
    const table = await openstack(h.url, demo, ['volume', 'snapshot', 'list', '--long', '-f', 'table', '-c', 'Volume', '--volume', volName]);
    expect(table.stdout).toContain(volName);

    const newName = rand('cli-snap-renamed');
    const set = await openstack(h.url, demo, ['volume', 'snapshot', 'set', '--name', newName, '--description', 'renamed', '--property', 'x=y', snapName]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const renamed = await openstackJson(h.url, demo, ['volume', 'snapshot', 'show', newName]);
    expect(renamed).toMatchObject({ id: snap.id, name: newName, description: 'renamed' });
    expect(JSON.stringify(renamed.properties)).toContain('x');

    const restoredName = rand('cli-restored');
    const restored = await openstackJson(h.url, demo, ['volume', 'create', '--snapshot', newName, restoredName]);
    expect(restored).toMatchObject({ name: restoredName, snapshot_id: snap.id, size: 1 });
    await waitCli(['volume'], restoredName, ['available']);

    // A volume with a snapshot cannot go without --purge: Cinder's 400 reaches the user.
    const refused = await openstack(h.url, demo, ['volume', 'delete', volName]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('must not be migrating, attached, belong to a group, have snapshots');

    expect((await openstack(h.url, demo, ['volume', 'snapshot', 'delete', newName])).code).toBe(0);
    await waitCli(['volume', 'snapshot'], snap.id, ['gone']);
    expect((await openstack(h.url, demo, ['volume', 'delete', restoredName, volName])).code).toBe(0);
    await waitCli(['volume'], vol.id, ['gone']);
    await waitCli(['volume'], restored.id, ['gone']);
  });

  it('volume delete --purge removes the snapshots too', async () => {
    const volName = rand('cli-purge');
    const vol = await openstackJson(h.url, demo, ['volume', 'create', '--size', '1', volName]);
    await waitCli(['volume'], volName, ['available']);
    const snap = await openstackJson(h.url, demo, ['volume', 'snapshot', 'create', '--volume', volName, '--force', rand('cli-s')]);
    await waitCli(['volume', 'snapshot'], snap.id, ['available']);
    expect((await openstack(h.url, demo, ['volume', 'delete', '--purge', volName])).code).toBe(0);
    await waitCli(['volume'], vol.id, ['gone']);
    await waitCli(['volume', 'snapshot'], snap.id, ['gone']);

  });
});
