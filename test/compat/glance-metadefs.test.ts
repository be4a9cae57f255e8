// The metadefs catalog through Debian's glanceclient (`glance md-*`), a client nobody here wrote:
// it builds its models from the served /v2/schemas/metadefs/* and validates every answer
// against them, and its updates send back a namespace or object exactly as it was shown.
// (Debian's openstackclient has no `image metadef` commands.)
import { randomBytes } from 'crypto';
import { startHarness, Harness } from '../support/snapstack-harness';
import { osClient, CLI_USERS, CliUser } from '../support/openstack-cli';

jest.setTimeout(300_000);

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.stop(); });

async function glance(user: CliUser, args: string[]): Promise<string> {
  const r = await osClient('glance', h.url, user, args);
  if (r.code !== 0) throw new Error(`glance ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A `glance md-*-show` table's value for `name`. */
function field(table: string, name: string): string | undefined {
  const row = table.split('\n').find((l) => new RegExp(`^\\|\\s*${name}\\s*\\|`).test(l));
  return row?.split('|')[2]?.trim();
}

test('glance md-namespace-*, md-resource-type-*, md-property-*, md-object-* and md-tag-* against the catalog', async () => {
  const { admin, demo } = CLI_USERS;
  const ns = `compat-${randomBytes(4).toString('hex')}`;

  const seeded = await glance(demo, ['md-namespace-list']);
  expect(seeded).toContain('OS::Compute::Hypervisor');
  expect(seeded).toContain('OS::Glance::CommonImageProperties');
  expect(await glance(demo, ['md-resource-type-list'])).toContain('OS::Glance::Image');

  const created = await glance(admin, ['md-namespace-create', ns, '--visibility', 'public', '--description', 'from glanceclient']);
  expect(field(created, 'namespace')).toBe(ns);
  expect(field(created, 'visibility')).toBe('public');
  await glance(admin, ['md-resource-type-associate', ns, '--name', 'OS::Glance::Image', '--prefix', 'cc_']);
  expect(await glance(demo, ['md-namespace-resource-type-list', ns])).toMatch(/OS::Glance::Image\s*\|\s*cc_/);
  await glance(admin, ['md-property-create', ns, '--name', 'speed', '--title', 'Speed', '--schema', '{"type": "integer", "minimum": 1}']);
  expect(field(await glance(admin, ['md-property-update', ns, 'speed', '--title', 'Fast']), 'title')).toBe('Fast');
  expect(await glance(demo, ['md-property-list', ns])).toMatch(/speed\s*\|\s*Fast\s*\|\s*integer/);
  await glance(admin, ['md-object-create', ns, '--name', 'Obj', '--schema', '{"description": "o", "properties": {"a": {"title": "A", "type": "string"}}}']);
  expect(field(await glance(admin, ['md-object-update', ns, 'Obj', '--name', 'Obj2']), 'name')).toBe('Obj2');
  expect(await glance(demo, ['md-object-list', ns])).toContain('Obj2');
  await glance(admin, ['md-tag-create-multiple', ns, '--names', 'red,green']);
  expect(await glance(demo, ['md-tag-list', ns])).toMatch(/green[\s\S]*red|red[\s\S]*green/);

  const shown = await glance(demo, ['md-namespace-show', ns, '--resource-type', 'OS::Glance::Image']);
  expect(field(shown, 'properties')).toBe('["cc_speed"]');
  expect(field(shown, 'objects')).toBe('["Obj2"]');
  // glanceclient's update sends the namespace back as shown (with its objects, associations...).
  expect(field(await glance(admin, ['md-namespace-update', ns, '--display-name', 'Compat']), 'display_name')).toBe('Compat');

  await glance(admin, ['md-namespace-delete', ns]);
  expect(await glance(demo, ['md-namespace-list'])).not.toContain(ns);
});
