import Docker from 'dockerode';
import { startSnapstack } from '../../../src/app';
import { createLogger } from '../../../src/logger';
import { request, startHarness } from '../../support/snapstack-harness';
import { bootServer, busyboxImage, COMPUTE, containerOf, dockerExec, pollUntil, waitForServer } from '../../support/compute-helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

test('after a restart, ACTIVE servers get their container back and SHUTOFF ones stay without', async () => {
  const h = await startHarness();
  try {
    const demo = await h.login('demo');
    const imageId = (await busyboxImage(demo)).id;
    const running = await bootServer(demo, { imageRef: imageId });
    const stopped = await bootServer(demo, { imageRef: imageId });
    await dockerExec((await containerOf(h.app.instanceId, stopped.id))!.Id, 'echo survived > /root/f');
    await demo.request('POST', `${COMPUTE}/servers/${stopped.id}/action`, { 'os-stop': null });
    await waitForServer(demo, stopped.id, ['SHUTOFF']);
    const lost = (await containerOf(h.app.instanceId, running.id))!;
    await docker.getContainer(lost.Id).remove({ force: true });

    await h.app.close();
    const app2 = await startSnapstack(h.app.config, { logger: createLogger('silent') });
    try {
      const back = await pollUntil(() => containerOf(h.app.instanceId, running.id), (c) => c?.State === 'running', 30_000, 'container back');
      expect(back!.Id).not.toBe(lost.Id);
      expect(await containerOf(h.app.instanceId, stopped.id)).toBeUndefined();
      const show = await request(app2.url, 'GET', `${COMPUTE}/servers/${running.id}`, undefined, { 'X-Auth-Token': demo.token });
      expect(show.body.server.status).toBe('ACTIVE');
      const start = await request(app2.url, 'POST', `${COMPUTE}/servers/${stopped.id}/action`, { 'os-start': null }, { 'X-Auth-Token': demo.token });
      expect(start.status).toBe(202);
      const c = await pollUntil(() => containerOf(h.app.instanceId, stopped.id), (x) => x?.State === 'running', 30_000, 'started');
      expect(await dockerExec(c!.Id, 'cat /root/f')).toBe('survived\n');
      await request(app2.url, 'DELETE', `${COMPUTE}/servers/${running.id}`, undefined, { 'X-Auth-Token': demo.token });
      await request(app2.url, 'DELETE', `${COMPUTE}/servers/${stopped.id}`, undefined, { 'X-Auth-Token': demo.token });
      await app2.jobs.idle();
    } finally {
      await app2.close();
    }
  } finally {
    await h.stop();
  }
});
