/**
 * `openstack keypair create` (generated and imported) and `openstack server create --key-name`
 * with Debian's python3-openstackclient against Snapstack.
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
