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
import type { Readable } from 'stream';
import {
  AbstractStartedContainer,
  GenericContainer,
  getContainerRuntimeClient,
  Wait,
  type StartedTestContainer,
  type StopOptions,
  type StoppedTestContainer,
  type WaitStrategy,
} from 'testcontainers';
import type Dockerode from 'dockerode';
import { removeInstanceObjects } from '../runtime/docker-engine';
import { clientAccess, type ClientAccess, type Credentials, type SeededPasswords, type SeededUser } from './client-access';

export const SNAPSTACK_IMAGE = 'snapstack/snapstack:latest';
const DOCKER_SOCKET = '/var/run/docker.sock';
const STARTUP_TIMEOUT_MS = 180_000;
const LOG_TAIL_LINES = 40;
/** The Dockerfile's HEALTHCHECK command: node's fetch, the slim base has no curl. */
const HEALTH_PROBE = "fetch('http://127.0.0.1:'+process.env.SNAPSTACK_PORT+'/snapstack/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))";

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
    // Published on 127.0.0.1 only, so that is the address, whatever testcontainers takes the
    // runtime's host to be (inside a container it names the bridge's gateway, where nothing is
    // published). `localhost` could resolve to ::1 first.
    const url = `http://127.0.0.1:${port}`;
    const logTail = new LogTail(LOG_TAIL_LINES);
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
      // The image's own check (GET /snapstack/v1/health from inside), polled faster than the
      // Dockerfile's 5 s so a start is seen within half a second.
      .withHealthCheck({ test: ['CMD', 'node', '-e', HEALTH_PROBE], interval: 500, timeout: 3_000, retries: 3, startPeriod: STARTUP_TIMEOUT_MS })
      .withWaitStrategy(new HealthyOrExited())
      .withLogConsumer((stream) => logTail.follow(stream));
    let started: StartedTestContainer;
    let health: { instance_id: string };
    try {
      await runtimeClient();
      started = await super.start();
    } catch (err) {
      if (ownDataDir) await removeDataDir(dataDir, this.imageName.string);
      throw withLogs(err, logTail);
    }
    try {
      // Healthy inside; now through the published port, as the caller's clients will come.
      health = (await (await fetch(`${url}/snapstack/v1/health`)).json()) as { instance_id: string };
    } catch (err) {
      await started.stop();
      if (ownDataDir) await removeDataDir(dataDir, this.imageName.string);
      throw withLogs(new Error(`Snapstack is healthy in its container but ${url} does not answer: ${(err as Error).message}`), logTail);
    }
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

  /** Base URL, e.g. http://127.0.0.1:41234 (what the catalog advertises). */
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
    const docker = (await runtimeClient()).container.dockerode;
    await removeInstanceObjects(docker, this.facts.instanceId);
    if (this.facts.ownDataDir) await removeDataDir(this.facts.dataDir, this.facts.image);
    return stopped;
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

/**
 * Waits for the container's health check to pass, and fails at once when the container exits
 * (testcontainers' own health-check wait would sit out its whole timeout on a dead container).
 */
class HealthyOrExited implements WaitStrategy {
  private timeoutMs = STARTUP_TIMEOUT_MS;
  private timeoutSet = false;

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const { State } = await container.inspect();
      if (State.Health?.Status === 'healthy') return;
      if (!State.Running) throw new Error(`Snapstack's container exited (code ${State.ExitCode}) before it was healthy`);
      if (State.Health?.Status === 'unhealthy') throw new Error('Snapstack\'s container is unhealthy: /snapstack/v1/health does not answer inside it');
      if (Date.now() > deadline) throw new Error(`Snapstack's container was not healthy within ${this.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  withStartupTimeout(ms: number): this {
    this.timeoutMs = ms;
    this.timeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }

  getStartupTimeout(): number {
    return this.timeoutMs;
  }
}

/** The last lines the container printed, for the error when it does not come up. */
class LogTail {
  private lines: string[] = [];
  constructor(private readonly max: number) {}

  follow(stream: Readable): void {
    stream.on('data', (chunk: Buffer | string) => {
      this.lines.push(...chunk.toString().split('\n').filter((l) => l.trim() !== ''));
      if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
    });
    stream.on('error', () => {});
  }

  text(): string {
    return this.lines.join('\n');
  }
}

function withLogs(err: unknown, tail: LogTail): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const logs = tail.text();
  if (logs) e.message += `\nThe container's last ${LOG_TAIL_LINES} lines:\n${logs}`;
  return e;
}

/**
 * testcontainers' engine probe (its "container runtime strategy") gives up at its first failed
 * Docker call and does not remember a failure: on an engine slow to answer (a loaded CI machine)
 * it is tried again, three times, before start() goes on.
 */
async function runtimeClient(): ReturnType<typeof getContainerRuntimeClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getContainerRuntimeClient();
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 2_000 * attempt));
    }
  }
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
