// `snapstack`, the project's own client, run as a subprocess (straight from src/, see
// test/support/run-cli-ts.js: no build needed, never a stale dist/) against a harness server,
// and compared with the real `openstack` client on the same resources: identity commands,
// configuration and error paths. Resource commands are in snapstack-cli-resources.test.ts.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { randomBytes } from 'crypto';
import { startHarness, Harness } from '../support/snapstack-harness';
import { openstack, openstackJson, CLI_USERS } from '../support/openstack-cli';
import { snapstackCli, snapstackJson } from '../support/snapstack-cli';

const { admin, demo } = CLI_USERS;
const rand = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

describe('snapstack CLI: identity, configuration and errors', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  it('token issue: the fields and value formats of openstack token issue', async () => {
    const ours = await snapstackJson(h.url, demo, ['token', 'issue']);
    const theirs = await openstackJson(h.url, demo, ['token', 'issue']);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(ours).toMatchObject({ project_id: theirs.project_id, user_id: theirs.user_id });
    expect(ours.expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    // the token works
    const res = await h.request('GET', '/identity/v3/auth/projects', undefined, { 'X-Auth-Token': ours.id });
    expect(res.status).toBe(200);
    const value = await snapstackCli(h.url, ['token', 'issue', '-c', 'project_id', '-f', 'value'], { user: demo });
    expect(value).toMatchObject({ code: 0, stdout: `${theirs.project_id}\n`, stderr: '' });
  });

  it('catalog list prints exactly what openstack prints, in every format', async () => {
    for (const format of ['table', 'json', 'yaml', 'csv', 'value']) {
      const ours = await snapstackCli(h.url, ['catalog', 'list', '-f', format], { user: admin });
      const theirs = await openstack(h.url, admin, ['catalog', 'list', '-f', format]);
      expect(ours.code).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
    }
  });

  it('project list (admin, and a member who falls back to their own projects) is openstack\'s', async () => {
    for (const args of [['project', 'list'], ['project', 'list', '--long'], ['project', 'list', '-f', 'json', '--long'], ['project', 'list', '-c', 'Name', '-f', 'value']]) {
      const ours = await snapstackCli(h.url, args, { user: admin });
      expect(ours.code).toBe(0);
      expect(ours.stdout).toBe((await openstack(h.url, admin, args)).stdout);
    }
    const mine = await snapstackCli(h.url, ['project', 'list'], { user: demo });
    expect(mine.stdout).toBe((await openstack(h.url, demo, ['project', 'list'])).stdout);
    expect(mine.stdout).toContain('| demo |');
  });

  it('project create prints the project as openstack shows it; a duplicate is the API\'s 409', async () => {
    const name = rand('cli-proj');
    const ours = await snapstackJson(h.url, admin, ['project', 'create', '--description', 'made by snapstack', name]);
    const theirs = await openstackJson(h.url, admin, ['project', 'create', '--or-show', name]);
    expect(ours).toEqual(theirs);
    expect(ours).toMatchObject({ name, description: 'made by snapstack', enabled: true, domain_id: 'default' });
    const again = await snapstackCli(h.url, ['project', 'create', name], { user: admin });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Conflict occurred attempting to store project .* \(HTTP 409\) \(Request-ID: req-[^)]+\)\n$/);
    const orShow = await snapstackJson(h.url, admin, ['project', 'create', '--or-show', name]);
    expect(orShow.id).toBe(ours.id);
    const member = await snapstackCli(h.url, ['project', 'create', rand('denied')], { user: demo });
    expect(member.code).toBe(1);
    expect(member.stderr).toContain('(HTTP 403)');
  });

  it('bad credentials: the 401 message openstack prints, what to check, exit 1', async () => {
    const wrong = { ...demo, password: 'wrong' };
    const ours = await snapstackCli(h.url, ['token', 'issue'], { user: wrong });
    const theirs = await openstack(h.url, wrong, ['token', 'issue']);
    expect(theirs.stderr).toContain('The request you have made requires authentication. (HTTP 401)');
    expect(ours.code).toBe(1);
    expect(ours.stdout).toBe('');
    expect(ours.stderr).toMatch(/^The request you have made requires authentication\. \(HTTP 401\) \(Request-ID: req-[^)]+\): check OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME[^\n]*\n$/);
  });

  it('a missing setting or an unreachable URL: one line that says what to set', async () => {
    const missing = await snapstackCli(h.url, ['token', 'issue'], { env: { OS_AUTH_URL: `${h.url}/identity/v3`, OS_USERNAME: 'demo' } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Missing settings OS_PASSWORD, OS_PROJECT_NAME: set them in the environment or with --os-password, --os-project-name (or use OS_CLOUD with a clouds.yaml)\n');
    const down = await snapstackCli(h.url, ['token', 'issue'], { user: demo, env: { OS_AUTH_URL: 'http://127.0.0.1:9/identity/v3' } });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Unable to establish connection to http:\/\/127\.0\.0\.1:9\/identity\/v3\/auth\/tokens: [^\n]*check OS_AUTH_URL[^\n]*\n$/);
    const region = await snapstackCli(h.url, ['flavor', 'list'], { user: demo, env: { OS_REGION_NAME: 'Nowhere' } });
    expect(region).toMatchObject({ code: 1, stderr: 'public endpoint for compute service in Nowhere region not found\n' });
  });

  it('with no configuration at all it uses the local demo account and says so on stderr', async () => {
    const r = await snapstackCli(undefined, ['token', 'issue']);
    expect(r.stderr.split('\n')[0]).toBe('snapstack: no OS_AUTH_URL, OS_CLOUD or --os-* settings: using the local Snapstack at http://127.0.0.1:8700/identity/v3 as user demo (password demo) in project demo');
  });

  it('OS_CLOUD with clouds.yaml (and secure.yaml) in the working directory, and the --os-* flags', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-clouds-'));
    try {
      fs.writeFileSync(path.join(dir, 'clouds.yaml'), [
        'clouds:', '  harness:', '    auth:', `      auth_url: ${h.url}/identity`, '      username: demo', '      project_name: demo',
        '      user_domain_name: Default', '      project_domain_name: Default', '    region_name: RegionOne', '',
      ].join('\n'));
      fs.writeFileSync(path.join(dir, 'secure.yaml'), `clouds:\n  harness:\n    auth:\n      password: ${demo.password}\n`);
      const demoSession = await h.login('demo');
      const viaEnv = await snapstackCli(h.url, ['token', 'issue', '-f', 'value', '-c', 'project_id'], { cwd: dir, env: { OS_CLOUD: 'harness' } });
      expect(viaEnv).toMatchObject({ code: 0, stdout: `${demoSession.projectId}\n` });
      const viaFlag = await snapstackCli(h.url, ['--os-cloud', 'harness', 'token', 'issue', '-f', 'value', '-c', 'project_id'], { cwd: dir });
      expect(viaFlag.stdout).toBe(`${demoSession.projectId}\n`);
      const unknown = await snapstackCli(h.url, ['token', 'issue'], { cwd: dir, env: { OS_CLOUD: 'nope' } });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe(`Cloud 'nope' is not in ${path.join(dir, 'clouds.yaml')} (it has: harness): set OS_CLOUD to one of them or add 'nope' there\n`);
      const flags = await snapstackCli(h.url, ['token', 'issue', '-f', 'value', '-c', 'user_id',
        '--os-auth-url', `${h.url}/identity/v3`, '--os-username', 'admin', `--os-password=${admin.password}`, '--os-project-name', 'admin'], { cwd: dir });
      expect(flags.stdout).toBe(`${(await h.login('admin')).userId}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--debug logs each request and response on stderr, without the password or the token', async () => {
    const r = await snapstackCli(h.url, ['--debug', 'catalog', 'list', '-f', 'value', '-c', 'Type'], { user: demo });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`REQ: POST ${h.url}/identity/v3/auth/tokens`);
    expect(r.stderr).toMatch(/RESP: \[201\] POST \S+\/auth\/tokens/);
    expect(r.stderr).toContain('x-subject-token: {SHA256}');
    expect(r.stderr).not.toContain(demo.password);
    expect(r.stdout.split('\n')).toContain('compute');
  });

  it('-c with an unknown column is cliff\'s error; a wrong format is argparse\'s', async () => {
    const col = await snapstackCli(h.url, ['project', 'list', '-c', 'Nme'], { user: admin });
    expect(col).toMatchObject({ code: 1, stderr: "No recognized column names in ['Nme']. Recognized columns are ('ID', 'Name').\n" });
    const fmt = await snapstackCli(h.url, ['token', 'issue', '-f', 'csv'], { user: admin });
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toContain("invalid choice: 'csv'");
  });
});
