/**
 * Issue 16: Docker images Snapstack made but no record accounts for (a kill -9 between the
 * commit or tag and the row) are removed at the next start; accounted ones and other
 * instances' images are kept. The orphans are made as the code makes them (stop commits
 * root-<server>, createImage of a stopped server tags snap-<image>, the runtime tags a base
 * image), then their rows are taken away.
 */
import { randomUUID } from 'crypto';
import Docker from 'dockerode';
import { startSnapstack } from '../../../src/app';
import { createLogger } from '../../../src/logger';
import { LABELS, managedLabels } from '../../../src/runtime/docker-engine';
import { DockerImageDriver } from '../../../src/runtime/docker-image-driver';
import { request, startHarness, type Session } from '../../support/snapstack-harness';
import { bootServer, busyboxImage, COMPUTE, waitForImage, waitForServer } from '../../support/compute-helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const images = new DockerImageDriver(docker, createLogger('silent'));

async function stoppedServerWithSnapshot(s: Session, imageRef: string): Promise<{ serverId: string; imageId: string }> {
  const server = await bootServer(s, { imageRef });
  await s.request('POST', `${COMPUTE}/servers/${server.id}/action`, { 'os-stop': null });
  await waitForServer(s, server.id, ['SHUTOFF']);
  const res = await s.request('POST', `${COMPUTE}/servers/${server.id}/action`, { createImage: { name: 'sweep' } });
  expect(res.status).toBe(202);
  const imageId = res.headers.get('location')!.split('/').pop()!;
  await waitForImage(s, imageId, ['active']);
  return { serverId: server.id, imageId };
}

test('at start, images no record accounts for are removed and the rest kept', async () => {
  const h = await startHarness();
  const otherInstance = `other-${randomUUID()}`;
  const foreign = `snapstack/snap-${randomUUID()}:latest`;
  try {
    const demo = await h.login('demo');
    const base = (await busyboxImage(demo)).id;
    const kept = await stoppedServerWithSnapshot(demo, base);
    const orphan = await stoppedServerWithSnapshot(demo, base);
    const root = (id: string) => `snapstack/root-${id}:latest`;
    const snap = (id: string) => `snapstack/snap-${id}:latest`;
    // A tag of the seeded base image (no instance label of its own) is a labelled copy.
    const baseTag = snap(randomUUID());
    await h.app.compute.runtime.tag(h.app.config.defaultServerImage, baseTag);
    for (const ref of [root(kept.serverId), snap(kept.imageId), root(orphan.serverId), snap(orphan.imageId), baseTag]) {
      expect((await images.inspect(ref))?.labels[LABELS.instance]).toBe(h.app.instanceId);
    }
    // Another instance's image with a name this one would sweep: never touched.
    await images.relabel(h.app.config.defaultServerImage, foreign, managedLabels(otherInstance));
    // The rows go, as if the process had died before writing them.
    await h.app.db('servers').where({ id: orphan.serverId }).update({ deleted_at: new Date(), vm_state: 'deleted' });
    await h.app.db('images').where({ id: orphan.imageId }).delete();

    await h.app.close();
    const app2 = await startSnapstack(h.app.config, { logger: createLogger('silent') });
    try {
      expect(await images.exists(root(kept.serverId))).toBe(true);
      expect(await images.exists(snap(kept.imageId))).toBe(true);
      expect(await images.exists(root(orphan.serverId))).toBe(false);
      expect(await images.exists(snap(orphan.imageId))).toBe(false);
      expect(await images.exists(baseTag)).toBe(false);
      expect(await images.exists(foreign)).toBe(true);
      expect(await images.exists(h.app.config.defaultServerImage)).toBe(true);
      // What was kept still works: the kept server starts from its root disk.
      const again: Session = { ...demo, request: (method, p, body, headers = {}) => request(app2.url, method, p, body, { 'X-Auth-Token': demo.token, ...headers }) };
      expect((await again.request('POST', `${COMPUTE}/servers/${kept.serverId}/action`, { 'os-start': null })).status).toBe(202);
      await waitForServer(again, kept.serverId, ['ACTIVE']);
    } finally {
      await app2.close();
    }
  } finally {
    await images.remove(foreign);
    await h.stop();
  }
});
