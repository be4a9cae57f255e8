import path from 'path';
import { ConfigError, ConfigSources, DEFAULT_AUTH_URL, extractGlobalArgs, resolveConfig } from '../../../src/cli/config';

/** Sources with an in-memory file system. */
function sources(env: Record<string, string> = {}, files: Record<string, string> = {}): ConfigSources {
  return { env, cwd: '/work/dir', home: '/home/me', readFile: (p) => files[path.resolve(p)] };
}

const OS_ENV = {
  OS_AUTH_URL: 'http://cloud:5000/v3', OS_USERNAME: 'alice', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'proj',
  OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default',
};

const CLOUDS = `
clouds:
  lab:
    auth:
      auth_url: http://lab:8700/identity/v3
      username: bob
      project_name: lab-project
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionTwo
    compute_api_version: '2.60'
  other:
    auth:
      auth_url: http://other/v3
`;

describe('snapstack configuration', () => {
  it('with nothing configured, uses the local Snapstack as demo/demo and says so', () => {
    const c = resolveConfig({}, sources());
    expect(c).toMatchObject({ authUrl: DEFAULT_AUTH_URL, username: 'demo', password: 'demo', projectName: 'demo', userDomainName: 'Default', computeApiVersion: '2.37' });
    expect(c.notice).toContain('using the local Snapstack at http://127.0.0.1:8700/identity/v3 as user demo');
  });

  it('reads the OS_* variables; --os-* options win over them', () => {
    const c = resolveConfig({ username: 'carol', computeApiVersion: '2.47' }, sources(OS_ENV));
    expect(c).toMatchObject({ authUrl: 'http://cloud:5000/v3', username: 'carol', password: 'pw', projectName: 'proj', computeApiVersion: '2.47', interface: 'public' });
    expect(c.notice).toBeUndefined();
  });

  it('domains default to Default; OS_TENANT_NAME is an alias of OS_PROJECT_NAME', () => {
    const c = resolveConfig({}, sources({ OS_AUTH_URL: 'http://x/v3', OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_TENANT_NAME: 't' }));
    expect(c).toMatchObject({ projectName: 't', userDomainName: 'Default', projectDomainName: 'Default' });
  });

  it('a partial configuration names what is missing, in one line', () => {
    const err = (() => { try { resolveConfig({}, sources({ OS_AUTH_URL: 'http://x/v3', OS_USERNAME: 'u' })); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toBe('Missing settings OS_PASSWORD, OS_PROJECT_NAME: set them in the environment or with --os-password, --os-project-name (or use OS_CLOUD with a clouds.yaml)');
    expect(err!.message).not.toContain('\n');
  });

  it('rejects an auth URL that is not http(s), an unknown interface and a bad compute version', () => {
    expect(() => resolveConfig({}, sources({ ...OS_ENV, OS_AUTH_URL: 'cloud:5000' }))).toThrow(/OS_AUTH_URL 'cloud:5000' is not an http\(s\) URL/);
    expect(() => resolveConfig({}, sources({ ...OS_ENV, OS_INTERFACE: 'outside' }))).toThrow(/OS_INTERFACE 'outside'/);
    expect(() => resolveConfig({}, sources({ ...OS_ENV, OS_COMPUTE_API_VERSION: '3.1' }))).toThrow(/OS_COMPUTE_API_VERSION '3.1'/);
  });

  it('compute versions: 2 is 2.1, 2.latest is latest', () => {
    expect(resolveConfig({}, sources({ ...OS_ENV, OS_COMPUTE_API_VERSION: '2' })).computeApiVersion).toBe('2.1');
    expect(resolveConfig({}, sources({ ...OS_ENV, OS_COMPUTE_API_VERSION: '2.latest' })).computeApiVersion).toBe('latest');
  });

  it('OS_CLOUD reads clouds.yaml from ./ first, then ~/.config/openstack, then /etc/openstack', () => {
    const files = { '/etc/openstack/clouds.yaml': CLOUDS.replace('bob', 'etc-bob'), '/home/me/.config/openstack/clouds.yaml': CLOUDS.replace('bob', 'home-bob') };
    expect(resolveConfig({}, sources({ OS_CLOUD: 'lab', OS_PASSWORD: 'pw' }, files)).username).toBe('home-bob');
    const withCwd = { ...files, '/work/dir/clouds.yaml': CLOUDS };
    const c = resolveConfig({}, sources({ OS_CLOUD: 'lab', OS_PASSWORD: 'pw' }, withCwd));
    expect(c).toMatchObject({ authUrl: 'http://lab:8700/identity/v3', username: 'bob', projectName: 'lab-project', regionName: 'RegionTwo', computeApiVersion: '2.60' });
    expect(c.source).toBe("cloud 'lab' in /work/dir/clouds.yaml");
    expect(resolveConfig({}, sources({ OS_CLOUD: 'lab', OS_PASSWORD: 'pw' }, { '/etc/openstack/clouds.yml': CLOUDS })).username).toBe('bob');
  });

  it('XDG_CONFIG_HOME and OS_CLIENT_CONFIG_FILE move the search', () => {
    expect(resolveConfig({}, sources({ OS_CLOUD: 'lab', OS_PASSWORD: 'p', XDG_CONFIG_HOME: '/xdg' }, { '/xdg/openstack/clouds.yaml': CLOUDS })).username).toBe('bob');
    expect(resolveConfig({}, sources({ OS_CLOUD: 'lab', OS_PASSWORD: 'p', OS_CLIENT_CONFIG_FILE: '/opt/c.yaml' }, { '/opt/c.yaml': CLOUDS })).username).toBe('bob');
  });

  it('secure.yaml supplies the password; --os-cloud and the environment override the file', () => {
    const files = { '/work/dir/clouds.yaml': CLOUDS, '/work/dir/secure.yaml': 'clouds:\n  lab:\n    auth:\n      password: s3cret\n' };
    expect(resolveConfig({}, sources({ OS_CLOUD: 'lab' }, files)).password).toBe('s3cret');
    expect(resolveConfig({ cloud: 'lab' }, sources({ OS_CLOUD: 'other', OS_USERNAME: 'env-user' }, files))).toMatchObject({ username: 'env-user', password: 's3cret' });
  });

  it('an unknown cloud, a missing clouds.yaml and a broken one each say what to do', () => {
    expect(() => resolveConfig({}, sources({ OS_CLOUD: 'nope' }, { '/work/dir/clouds.yaml': CLOUDS })))
      .toThrow("Cloud 'nope' is not in /work/dir/clouds.yaml (it has: lab, other): set OS_CLOUD to one of them or add 'nope' there");
    expect(() => resolveConfig({}, sources({ OS_CLOUD: 'lab' }))).toThrow(/no clouds.yaml exists in \.\/, ~\/\.config\/openstack\/ or \/etc\/openstack\//);
    expect(() => resolveConfig({}, sources({ OS_CLOUD: 'lab' }, { '/work/dir/clouds.yaml': 'clouds: [' }))).toThrow(/Cannot parse \/work\/dir\/clouds.yaml/);
    expect(() => resolveConfig({}, sources({ OS_CLOUD: 'other' }, { '/work/dir/clouds.yaml': CLOUDS })))
      .toThrow(/Missing settings OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME: .* \(or add them to cloud 'other' in \/work\/dir\/clouds.yaml\)/);
  });

  it('takes the global options out of the command line, wherever they are', () => {
    expect(extractGlobalArgs(['--os-cloud', 'lab', 'server', 'list', '--debug', '--os-password=x', '--long'])).toEqual({
      global: { cloud: 'lab', debug: true, password: 'x' },
      rest: ['server', 'list', '--long'],
    });
    expect(() => extractGlobalArgs(['server', 'list', '--os-cloud'])).toThrow(/--os-cloud: expected one argument/);
  });
});
