/**
 * A testcontainers module: Snapstack's image (the Dockerfile) as a disposable cloud for another
 * project's tests, like testcontainers' own modules.
 *
 *   const snapstack = await new SnapstackContainer('snapstack/snapstack:latest').start();
 *   process.env.OS_CLIENT_CONFIG_FILE = snapstack.writeCloudsYaml('/tmp/clouds.yaml'); // OS_CLOUD=snapstack
 *   ...
 *   await snapstack.stop(); // the container, every Docker object it made, its data directory
 *
 * The container drives the same Docker engine (its socket is mounted) and its data directory is
 * bound at the same path inside and outside, because the engine mounts volume layers by host
 * path: so the engine must be local. It listens on one port that is the same inside and outside
 * (bound on 127.0.0.1), so the URLs in its catalog are the ones the test reaches.
 * `testcontainers` is an optional peer dependency: install it beside snapstack to use this.
 */
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import type Docker from 'dockerode';
import {
  AbstractStartedContainer,
  GenericContainer,
  getContainerRuntimeClient,
  Wait,
  type StartedTestContainer,
  type StopOptions,
  type StoppedTestContainer,
} from 'testcontainers';
import { instanceLabelFilter } from '../runtime/docker-engine';
import { clientAccess, type ClientAccess, type Credentials, type SeededPasswords, type SeededUser } from './client-access';

export const SNAPSTACK_IMAGE = 'snapstack/snapstack:latest';
const DOCKER_SOCKET = '/var/run/docker.sock';
const STARTUP_TIMEOUT_MS = 180_000;

export class SnapstackContainer extends GenericContainer {
  private dataDir?: string;
  private dockerSocket = DOCKER_SOCKET;
  private passwords: SeededPasswords = {};
  private port?: number;

  constructor(image = SNAPSTACK_IMAGE) {
    super(image);
    this.withAddedCapabilities('SYS_ADMIN') // archives read and write overlay's trusted.* xattrs
      .withStartupTimeout(STARTUP_TIMEOUT_MS);
  }

  /** A host directory for state (kept after stop); default a new temporary one, removed by stop(). */
  withDataDir(dir: string): this {
    this.dataDir = path.resolve(dir);
    return this;
  }

  /** The Docker engine's socket on the host; default /var/run/docker.sock. */
  withDockerSocket(socketPath: string): this {
    this.dockerSocket = socketPath;
    return this;
  }

  /** Passwords of the seeded users admin, demo and alt_demo (default: their names). */
  withPasswords(passwords: SeededPasswords): this {
    this.passwords = { ...this.passwords, ...passwords };
    return this;
  }

  /** The port, inside and outside (default a free one). */
  withPort(port: number): this {
    this.port = port;
    return this;
  }

  override async start(): Promise<StartedSnapstackContainer> {
    const ownDataDir = !this.dataDir;
    const dataDir = this.dataDir ?? fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-container-')));
    fs.mkdirSync(dataDir, { recursive: true });
    const port = this.port ?? (await freePort());
    const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
    const url = `http://${host}:${port}`;
    this.withEnvironment({
      SNAPSTACK_HOST: '0.0.0.0',
      SNAPSTACK_PORT: String(port),
      SNAPSTACK_PUBLIC_URL: url,
      SNAPSTACK_DATA_DIR: dataDir,
      SNAPSTACK_DOCKER_SOCKET: DOCKER_SOCKET,
      ...(this.passwords.admin ? { SNAPSTACK_ADMIN_PASSWORD: this.passwords.admin } : {}),
      ...(this.passwords.demo ? { SNAPSTACK_DEMO_PASSWORD: this.passwords.demo } : {}),
      ...(this.passwords.altDemo ? { SNAPSTACK_ALT_DEMO_PASSWORD: this.passwords.altDemo } : {}),
    })
      .withBindMounts([
        { source: dataDir, target: dataDir },
        { source: this.dockerSocket, target: DOCKER_SOCKET },
      ])
      .withExposedPorts({ container: port, host: port })
      .withWaitStrategy(Wait.forHttp('/snapstack/v1/health', port).forStatusCode(200));
    let started: StartedTestContainer;
    try {
      started = await super.start();
    } catch (err) {
      if (ownDataDir) await removeDataDir(dataDir, this.imageName.string);
      throw err;
    }
    const health = (await (await fetch(`${url}/snapstack/v1/health`)).json()) as { instance_id: string };
    return new StartedSnapstackContainer(started, {
      url, dataDir, ownDataDir, instanceId: health.instance_id, image: this.imageName.string, access: clientAccess(url, this.passwords),
    });
  }

  /** Publishes the port on 127.0.0.1 only: the Docker socket is behind it. */
  protected override async beforeContainerCreated(): Promise<void> {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as { HostIp?: string }[][]) {
      for (const b of bindings) b.HostIp = '127.0.0.1';
    }
  }
}

interface StartedFacts {
  url: string;
  dataDir: string;
  ownDataDir: boolean;
  instanceId: string;
  image: string;
  access: ClientAccess;
}

export class StartedSnapstackContainer extends AbstractStartedContainer {
  constructor(started: StartedTestContainer, private readonly facts: StartedFacts) {
    super(started);
  }

  /** Base URL, e.g. http://localhost:41234 (what the catalog advertises). */
  getUrl(): string {
    return this.facts.url;
  }

  /** Keystone v3, what OS_AUTH_URL is set to. */
  getAuthUrl(): string {
    return this.facts.access.authUrl;
  }

  getCredentials(user: SeededUser = 'demo'): Credentials {
    return this.facts.access.credentials[user];
  }

  /** The OS_* variables of the `openstack` client for a seeded user (default demo). */
  getOpenStackEnv(user: SeededUser = 'demo'): Record<string, string> {
    return this.facts.access.env(user);
  }

  /** clouds.yaml text: clouds `snapstack` (demo), `snapstack-admin`, `snapstack-alt-demo`. */
  getCloudsYaml(): string {
    return this.facts.access.cloudsYaml();
  }

  /** Writes clouds.yaml (mode 0600) and returns its path, for OS_CLIENT_CONFIG_FILE. */
  writeCloudsYaml(file: string): string {
    return this.facts.access.writeCloudsYaml(file);
  }

  /** The label value on every Docker object this Snapstack makes (`snapstack.instance`). */
  getInstanceId(): string {
    return this.facts.instanceId;
  }

  getDataDir(): string {
    return this.facts.dataDir;
  }

  /**
   * Stops Snapstack, then removes the Docker containers, volumes and images it made (only those
   * with its instance label) and, unless withDataDir() gave it, its data directory.
   */
  override async stop(options?: Partial<StopOptions>): Promise<StoppedTestContainer> {
    const stopped = await super.stop(options);
    const docker = (await getContainerRuntimeClient()).container.dockerode;
    await removeInstanceObjects(docker, this.facts.instanceId);
    if (this.facts.ownDataDir) await removeDataDir(this.facts.dataDir, this.facts.image);
    return stopped;
  }
}

/** Every container, volume and image labelled with `instanceId`; containers first (they hold the rest). */
async function removeInstanceObjects(docker: Docker, instanceId: string): Promise<void> {
  const filters = JSON.stringify({ label: instanceLabelFilter(instanceId) });
  const ignoreMissing = (err: { statusCode?: number }) => {
    if (err.statusCode !== 404) throw err;
  };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(ignoreMissing);
  }
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) {
    await docker.getVolume(v.Name).remove({ force: true }).catch(ignoreMissing);
  }
  for (const img of await docker.listImages({ filters })) {
    await docker.getImage(img.Id).remove({ force: true }).catch(ignoreMissing);
  }
}

/**
 * The data directory holds files the container's root made: a non-root test process cannot
 * delete them, so a one-shot container of the same image empties it first.
 */
async function removeDataDir(dataDir: string, image: string): Promise<void> {
  try {
    fs.rmSync(dataDir, { recursive: true, force: true });
    return;
  } catch (err) {
    if (!['EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  const emptier = await new GenericContainer(image)
    .withEntrypoint(['find', dataDir, '-mindepth', '1', '-delete'])
    .withCommand([])
    .withBindMounts([{ source: dataDir, target: dataDir }])
    .withWaitStrategy(Wait.forOneShotStartup())
    .start();
  await emptier.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
