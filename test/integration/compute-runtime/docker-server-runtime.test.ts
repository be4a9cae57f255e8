import Docker from 'dockerode';
import { randomBytes } from 'crypto';
import { DockerServerRuntime } from '../../../src/compute/runtime/docker-server-runtime';
import { DockerImageDriver } from '../../../src/runtime/docker-image-driver';
import { createLogger } from '../../../src/logger';
import { purgeDockerObjects } from '../../support/snapstack-harness';
import { dockerExec } from '../../support/compute-helpers';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const instanceId = `t${randomBytes(3).toString('hex')}`;
const images = new DockerImageDriver(docker, createLogger('silent'));
const runtime = new DockerServerRuntime(docker, instanceId, createLogger('silent'), images);
const serverId = `srv-${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  await purgeDockerObjects(instanceId);
});

const spec = (image: string) => ({ serverId, projectId: 'p', image, hostname: 'Web Server_1', memoryMiB: 64, vcpus: 64, network: 'none' as const, mounts: [] });

test('containers stop at once, keep limits within the machine, and commit with labels', async () => {
  const state = await runtime.createAndStart(spec('snapstack/busybox:latest'));
  expect(state.state).toBe('running');
  const info = await docker.getContainer(state.id).inspect();
  expect(info.Config.Hostname).toBe('web-server-1');
  expect(info.HostConfig.NanoCpus).toBeLessThanOrEqual(require('os').cpus().length * 1e9);
  const t0 = Date.now();
  await runtime.stop(state.id);
  expect(Date.now() - t0).toBeLessThan(5000);
  const ref = `snapstack/test-${instanceId}:latest`;
  await runtime.commit(state.id, ref, { 'snapstack.role': 'test' });
  const img = await docker.getImage(ref).inspect();
  expect(img.Config.Labels).toMatchObject({ 'snapstack.role': 'test', 'snapstack.instance': instanceId, 'snapstack.server': serverId });
  await runtime.remove(state.id);
  await runtime.remove(state.id);
  expect(await runtime.inspect(state.id)).toBeNull();
});

test('a root image grown by commits is squashed into one layer, keeping files, environment and labels', async () => {
  let image = 'snapstack/busybox:latest';
  const ref = `snapstack/root-${instanceId}:latest`;
  for (let i = 0; i < 3; i++) {
    const c = await runtime.createAndStart(spec(image));
    await dockerExec(c.id, `echo ${i} >> /root/log`);
    await runtime.stop(c.id);
    await runtime.commit(c.id, ref, {});
    await runtime.remove(c.id);
    image = ref;
  }
  expect((await docker.getImage(ref).inspect()).RootFS.Layers!.length).toBeGreaterThan(2);
  expect(await images.squashIfDeep(ref, 2)).toBe(true);
  const squashed = await docker.getImage(ref).inspect();
  expect(squashed.RootFS.Layers).toHaveLength(1);
  expect(squashed.Config.Env).toContain('PATH=/usr/sbin:/usr/bin:/sbin:/bin');
  expect(squashed.Config.Labels).toMatchObject({ 'snapstack.instance': instanceId });
  const c = await runtime.createAndStart(spec(ref));
  expect(await dockerExec(c.id, 'cat /root/log')).toBe('0\n1\n2\n');
  await runtime.remove(c.id);
  expect(await images.squashIfDeep(ref, 2)).toBe(false);
});

test('a container left under the server\'s name (a crash before its row) is replaced by the next create and start', async () => {
  const leftover = await docker.createContainer({
    name: runtime.containerName(serverId), Image: 'snapstack/busybox:latest', Cmd: ['sleep', '600'],
    Labels: { 'snapstack.managed': 'true', 'snapstack.instance': instanceId, 'snapstack.server': serverId },
  });
  await leftover.start();
  const state = await runtime.createAndStart(spec('snapstack/busybox:latest'));
  expect(state.state).toBe('running');
  expect(state.id).not.toBe(leftover.id);
  expect(await runtime.inspect(leftover.id)).toBeNull();
  expect((await runtime.findForServer(serverId))?.id).toBe(state.id);
  await runtime.remove(state.id);
});
