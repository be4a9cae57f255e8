/**
 * `openstack keypair create` (generated and imported) and `openstack server create --key-name`,
 * then server groups, multiple create, tags and server events, with Debian's
 * python3-openstackclient against Snapstack.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { startHarness, Harness } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import { randomName } from '../support/compute-helpers';

jest.setTimeout(240_000);

const ENV = { OS_COMPUTE_API_VERSION: '2.37' };
let h: Harness;
let dir: string;

const os = (args: string[]) => openstack(h.url, CLI_USERS.demo, args, ENV);
const osJson = <T = any>(args: string[]) => openstackJson<T>(h.url, CLI_USERS.demo, args, ENV);

beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(path.join(tmpdir(), 'snapstack-kp-'));
});
afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('keypair create (generated, private key saved), create --public-key, list, show, server create --key-name, delete', async () => {
  const generated = randomName('cli-kp');
  const privateFile = path.join(dir, 'id_generated');
  const created = await osJson(['keypair', 'create', '--private-key', privateFile, generated]);
  expect(created).toMatchObject({ name: generated, type: 'ssh' });
  expect(readFileSync(privateFile, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);

  const imported = randomName('cli-imp');
  const publicFile = path.join(dir, 'id_imported.pub');
  const shownGenerated = await osJson(['keypair', 'show', generated]);
  writeFileSync(publicFile, `${(await os(['keypair', 'show', '--public-key', generated])).stdout.trim()}\n`);
  const importedRow = await osJson(['keypair', 'create', '--public-key', publicFile, imported]);
  expect(importedRow).toMatchObject({ name: imported, fingerprint: shownGenerated.fingerprint });

  const names = (await osJson<any[]>(['keypair', 'list'])).map((k) => k.Name);
  expect(names).toEqual(expect.arrayContaining([generated, imported]));

  const server = randomName('cli-key');
  const booted = await osJson(['server', 'create', '--image', 'busybox', '--flavor', 'm1.tiny', '--network', 'none', '--key-name', imported, '--wait', server]);
  expect(booted).toMatchObject({ name: server, status: 'ACTIVE', key_name: imported });
  const bad = await os(['server', 'create', '--image', 'busybox', '--flavor', 'm1.tiny', '--network', 'none', '--key-name', 'nope', randomName('cli-bad')]);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('Invalid key_name provided.');

  expect((await os(['server', 'delete', '--wait', server])).code).toBe(0);
  expect((await os(['keypair', 'delete', generated, imported])).code).toBe(0);
  expect((await osJson<any[]>(['keypair', 'list'])).map((k) => k.Name)).not.toContain(generated);
});

test('server group create, server create --hint group= --min 2 --max 2, server set --tag, list --tag, server event list, group delete', async () => {
  const env = { OS_COMPUTE_API_VERSION: '2.64' };
  const group = await openstackJson(h.url, CLI_USERS.demo, ['server', 'group', 'create', '--policy', 'affinity', randomName('cli-sg')], env);
  expect(group).toMatchObject({ policy: 'affinity' });
  const name = randomName('cli-pair');
  const made = await openstack(h.url, CLI_USERS.demo, ['server', 'create', '--image', 'busybox', '--flavor', 'm1.tiny', '--network', 'none',
    '--hint', `group=${group.id}`, '--min', '2', '--max', '2', '--wait', name], env);
  expect(made.code).toBe(0);
  const shown = await openstackJson(h.url, CLI_USERS.demo, ['server', 'group', 'show', group.id], env);
  const members: string[] = Array.isArray(shown.members) ? shown.members : String(shown.members).split(/,\s*/);
  expect(members).toHaveLength(2);
  const listed = await openstackJson<any[]>(h.url, CLI_USERS.demo, ['server', 'list', '--name', `^${name}-`], env);
  // Current Nova names them <name>-1 and <name>-2.
  expect(listed.map((s) => s.Name).sort()).toEqual([`${name}-1`, `${name}-2`]);
  expect(listed.map((s) => s.Status)).toEqual(['ACTIVE', 'ACTIVE']);

  expect((await openstack(h.url, CLI_USERS.demo, ['server', 'set', '--tag', 'web', members[0]], env)).code).toBe(0);
  const tagged = await openstackJson<any[]>(h.url, CLI_USERS.demo, ['server', 'list', '--tags', 'web'], env);
  expect(tagged.map((s) => s.ID)).toEqual([members[0]]);
  const events = await openstackJson<any[]>(h.url, CLI_USERS.demo, ['server', 'event', 'list', members[0]], env);
  expect(events.map((e) => e.Action)).toEqual(['create']);

  expect((await openstack(h.url, CLI_USERS.demo, ['server', 'delete', '--wait', ...members], env)).code).toBe(0);
  expect((await openstack(h.url, CLI_USERS.demo, ['server', 'group', 'delete', group.id], env)).code).toBe(0);
});

