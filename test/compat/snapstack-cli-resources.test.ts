// `snapstack` against flavors, images, volumes, snapshots and servers of a harness server,
// compared with the real `openstack` client on the same resources (same columns, same values,
// byte for byte where nothing changes between the two runs), plus the error paths a user meets:
// unknown and ambiguous names, wrong states, a flavor too small for a snapshot.
import { startHarness, Harness, Session } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import { snapstackCli, snapstackJson } from '../support/snapstack-cli';
import { randomName } from '../support/compute-helpers';

jest.setTimeout(240_000);

// Both clients at 2.37: openstack needs it for --network none (contract 6.9), snapstack's default.
const ENV = { OS_COMPUTE_API_VERSION: '2.37' };
const { demo } = CLI_USERS;
let h: Harness;
let demoApi: Session;

const ss = (args: string[], env: Record<string, string> = {}) => snapstackCli(h.url, args, { user: demo, env: { ...ENV, ...env } });
const ssJson = <T = any>(args: string[]) => snapstackJson<T>(h.url, demo, args, ENV);
const osc = (args: string[]) => openstack(h.url, demo, args, ENV);
const oscJson = <T = any>(args: string[]) => openstackJson<T>(h.url, demo, args, ENV);

/** Runs the same command with both clients; both succeed and print the same thing. */
async function sameOutput(args: string[]): Promise<string> {
  const [ours, theirs] = [await ss(args), await osc(args)];
  expect({ args, code: ours.code, stderr: ours.stderr }).toEqual({ args, code: 0, stderr: '' });
  expect(theirs.code).toBe(0);
  expect(ours.stdout).toBe(theirs.stdout);
  return ours.stdout;
}

beforeAll(async () => {
  h = await startHarness();
  demoApi = await h.login('demo');
});
afterAll(async () => {
  await h?.stop();
});

describe('flavors', () => {
  it('flavor list and flavor show are openstack\'s, in table and json', async () => {
    await sameOutput(['flavor', 'list']);
    await sameOutput(['flavor', 'list', '--long', '-f', 'json']);
    await sameOutput(['flavor', 'show', 'm1.tiny']);
    await sameOutput(['flavor', 'show', '-f', 'json', '2']);
    const big = await ssJson<any[]>(['flavor', 'list', '--min-disk', '40']);
    expect(big.length).toBeGreaterThan(0);
    expect(big.every((f) => f.Disk >= 40)).toBe(true);
  });

  it('an unknown flavor', async () => {
    expect(await ss(['flavor', 'show', 'm9.huge'])).toMatchObject({ code: 1, stdout: '', stderr: "No flavor with a name or ID of 'm9.huge' exists.\n" });
  });
});

describe('images', () => {
  it('image list and image show are openstack\'s', async () => {
    await sameOutput(['image', 'list']);
    await sameOutput(['image', 'list', '--long']);
    await sameOutput(['image', 'list', '--public', '-f', 'json']);
    for (const format of ['table', 'json', 'yaml', 'value', 'shell']) await sameOutput(['image', 'show', '-f', format, 'busybox']);
    await sameOutput(['image', 'show', '--human-readable', 'busybox']);
    expect(await ss(['image', 'show', 'no-such-image'])).toMatchObject({ code: 1, stderr: "No image with a name or ID of 'no-such-image' exists.\n" });
  });
});

describe('volumes and volume snapshots', () => {
  it('volume create --wait, show, list, set; the same fields and values as openstack', async () => {
    const name = randomName('ss-vol');
    const created = await ssJson(['volume', 'create', '--size', '1', '--description', 'by snapstack', '--property', 'k=v', '--wait', name]);
    expect(created).toMatchObject({ name, size: 1, status: 'available', description: 'by snapstack', type: '__DEFAULT__', bootable: 'false', properties: { k: 'v' } });
    expect(Object.keys(created)).toEqual(Object.keys(await oscJson(['volume', 'show', name])));
    for (const format of ['table', 'json', 'yaml']) await sameOutput(['volume', 'show', '-f', format, name]);
    await sameOutput(['volume', 'list']);
    await sameOutput(['volume', 'list', '--long', '-f', 'json']);

    const renamed = randomName('ss-vol-renamed');
    expect(await ss(['volume', 'set', '--name', renamed, '--description', 'changed', '--property', 'a=b', name])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await oscJson(['volume', 'show', renamed])).toMatchObject({ id: created.id, description: 'changed', properties: { k: 'v', a: 'b' } });
    expect(await ss(['volume', 'delete', '--wait', renamed])).toMatchObject({ code: 0, stderr: '' });
    expect((await demoApi.request('GET', `/volume/v3/{project_id}/volumes/${created.id}`)).status).toBe(404);
  });

  it('unknown and ambiguous volume names: openstack\'s messages, exit 1', async () => {
    const twin = randomName('ss-twin');
    await ssJson(['volume', 'create', '--size', '1', '--wait', twin]);
    await ssJson(['volume', 'create', '--size', '1', '--wait', twin]);
    const ambiguous = await ss(['volume', 'show', twin]);
    expect(ambiguous).toMatchObject({ code: 1, stdout: '', stderr: `More than one volume exists with the name '${twin}'.\n` });
    expect((await osc(['volume', 'show', twin])).stderr).toContain(`More than one volume exists with the name '${twin}'.`);
    const unknown = await ss(['volume', 'show', 'no-such-volume']);
    expect(unknown).toMatchObject({ code: 1, stderr: "No volume with a name or ID of 'no-such-volume' exists.\n" });
    expect((await osc(['volume', 'show', 'no-such-volume'])).stderr).toContain("No volume with a name or ID of 'no-such-volume' exists.");
    const del = await ss(['volume', 'delete', twin]);
    expect(del.code).toBe(1);
    expect(del.stderr).toBe(`Failed to delete volume with name or ID '${twin}': More than one volume exists with the name '${twin}'.\n1 of 1 volumes failed to delete.\n`);
  });

  it('volume snapshot create --wait / list / show / set --name / delete, restore into a new volume', async () => {
    const vol = randomName('ss-src');
    const snap = randomName('ss-snap');
    await ssJson(['volume', 'create', '--size', '1', '--wait', vol]);
    const created = await ssJson(['volume', 'snapshot', 'create', '--volume', vol, '--wait', snap]);
    expect(created).toMatchObject({ name: snap, status: 'available', size: 1, properties: {} });
    await sameOutput(['volume', 'snapshot', 'show', snap]);
    await sameOutput(['volume', 'snapshot', 'show', '-f', 'json', snap]);
    await sameOutput(['volume', 'snapshot', 'list']);
    await sameOutput(['volume', 'snapshot', 'list', '--long', '-f', 'json']);

    // rename a snapshot
    const renamed = randomName('ss-snap-renamed');
    expect(await ss(['volume', 'snapshot', 'set', '--name', renamed, snap])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await oscJson(['volume', 'snapshot', 'show', renamed])).toMatchObject({ id: created.id, name: renamed });

    // wrong state: a volume with snapshots cannot be deleted (Cinder's 400)
    const busy = await ss(['volume', 'delete', vol]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`Failed to delete volume with name or ID '${vol}': Invalid volume: Volume status must be available`);
    expect(busy.stderr).toMatch(/\(HTTP 400\) \(Request-ID: req-[^)]+\)\n1 of 1 volumes failed to delete\.\n$/);

    const restored = await ssJson(['volume', 'create', '--snapshot', renamed, '--wait', randomName('ss-restored')]);
    expect(restored).toMatchObject({ status: 'available', size: 1, snapshot_id: created.id });

    expect(await ss(['volume', 'snapshot', 'delete', '--wait', renamed])).toMatchObject({ code: 0, stderr: '' });
    expect((await demoApi.request('GET', `/volume/v3/{project_id}/snapshots/${created.id}`)).status).toBe(404);
    expect(await ss(['volume', 'snapshot', 'delete', renamed])).toMatchObject({
      code: 1, stderr: `Failed to delete snapshot with name or ID '${renamed}': No snapshot with a name or ID of '${renamed}' exists.\n1 of 1 snapshots failed to delete.\n`,
    });
  });
});

describe('servers and server snapshots', () => {
  it('server create --wait, list, show: openstack\'s columns and values', async () => {
    const name = randomName('ss-srv');
    const created = await ssJson(['server', 'create', '--image', 'busybox', '--flavor', 'm1.tiny', '--network', 'none', '--wait', name]);
    expect(created).toMatchObject({ name, status: 'ACTIVE', image: expect.stringMatching(/^busybox \(/), flavor: 'm1.tiny (1)', 'OS-EXT-STS:power_state': 1 });
    expect(created.adminPass).toEqual(expect.any(String));
    await sameOutput(['server', 'list']);
    await sameOutput(['server', 'list', '--long', '-f', 'json']);
    for (const format of ['table', 'json', 'yaml', 'shell']) await sameOutput(['server', 'show', '-f', format, name]);
    expect(await ss(['server', 'delete', '--wait', name])).toMatchObject({ code: 0, stderr: '' });
    expect(await ss(['server', 'show', name])).toMatchObject({ code: 1, stderr: `No server with a name or ID of '${name}' exists.\n` });
  });

  it('the seed workflows: snapshot a stopped server, list private images, rename the snapshot, launch from it with a flavor big enough', async () => {
    const name = randomName('ss-web');
    await ssJson(['server', 'create', '--image', 'busybox', '--flavor', 'm1.tiny', '--network', 'none', '--wait', name]);

    // snapshot a stopped server
    expect(await ss(['server', 'stop', '--wait', name])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await ssJson(['server', 'show', name])).status).toBe('SHUTOFF');
    const stopAgain = await ss(['server', 'stop', name]);
    expect(stopAgain.code).toBe(1);
    expect(stopAgain.stderr).toMatch(/^Cannot 'stop' instance [0-9a-f-]+ while it is in vm_state stopped \(HTTP 409\) \(Request-ID: req-[^)]+\)\n$/);
    const snapName = randomName('ss-web-snap');
    const image = await ssJson(['server', 'image', 'create', '--name', snapName, '--wait', name]);
    expect(image).toMatchObject({ name: snapName, status: 'active', visibility: 'private' });

    // list private images
    const privateImages = await ssJson<any[]>(['image', 'list', '--private']);
    expect(privateImages).toEqual([expect.objectContaining({ ID: image.id, Name: snapName, Status: 'active' })]);
    await sameOutput(['image', 'list', '--private']);
    await sameOutput(['image', 'show', '-f', 'json', snapName]);

    // rename the snapshot
    const golden = randomName('ss-golden');
    expect(await ss(['image', 'set', '--name', golden, snapName])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await oscJson(['image', 'show', image.id])).name).toBe(golden);

    // launch from it: a flavor too small is refused with the flavors that fit
    expect(await ss(['image', 'set', '--min-disk', '30', golden])).toMatchObject({ code: 0 });
    const minDisk = (await ss(['image', 'show', '-f', 'value', '-c', 'min_disk', golden])).stdout.trim();
    expect(minDisk).toBe('30');
    const small = await ss(['server', 'create', '--image', golden, '--flavor', 'm1.small', '--network', 'none', randomName('ss-small')]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/^Flavor's disk is smaller than the minimum size specified in image metadata\. .* \(HTTP 400\) .*; flavors big enough for image \S+ \(min_disk 30 GB\): m1\.medium, m1\.large, m1\.xlarge\n$/);
    const fits = (await ssJson<any[]>(['flavor', 'list', '--min-disk', minDisk])).map((f) => f.Name);
    expect(fits).toEqual(['m1.medium', 'm1.large', 'm1.xlarge']);
    const launched = await ssJson(['server', 'create', '--image', golden, '--flavor', fits[0], '--network', 'none', '--wait', randomName('ss-from-snap')]);
    expect(launched).toMatchObject({ status: 'ACTIVE', image: `${golden} (${image.id})`, flavor: 'm1.medium (3)' });

    // start, reboot, delete
    expect(await ss(['server', 'start', '--wait', name])).toMatchObject({ code: 0, stderr: '' });
    expect(await ss(['server', 'reboot', '--wait', name])).toMatchObject({ code: 0, stderr: '' });
    expect((await ssJson(['server', 'show', name])).status).toBe('ACTIVE');
    expect(await ss(['server', 'delete', '--wait', name, launched.id])).toMatchObject({ code: 0, stderr: '' });
    expect(await ss(['image', 'delete', golden])).toMatchObject({ code: 0, stderr: '' });
    expect((await ssJson<any[]>(['image', 'list', '--private']))).toEqual([]);
  });

  it('a volume-backed server: boot from a new volume, snapshot it, boot again from the volume snapshot', async () => {
    const name = randomName('ss-bfv');
    const created = await ssJson(['server', 'create', '--image', 'busybox', '--boot-from-volume', '1', '--flavor', 'm1.tiny', '--network', 'none', '--wait', name]);
    expect(created).toMatchObject({ status: 'ACTIVE', image: 'N/A (booted from volume)' });
    const vols = await ssJson<any[]>(['volume', 'list']);
    const root = vols.find((v) => JSON.stringify(v['Attached to']).includes(created.id));
    expect(root).toMatchObject({ Status: 'in-use', Size: 1 });
    await sameOutput(['volume', 'list']);
    await sameOutput(['server', 'show', name]);

    const snapImage = await ssJson(['server', 'image', 'create', '--name', randomName('ss-bfv-snap'), '--wait', name]);
    expect(snapImage).toMatchObject({ status: 'active', size: 0 });
    const volSnaps = await ssJson<any[]>(['volume', 'snapshot', 'list']);
    const rootSnap = volSnaps.find((s) => s.Name === `snapshot for ${snapImage.name}`);
    expect(rootSnap).toBeDefined();
    // a snapshot of an in-use volume needs --force
    const noForce = await ss(['volume', 'snapshot', 'create', '--volume', root.ID, randomName('ss-noforce')]);
    expect(noForce.code).toBe(1);
    expect(noForce.stderr).toContain('(HTTP 400)');

    // wait for the root snapshot to be available, then boot from it
    const waitAvailable = await ss(['volume', 'snapshot', 'show', '-f', 'value', '-c', 'status', rootSnap.ID]);
    expect(['creating', 'available']).toContain(waitAvailable.stdout.trim());
    for (let i = 0; i < 100 && (await ss(['volume', 'snapshot', 'show', '-f', 'value', '-c', 'status', rootSnap.ID])).stdout.trim() !== 'available'; i++) {
      await new Promise((r) => setTimeout(r, 300));
    }
    const again = await ssJson(['server', 'create', '--snapshot', rootSnap.ID, '--flavor', 'm1.tiny', '--network', 'none', '--wait', randomName('ss-from-vsnap')]);
    expect(again).toMatchObject({ status: 'ACTIVE', image: 'N/A (booted from volume)' });
    expect(await ss(['server', 'delete', '--wait', name, again.id])).toMatchObject({ code: 0, stderr: '' });
  });
});
