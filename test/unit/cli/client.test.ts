// Pure pieces of the client: catalog lookup, discovery, error messages, views, dispatch.
import { findEndpoint, versionHref } from '../../../src/cli/auth';
import { formatImage, formatSize, sortImages } from '../../../src/cli/commands/image';
import { formatExpires } from '../../../src/cli/commands/token';
import { errorMessage } from '../../../src/cli/http';
import { CliIo, main } from '../../../src/cli/main';

const ep = (iface: string, url: string, region = 'RegionOne') => ({ interface: iface, url, region_id: region, region });
const CATALOG = [
  { type: 'compute', endpoints: [ep('admin', 'http://admin/compute'), ep('public', 'http://h/compute/v2.1/')] },
  { type: 'block-storage', endpoints: [ep('public', 'http://h/block/p1')] },
  { type: 'volumev3', endpoints: [ep('public', 'http://h/volume/v3/p1', 'RegionTwo'), ep('public', 'http://h/volume/v3/p1-one')] },
  { type: 'image', endpoints: [ep('public', 'http://h/image')] },
];

describe('catalog lookup', () => {
  it('picks the interface, prefers RegionOne, strips the trailing slash', () => {
    expect(findEndpoint(CATALOG, 'compute', 'public')).toBe('http://h/compute/v2.1');
    expect(findEndpoint(CATALOG, 'compute', 'admin')).toBe('http://admin/compute');
  });

  it('block storage: volumev3 first, then block-storage; OS_REGION_NAME filters', () => {
    expect(findEndpoint(CATALOG, 'volume', 'public')).toBe('http://h/volume/v3/p1-one');
    expect(findEndpoint(CATALOG, 'volume', 'public', 'RegionTwo')).toBe('http://h/volume/v3/p1');
    expect(findEndpoint(CATALOG.filter((s) => s.type !== 'volumev3'), 'volume', 'public')).toBe('http://h/block/p1');
  });

  it('a missing service is keystoneauth\'s message', () => {
    expect(() => findEndpoint(CATALOG, 'image', 'internal')).toThrow('internal endpoint for image service not found');
    expect(() => findEndpoint(CATALOG, 'compute', 'public', 'Nowhere')).toThrow('public endpoint for compute service in Nowhere region not found');
  });

  it('version discovery: Glance and Keystone documents, foreign hosts keep the queried path', () => {
    const glance = { versions: [{ id: 'v2.17', status: 'CURRENT', links: [{ rel: 'self', href: 'http://h/image/v2/' }] }, { id: 'v2.0', status: 'SUPPORTED', links: [{ rel: 'self', href: 'http://h/image/v2/' }] }] };
    expect(versionHref(glance, 'v2', 'http://h/image')).toBe('http://h/image/v2');
    expect(versionHref(glance, 'v2', 'http://proxy:9/image')).toBe('http://proxy:9/image/v2');
    const keystone = { versions: { values: [{ id: 'v3.14', status: 'stable', links: [{ rel: 'self', href: 'http://h/identity/v3/' }] }] } };
    expect(versionHref(keystone, 'v3', 'http://h/identity')).toBe('http://h/identity/v3');
    expect(versionHref({}, 'v3', 'http://h')).toBeUndefined();
  });
});

describe('API error messages', () => {
  it('reads Nova/Cinder, Keystone and Glance bodies, and HTML', () => {
    expect(errorMessage({ itemNotFound: { code: 404, message: 'Instance x could not be found.' } }, '')).toBe('Instance x could not be found.');
    expect(errorMessage({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }, '')).toBe('The request you have made requires authentication.');
    expect(errorMessage({ message: 'No image found with ID x', code: '404 Not Found', title: 'Not Found' }, '')).toBe('No image found with ID x');
    const html = '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>No image found with ID x<br /><br /></body></html>';
    expect(errorMessage(html, html)).toBe('No image found with ID x');
  });
});

describe('views', () => {
  it('token expiry as Python strftime %z prints it', () => {
    expect(formatExpires('2026-11-23T14:48:05.000000Z')).toBe('2026-11-23T14:48:05+0000');
    expect(formatExpires('2026-11-23T14:48:05+01:00')).toBe('2026-11-23T14:48:05+0100');
  });

  it('image: core fields, tags, the rest under properties in the SDK\'s order, without self', () => {
    const info = formatImage({ id: 'i', name: 'n', size: 5147026, tags: ['b', 'a'], self: '/v2/images/i', snapstack_x: 'y', os_distro: 'busybox', os_hidden: false, checksum: null }, true);
    expect(Object.keys(info).sort()).toEqual(['id', 'name', 'properties', 'size', 'tags']);
    expect(info.size).toBe('5.1M');
    expect((info.tags as any).human).toBe('a, b');
    expect((info.properties as any).machine).toEqual({ os_hidden: false, snapstack_x: 'y', os_distro: 'busybox' });
    expect(Object.keys((info.properties as any).machine)).toEqual(['os_hidden', 'snapstack_x', 'os_distro']);
  });

  it('sizes and image sorting as osc_lib does them', () => {
    expect([0, 999, 1000, 1500000, 5147026, 2e12].map(formatSize)).toEqual(['0', '999', '1K', '1.5M', '5.1M', '2T']);
    const imgs = [{ name: 'b', status: 'x' }, { name: null, status: 'y' }, { name: 'A', status: 'y' }];
    expect(sortImages(imgs, 'name:asc').map((i) => i.name)).toEqual(['A', null, 'b']);
    expect(sortImages(imgs, 'status:desc,name').map((i) => i.name)).toEqual(['A', null, 'b']);
    expect(() => sortImages(imgs, 'name:up')).toThrow("'up' is not a valid sort direction for sort key name, use 'asc' or 'desc' instead");
  });
});

describe('the snapstack command line', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    const cli: CliIo = { stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); }, stderrIsTTY: false, env: {} };
    return { cli, out: () => out.join(''), err: () => err.join('') };
  }

  it('--version, --help and help <command>', async () => {
    let t = io();
    expect(await main(['--version'], t.cli)).toBe(0);
    expect(t.out()).toMatch(/^snapstack \d+\.\d+\.\d+\n$/);
    t = io();
    expect(await main(['--help'], t.cli)).toBe(0);
    for (const c of ['server image create', 'volume snapshot set', 'catalog list', 'serve']) expect(t.out()).toContain(c);
    t = io();
    expect(await main(['help', 'image', 'list'], t.cli)).toBe(0);
    expect(t.out()).toContain('usage: snapstack image list');
    expect(t.out()).toContain('snapstack image list --private');
  });

  it('every command has --help with examples', async () => {
    const { ALL_COMMANDS } = await import('../../../src/cli/commands');
    for (const spec of ALL_COMMANDS) {
      const t = io();
      expect(await main([...spec.name.split(' '), '--help'], t.cli)).toBe(0);
      expect(t.out()).toContain(`usage: snapstack ${spec.name}`);
      expect(t.out()).toContain('examples:');
    }
  });

  it('serve honours --help (and refuses arguments) without starting a server', async () => {
    for (const flag of ['--help', '-h']) {
      const t = io();
      expect(await main(['serve', flag], t.cli)).toBe(0);
      expect(t.out()).toContain('usage: snapstack serve');
      expect(t.out()).toContain('SNAPSTACK_DATA_DIR');
      expect(t.out()).toContain('examples:');
    }
    const bad = io();
    expect(await main(['serve', '--port', '9'], bad.cli)).toBe(2);
    expect(bad.err()).toContain('unrecognized arguments: --port 9');
  });

  it('the seed workflows are in the help of the commands they use', async () => {
    const help = async (...words: string[]) => { const t = io(); await main([...words, '--help'], t.cli); return t.out(); };
    expect(await help('server', 'image', 'create')).toContain('snapstack server stop --wait web1');
    expect(await help('image', 'list')).toContain('snapstack image list --private');
    expect(await help('image', 'set')).toContain('snapstack image set --name web1-golden web1-snap');
    expect(await help('volume', 'snapshot', 'set')).toContain('snapstack volume snapshot set --name');
    expect(await help('server', 'create')).toContain('flavor list --min-disk');
  });

  it('an unknown command or a bad option exits 2 with a usage message', async () => {
    let t = io();
    expect(await main(['server'], t.cli)).toBe(2);
    expect(t.err()).toContain("'server' is not a snapstack command");
    expect(t.err()).toContain('server list');
    t = io();
    expect(await main(['server', 'create', 'x'], t.cli)).toBe(2);
    expect(t.err()).toContain('snapstack server create: error: the following arguments are required: --flavor');
    t = io();
    expect(await main(['volume', 'create', 'x'], { ...t.cli, env: { OS_AUTH_URL: 'http://127.0.0.1:1/v3' } })).toBe(1);
    expect(t.err()).toBe('--size is a required option if snapshot or source volume is not specified.\n');
  });

  it('a missing setting is one line on stderr and exit 1, before any request', async () => {
    const t = io();
    expect(await main(['token', 'issue'], { ...t.cli, env: { OS_AUTH_URL: 'http://127.0.0.1:1/v3', OS_USERNAME: 'u' } })).toBe(1);
    expect(t.err()).toMatch(/^Missing settings OS_PASSWORD, OS_PROJECT_NAME: [^\n]*\n$/);
  });
});
