import { startHarness, Harness, Session } from '../../../support/snapstack-harness';
import { busyboxImage, COMPUTE, mv, randomName, waitForServerGone } from '../../../support/compute-helpers';

let h: Harness;
let alt: Session;
let admin: Session;

beforeAll(async () => {
  h = await startHarness();
  [alt, admin] = await Promise.all([h.login('alt_demo'), h.login('admin')]);
});
afterAll(async () => { await h?.stop(); });

const absolute = async (who: Session, version: string, query = '') => {
  const res = await who.request('GET', `${COMPUTE}/limits${query}`, undefined, mv(version));
  expect(res.status).toBe(200);
  expect(res.body.limits.rate).toEqual([]);
  return res.body.limits.absolute;
};

describe('GET /limits', () => {
  test('Nova\'s default quotas, keys by microversion, and the project\'s usage (another project\'s for admins)', async () => {
    const old = await absolute(alt, '2.1');
    expect(old).toMatchObject({
      maxTotalKeypairs: 100, maxTotalInstances: 10, maxTotalCores: 20, maxTotalRAMSize: 51200, maxServerMeta: 128, maxImageMeta: 128,
      maxPersonality: 5, maxPersonalitySize: 10240, maxSecurityGroups: 10, maxSecurityGroupRules: 20, maxTotalFloatingIps: 10,
      maxServerGroups: 10, maxServerGroupMembers: 10, totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0,
    });
    const modern = await absolute(alt, '2.57');
    for (const gone of ['maxSecurityGroups', 'maxTotalFloatingIps', 'totalFloatingIpsUsed', 'maxImageMeta', 'maxPersonality', 'maxPersonalitySize']) expect(modern).not.toHaveProperty(gone);
    expect(await absolute(alt, '2.39')).toHaveProperty('maxPersonality');

    const before = await absolute(alt, '2.57');
    const imageId = (await busyboxImage(alt)).id;
    const server = await alt.request('POST', `${COMPUTE}/servers`, { server: { name: randomName('lim'), imageRef: imageId, flavorRef: '2', networks: 'none' } }, mv('2.37'));
    const group = await alt.request('POST', `${COMPUTE}/os-server-groups`, { server_group: { name: randomName('lim'), policies: ['affinity'] } });
    const after = await absolute(alt, '2.57');
    // m1.small: 1 vCPU, 2048 MiB.
    expect(after.totalInstancesUsed - before.totalInstancesUsed).toBe(1);
    expect(after.totalCoresUsed - before.totalCoresUsed).toBe(1);
    expect(after.totalRAMUsed - before.totalRAMUsed).toBe(2048);
    expect(after.totalServerGroupsUsed - before.totalServerGroupsUsed).toBe(1);
    expect((await absolute(admin, '2.57', `?tenant_id=${alt.projectId}`)).totalInstancesUsed).toBe(after.totalInstancesUsed);

    await alt.request('DELETE', `${COMPUTE}/os-server-groups/${group.body.server_group.id}`);
    await alt.request('DELETE', `${COMPUTE}/servers/${server.body.server.id}`);
    await waitForServerGone(alt, server.body.server.id);
    expect((await absolute(alt, '2.57')).totalInstancesUsed).toBe(before.totalInstancesUsed);
  });
});
