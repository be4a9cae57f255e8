// Shared by the volume-data integration tests: a real Docker engine, a temp
// data dir and a random instance id per test file, and containers that read
// and write volumes the way servers will.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import pino, { type Logger } from 'pino';
import { DEFAULT_DOCKER_SOCKET, LABELS, connectDocker, instanceLabelFilter, managedLabels } from '../../../src/runtime/docker-engine';
import { containerOutput } from '../../../src/volume/data/docker-ops';
import { DockerImageDriver } from '../../../src/runtime/docker-image-driver';
import { DirectoryDriver } from '../../../src/volume/data/directory-driver';
import { OverlayDockerDriver, type OverlayDockerDriverOptions } from '../../../src/volume/data/overlay-docker-driver';
import type { VolumeDataDriver } from '../../../src/volume/data/volume-data-driver';

export const HELPER_IMAGE = process.env.SNAPSTACK_BASE_IMAGE || 'snapstack/busybox:latest';
export const isCI = process.env.CI === 'true' || process.env.CI === '1';
export type DriverKind = VolumeDataDriver['kind'];

/**
 * describe, or describe.skip when this machine has no Docker socket. In CI a
 * missing engine must fail, so there the suite always runs (and beforeAll throws).
 */
export const describeWithDocker: jest.Describe =
  isCI || existsSync(process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || DEFAULT_DOCKER_SOCKET) ? describe : describe.skip;

/** Lists a tree with type, mode, owner and content hash per entry: equal listings mean equal data. */
const FINGERPRINT = `cd /data && find . | sort | while IFS= read -r f; do
  t=$(stat -c '%F|%a|%u|%g' "$f")
  if [ -L "$f" ]; then echo "$f|$t|$(readlink "$f")"
  elif [ -f "$f" ]; then echo "$f|$t|$(sha256sum < "$f" | cut -d' ' -f1)"
  else echo "$f|$t"; fi
done`;

export class VolumeDataHarness {
  docker!: Docker;
  /** The image driver the drivers use (as the composition root hands it to them). */
  images!: DockerImageDriver;
  dataDir = '';
  readonly instanceId = `t${randomBytes(4).toString('hex')}`;
  readonly logger: Logger = pino({ level: process.env.TEST_LOG_LEVEL || 'silent' });
  private readonly drivers: VolumeDataDriver[] = [];
  private readonly instanceIds = [this.instanceId];

  async setup(): Promise<void> {
    const docker = await connectDocker();
    if (!docker) throw new Error('Docker engine unreachable: the volume data tests need one (set DOCKER_HOST or start dockerd)');
    this.docker = docker;
    this.images = new DockerImageDriver(docker, this.logger);
    await this.ensureHelperImage();
    this.dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstack-vd-'));
  }

  /** A driver on this file's data dir (a second call on the same dir simulates a restart). */
  async driver(kind: DriverKind, overrides: Partial<OverlayDockerDriverOptions> = {}): Promise<VolumeDataDriver> {
    const driver =
      kind === 'overlay-docker'
        ? new OverlayDockerDriver({
            dataDir: this.dataDir,
            instanceId: this.instanceId,
            docker: this.docker,
            images: this.images,
            helperImage: HELPER_IMAGE,
            maxChainDepth: 50,
            logger: this.logger,
            ...overrides,
          })
        : new DirectoryDriver({ dataDir: overrides.dataDir ?? this.dataDir, logger: this.logger });
    await driver.init();
    this.drivers.push(driver);
    return driver;
  }

  /**
   * Another Snapstack on the same engine: its own instance id and data dir.
   * Drivers sharing an instance would see each other's Docker volumes as orphans.
   */
  newInstance(): { instanceId: string; dataDir: string } {
    const instanceId = `${this.instanceId}i${this.instanceIds.length}`;
    this.instanceIds.push(instanceId);
    return { instanceId, dataDir: path.join(this.dataDir, instanceId) };
  }

  async isolatedDriver(kind: DriverKind, overrides: Partial<OverlayDockerDriverOptions> = {}): Promise<VolumeDataDriver> {
    return this.driver(kind, { ...this.newInstance(), ...overrides });
  }

  /** Runs `script` in a throwaway container with the volume at /data; returns its output. */
  async run(mount: string, script: string): Promise<string> {
    const container = await this.createContainer(mount, script);
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const out = (await containerOutput(container)).replace(/\r\n/g, '\n');
      if (StatusCode !== 0) throw new Error(`container exited ${StatusCode}: ${out}`);
      return out;
    } finally {
      await container.remove({ force: true });
    }
  }

  /** A container that references the volume; not started. */
  async createContainer(mount: string, script: string): Promise<Docker.Container> {
    return this.docker.createContainer({
      Image: HELPER_IMAGE,
      Cmd: ['sh', '-c', script],
      Tty: true,
      Labels: managedLabels(this.instanceId),
      HostConfig: { Binds: [`${mount}:/data`], NetworkMode: 'none' },
    });
  }

  async write(driver: VolumeDataDriver, volumeId: string, script: string): Promise<void> {
    await this.run((await driver.prepareMount(volumeId)).dockerVolume, `set -e; cd /data; ${script}`);
  }

  async fingerprint(driver: VolumeDataDriver, volumeId: string): Promise<string> {
    return this.run((await driver.prepareMount(volumeId)).dockerVolume, FINGERPRINT);
  }

  /** What a snapshot holds, read through a throwaway volume made from it. */
  async snapshotFingerprint(driver: VolumeDataDriver, snapshotId: string): Promise<string> {
    const probe = newId('probe');
    await driver.createVolume(probe, { projectId: 'p', fromSnapshotId: snapshotId });
    try {
      return await this.fingerprint(driver, probe);
    } finally {
      await driver.deleteVolume(probe);
    }
  }

  /** Removes every container and volume this file's instance made, then the data dir. */
  async teardown(): Promise<void> {
    for (const d of this.drivers) await d.whenIdle?.().catch(() => undefined);
    if (this.docker) {
      for (const instanceId of this.instanceIds) {
        const filters = { label: instanceLabelFilter(instanceId) };
        for (const c of await this.docker.listContainers({ all: true, filters })) {
          await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
        }
        const { Volumes } = await this.docker.listVolumes({ filters });
        for (const v of Volumes ?? []) await this.docker.getVolume(v.Name).remove().catch(() => undefined);
      }
    }
    if (this.dataDir) await fs.rm(this.dataDir, { recursive: true, force: true });
  }

  /** Layer directories on disk (overlay driver). */
  async layerCount(dataDir = this.dataDir): Promise<number> {
    return (await fs.readdir(path.join(dataDir, 'cow', 'l')).catch(() => [])).length;
  }

  /** The manifest on disk, from whichever of this harness's data dirs holds it. */
  async volumeManifest(volumeId: string): Promise<{ chain: string[]; upper: string }> {
    const dirs = [this.dataDir, ...this.instanceIds.slice(1).map((i) => path.join(this.dataDir, i))];
    for (const dir of dirs) {
      const file = path.join(dir, 'cow', 'volumes', `${volumeId}.json`);
      if (existsSync(file)) return JSON.parse(await fs.readFile(file, 'utf8'));
    }
    throw new Error(`no manifest for ${volumeId}`);
  }

  async dockerVolumes(): Promise<Docker.VolumeInspectInfo[]> {
    const { Volumes } = await this.docker.listVolumes({ filters: { label: instanceLabelFilter(this.instanceId, [LABELS.volume]) } });
    return Volumes ?? [];
  }

  private async ensureHelperImage(): Promise<void> {
    const present = await this.docker
      .getImage(HELPER_IMAGE)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (present) return;
    execFileSync('bash', [path.join(__dirname, '../../../scripts/build-base-image.sh')], { stdio: 'inherit' });
  }
}

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
