// Debian's per-service command lines (cinderclient 9.1, novaclient 18.1, glanceclient 4.1): their
// version discovery and microversion negotiation differ from openstackclient's, so they are
// clients of their own. cinder's discovery sends `OpenStack-API-Version: volume 3.70` to GET /volume/.
import { randomBytes } from 'crypto';
import { startHarness, Harness } from '../support/snapstack-harness';
import { osClient, CLI_USERS, CliResult } from '../support/openstack-cli';

// Each test runs the real Python clients many times (about 1-3 s a command on a loaded 2-core machine).
jest.setTimeout(300_000);

const rand = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const demo = CLI_USERS.demo;

describe('cinder, nova and glance command lines', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  async function run(command: string, args: string[]): Promise<string> {
    const r: CliResult = await osClient(command, h.url, demo, args);
    if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** A `cinder show`-style two-column table's value for `field`. */
  function field(table: string, name: string): string | undefined {
    const row = table.split('\n').find((l) => new RegExp(`^\\|\\s*${name}\\s*\\|`).test(l));
    return row?.split('|')[2]?.trim();
  }

  async function waitFor(command: string, kind: string, id: string, status: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    let last: string | undefined;
    while (Date.now() < deadline) {
      last = field(await run(command, [`${kind}show`, id]), 'status');
      if (last === status) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${kind}${id} never became ${status} (last: ${last})`);
  }

  it('cinder list, create, snapshot-create and revert-to-snapshot at 3.40', async () => {
    const name = rand('cinder-vol');
    const created = await run('cinder', ['create', '--name', name, '1']);
    const volumeId = field(created, 'id')!;
    await waitFor('cinder', '', volumeId, 'available');
    expect(await run('cinder', ['list'])).toContain(name);
    const snapName = rand('cinder-snap');
    const snap = await run('cinder', ['snapshot-create', '--name', snapName, volumeId]);
    const snapId = field(snap, 'id')!;
    await waitFor('cinder', 'snapshot-', snapId, 'available');
    expect(await run('cinder', ['snapshot-list'])).toContain(snapId);
    await run('cinder', ['--os-volume-api-version', '3.40', 'revert-to-snapshot', snapName]);
    await waitFor('cinder', '', volumeId, 'available');
    await run('cinder', ['snapshot-delete', snapId]);
  });

  it('nova list and flavor-list', async () => {
    expect(await run('nova', ['list'])).toMatch(/\| ID\s+\| Name\s+\| Status/);
    expect(await run('nova', ['flavor-list'])).toContain('m1.small');
  });

  it('glance image-list and image-show', async () => {
    const list = await run('glance', ['image-list']);
    expect(list).toMatch(/\| busybox\s+\|/);
    const id = /\| ([0-9a-f-]{36}) \| busybox\s+\|/.exec(list)![1];
    expect(field(await run('glance', ['image-show', id]), 'status')).toBe('active');
    // glanceclient reads an error's message (it sends Accept */*; the flat JSON Glance sends to
    // JSON clients made it print "'str' object has no attribute 'get'").
    const missing = '00000000-0000-4000-8000-000000000000';
    const r = await osClient('glance', h.url, demo, ['image-show', missing]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`No image found with ID ${missing}`);
    expect(r.stderr).not.toContain('has no attribute');
  });
});
