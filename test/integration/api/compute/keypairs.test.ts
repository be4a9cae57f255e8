import { X509Certificate } from 'crypto';
import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { busyboxImage, COMPUTE, mv, randomName, waitForServerGone } from '../../../support/compute-helpers';

const KP = `${COMPUTE}/os-keypairs`;
const PUBLIC_KEY = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsNe3/1ILNCqFyfYWDeTKLD6jEXC2OQHLmietMWW+/vdaZq7KZEwO0jhglaFjU1mpqq4Gz5RX156sCTNM9vRbwKAxfsdF9laBYVsex3m3Wmui3uYrKyumsoJn2g9GNnG1PI1mrVjZ61i0GY3khna+wzlTpCCmy5HNlrmbj3XLqBUpipTOXmsnr4sChzC53KCd8LXuwc1i/CZPvF+3XipvAgFSE53pCtLOeB1kYMOBaiUPLQTWXR3JpckqFIQwhIH0zoHlJvZE8hh90XcPojYN56tI0OlrGqojbediJYD0rUsJu4weZpbn8vilb3JuDY+jwssnSA8wzBx3A/8y9Pp1B nova@ubuntu';
const FINGERPRINT = '61:5f:fe:c7:e0:fd:d7:4a:2b:52:6e:a6:f5:bf:da:27';

let h: Harness;
let demo: Session;
let alt: Session;
let admin: Session;

beforeAll(async () => {
  h = await startHarness();
  [demo, alt, admin] = await Promise.all([h.login('demo'), h.login('alt_demo'), h.login('admin')]);
});
afterAll(async () => { await h?.stop(); });

describe('os-keypairs', () => {
  test('import at 2.1: 200 without type or private key; list, show with Nova\'s row fields, delete 202', async () => {
    const name = randomName('kp');
    const res = await demo.request('POST', KP, { keypair: { name, public_key: PUBLIC_KEY } }, mv('2.1'));
    expect(res.status).toBe(200);
    expect(res.body.keypair).toEqual({ name, public_key: PUBLIC_KEY, fingerprint: FINGERPRINT, user_id: demo.userId });
    const list = await demo.request('GET', KP, undefined, mv('2.1'));
    expect(list.body.keypairs).toContainEqual({ keypair: { name, public_key: PUBLIC_KEY, fingerprint: FINGERPRINT } });
    const show = await demo.request('GET', `${KP}/${name}`, undefined, mv('2.1'));
    expect(show.body.keypair).toMatchObject({ name, user_id: demo.userId, deleted: false, deleted_at: null, updated_at: null, fingerprint: FINGERPRINT });
    expect(show.body.keypair.id).toEqual(expect.any(Number));
    expect(show.body.keypair.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(show.body.keypair).not.toHaveProperty('type');
    expect((await demo.request('DELETE', `${KP}/${name}`, undefined, mv('2.1'))).status).toBe(202);
    const gone = await demo.request('GET', `${KP}/${name}`, undefined, mv('2.1'));
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ itemNotFound: { code: 404, message: `Keypair ${name} not found for user ${demo.userId}` } });
  });

  test('generate below 2.92: the private key once, 201 with type from 2.2; x509 too; delete 204', async () => {
    const name = randomName('gen');
    const res = await demo.request('POST', KP, { keypair: { name } }, mv('2.2'));
    expect(res.status).toBe(201);
    expect(res.body.keypair).toMatchObject({ name, type: 'ssh', user_id: demo.userId });
    expect(res.body.keypair.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(res.body.keypair.public_key).toMatch(/^ssh-rsa \S+ Generated-by-Nova$/);
    const show = (await demo.request('GET', `${KP}/${name}`, undefined, mv('2.2'))).body.keypair;
    expect(show).not.toHaveProperty('private_key');
    expect(show.type).toBe('ssh');

    const x = randomName('x509');
    const cert = await demo.request('POST', KP, { keypair: { name: x, type: 'x509' } }, mv('2.79'));
    expect(cert.status).toBe(201);
    expect(cert.body.keypair.type).toBe('x509');
    expect(new X509Certificate(cert.body.keypair.public_key).subject).toBe(`CN=${demo.userId}`);
    expect(cert.body.keypair.fingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    for (const n of [name, x]) expect((await demo.request('DELETE', `${KP}/${n}`, undefined, mv('2.2'))).status).toBe(204);
  });

  test('errors as Nova sends them: duplicate 409, bad key 400, names, type before 2.2, public_key required at 2.92', async () => {
    const name = randomName('dup');
    expect((await demo.request('POST', KP, { keypair: { name, public_key: PUBLIC_KEY } }, mv('2.92'))).status).toBe(201);
    const dup = await demo.request('POST', KP, { keypair: { name, public_key: PUBLIC_KEY } }, mv('2.92'));
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ conflictingRequest: { code: 409, message: `Key pair '${name}' already exists.` } });
    const bad = await demo.request('POST', KP, { keypair: { name: randomName('bad'), public_key: 'ssh-rsa notakey' } }, mv('2.2'));
    expect(bad.status).toBe(400);
    expect(bad.body.badRequest.message).toBe('Keypair data is invalid: failed to generate fingerprint');
    expect((await demo.request('POST', KP, { keypair: { name: 'a@b.c', public_key: PUBLIC_KEY } }, mv('2.91'))).status).toBe(400);
    expect((await demo.request('POST', KP, { keypair: { name: ' lead', public_key: PUBLIC_KEY } }, mv('2.92'))).status).toBe(400);
    const at = randomName('a') + '@x.y';
    expect((await demo.request('POST', KP, { keypair: { name: at, public_key: PUBLIC_KEY } }, mv('2.92'))).status).toBe(201);
    const typed = await demo.request('POST', KP, { keypair: { name: randomName('t'), type: 'ssh' } }, mv('2.1'));
    expect(typed.status).toBe(400);
    expect(typed.body.badRequest.message).toContain("Additional properties are not allowed ('type' was unexpected)");
    const noKey = await demo.request('POST', KP, { keypair: { name: randomName('nk') } }, mv('2.92'));
    expect(noKey.status).toBe(400);
    expect(noKey.body.badRequest.message).toContain("'public_key' is a required property");
    expect((await demo.request('DELETE', `${KP}/nope`, undefined, mv('2.2'))).status).toBe(404);
    for (const n of [name, at]) await demo.request('DELETE', `${KP}/${encodeURIComponent(n)}`, undefined, mv('2.2'));
  });

  test('a user sees only their own; admins reach another user\'s with user_id (2.10); others get 403', async () => {
    const name = randomName('own');
    await demo.request('POST', KP, { keypair: { name, public_key: PUBLIC_KEY } }, mv('2.10'));
    expect((await alt.request('GET', `${KP}/${name}`, undefined, mv('2.10'))).status).toBe(404);
    expect((await alt.request('GET', KP, undefined, mv('2.10'))).body.keypairs.map((k: any) => k.keypair.name)).not.toContain(name);
    const denied = await alt.request('GET', `${KP}/${name}?user_id=${demo.userId}`, undefined, mv('2.10'));
    expect(denied.status).toBe(403);
    expect(denied.body.forbidden.message).toBe("Policy doesn't allow os_compute_api:os-keypairs:show to be performed.");
    expect((await admin.request('GET', `${KP}/${name}?user_id=${demo.userId}`, undefined, mv('2.10'))).body.keypair.user_id).toBe(demo.userId);
    const forAlt = await admin.request('POST', KP, { keypair: { name, public_key: PUBLIC_KEY, user_id: alt.userId } }, mv('2.10'));
    expect(forAlt.status).toBe(201);
    expect(forAlt.body.keypair.user_id).toBe(alt.userId);
    expect((await alt.request('DELETE', `${KP}/${name}`, undefined, mv('2.10'))).status).toBe(204);
    expect((await admin.request('DELETE', `${KP}/${name}?user_id=${demo.userId}`, undefined, mv('2.10'))).status).toBe(204);
  });

  test('2.35 paging by name with keypairs_links; an unknown marker is 400', async () => {
    const prefix = randomName('pg');
    const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    const user = await h.login('alt_demo');
    for (const n of names) await user.request('POST', KP, { keypair: { name: n, public_key: PUBLIC_KEY } }, mv('2.35'));
    const first = await user.request('GET', `${KP}?limit=2`, undefined, mv('2.35'));
    expect(first.body.keypairs).toHaveLength(2);
    expect(first.body.keypairs_links[0].href).toContain(`marker=${encodeURIComponent(first.body.keypairs[1].keypair.name)}`);
    const all: string[] = first.body.keypairs.map((k: any) => k.keypair.name);
    const next = await user.request('GET', `${KP}?limit=2&marker=${encodeURIComponent(all[1])}`, undefined, mv('2.35'));
    all.push(...next.body.keypairs.map((k: any) => k.keypair.name));
    expect(all.filter((n) => n.startsWith(prefix))).toEqual(names.filter((n) => all.includes(n)));
    expect(all).toEqual([...all].sort());
    const bad = await user.request('GET', `${KP}?marker=nope`, undefined, mv('2.35'));
    expect(bad.status).toBe(400);
    expect(bad.body.badRequest.message).toBe('Marker nope could not be found.');
    // Below 2.35 limit is not a paging parameter.
    expect((await user.request('GET', `${KP}?limit=1`, undefined, mv('2.34'))).body.keypairs.length).toBeGreaterThanOrEqual(3);
    for (const n of names) await user.request('DELETE', `${KP}/${n}`, undefined, mv('2.35'));
  });
});

describe('key_name on servers', () => {
  test('an unknown key_name is 400 "Invalid key_name provided."; a known one is shown on the server', async () => {
    const imageId = (await busyboxImage(demo)).id;
    const bad = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('k'), imageRef: imageId, flavorRef: '1', networks: 'none', key_name: 'nope' } }, mv('2.37'));
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ badRequest: { code: 400, message: 'Invalid key_name provided.' } });
    const key = randomName('key');
    await demo.request('POST', KP, { keypair: { name: key, public_key: PUBLIC_KEY } }, mv('2.2'));
    // Another user's key pair of that name is not the caller's.
    const other = await alt.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('k'), imageRef: imageId, flavorRef: '1', networks: 'none', key_name: key } }, mv('2.37'));
    expect(other.status).toBe(400);
    const res = await demo.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('k'), imageRef: imageId, flavorRef: '1', networks: 'none', key_name: key } }, mv('2.37'));
    expect(res.status).toBe(202);
    const shown = await demo.request('GET', `${COMPUTE}/servers/${res.body.server.id}`);
    expect(shown.body.server.key_name).toBe(key);
    await demo.request('DELETE', `${COMPUTE}/servers/${res.body.server.id}`);
    await waitForServerGone(demo, res.body.server.id);
    await demo.request('DELETE', `${KP}/${key}`);
  });
});
