import { randomUUID } from 'node:crypto';
import { NotFound } from '../http/faults';
import type { JobDefinition, JobRunner } from '../jobs/jobs-api';
import type { ImageApi } from '../image/image-api';
import type { Logger } from '../logger';
import { crashPoint } from '../shared/crash-points';
import { Reverter } from '../shared/reverter';
import { isoSecondsZ } from '../shared/time-format';
import type { VolumeApi, VolumeRecord } from '../volume/volume-api';
import type { ServerContainers } from './server-containers';
import type { ResourceLocks } from '../shared/resource-locks';
import { POWER } from './server-states';
import type { BlockDeviceRow, ServerRow, ServerStore } from './server-store';
import { bestEffort } from '../shared/best-effort';

export const JOB_BUILD = 'compute.server.build';
export const JOB_DELETE = 'compute.server.delete';
/** A build's look at its volume when no job end woke it (the volume's job runs in another replica). */
const VOLUME_POLL_MS = 50;
/** The same look when every job's end is seen here (no replicas): a safety net only. */
const VOLUME_RECHECK_MS = 1_000;
const VOLUME_WAIT_MS = 120_000;

export interface ServerJobPayload {
  serverId: string;
}

/**
 * A build's journal (its job's payload): what it made, recorded before each step runs, so a
 * failure undoes exactly that, whether the build threw or a kill -9 stopped it.
 */
export interface BuildJournal extends ServerJobPayload {
  /** Volumes the build asked Cinder for (recorded before the request). */
  createdVolumes?: string[];
  /** Volumes the build attached (recorded before the attach; one the build makes, when it is asked for). */
  attachedVolumes?: string[];
  /** The container was asked for. */
  launched?: boolean;
}

/**
 * Build and teardown of servers, as durable jobs. A build walks Nova's task states
 * (scheduling -> block_device_mapping -> networking -> spawning) and ends ACTIVE; a failure
 * (an exception, or a restart meeting it unfinished) ends in ERROR with a fault after its
 * journal's undo removed everything it made. A server deleted while building is cleaned up by
 * the build itself at its next step.
 */
export class ServerLifecycle {
  constructor(
    private readonly store: ServerStore,
    private readonly containers: ServerContainers,
    private readonly volumes: VolumeApi,
    private readonly images: ImageApi,
    private readonly locks: ResourceLocks,
    private readonly jobs: JobRunner,
    private readonly log: Logger,
  ) {}

  buildJob(): JobDefinition<BuildJournal> {
    return {
      kind: JOB_BUILD,
      onRestart: 'fail',
      run: (p, job) => this.build(p.serverId, new BuildSteps(this.jobs, job.id)),
      // The one undo path: an exception and a restart both come here with the journal.
      onFail: (p, error) => this.failBuild(p, error),
    };
  }

  deleteJob(): JobDefinition<ServerJobPayload> {
    return {
      kind: JOB_DELETE,
      onRestart: 'resume',
      run: (p) => this.locks.withLock(p.serverId, async () => {
        const server = await this.store.get(p.serverId, { includeDeleted: true });
        // A build in flight owns the clean-up: it checks for deletion at every step.
        if (server && server.vm_state !== 'building') await this.teardown(server);
      }),
      onFail: async (p, error) => this.log.error({ server_id: p.serverId, error }, 'server clean-up failed'),
    };
  }

  /**
   * At start: containers follow the records again (Docker may have restarted, or a container
   * been removed by hand). ACTIVE servers without a running container get a new one; SHUTOFF
   * servers lose a leftover container; a container a crash left paused (mid-capture) runs
   * again. Servers with a task in progress are left to their jobs.
   */
  async reconcile(): Promise<{ relaunched: string[]; retired: string[] }> {
    const relaunched: string[] = [];
    const retired: string[] = [];
    const servers = await this.store.list({ projectId: null });
    await this.containers.sweep(new Set(servers.map((s) => s.id)))
      .catch((err: unknown) => this.log.error({ err }, 'reconcile: could not sweep the server containers'));
    await this.containers.sweepImages(servers, await this.images.dockerImagesAccountedFor())
      .catch((err: unknown) => this.log.error({ err }, 'reconcile: could not sweep the Docker images'));
    for (const s of servers) {
      if (s.task_state !== null || !['active', 'stopped', 'resized'].includes(s.vm_state)) continue;
      await this.locks.withLock(s.id, async () => {
        const server = await this.store.get(s.id);
        if (!server || server.task_state !== null) return;
        const state = (await bestEffort(this.log, 'reconcile: reading the container', { server_id: server.id }, () => this.containers.state(server))) ?? null;
        // VERIFY_RESIZE runs as the server ran before the resize.
        const vmState = server.vm_state === 'resized' ? (server.old_vm_state ?? 'active') : server.vm_state;
        try {
          if (vmState === 'active' && state === 'paused') {
            await this.containers.unpause(server);
            relaunched.push(server.id);
          } else if (vmState === 'active' && state !== 'running') {
            await this.containers.launch(server);
            relaunched.push(server.id);
          } else if (vmState === 'stopped' && state) {
            await this.containers.retire(server, { keepRootDisk: true });
            retired.push(server.id);
          }
        } catch (err) {
          this.log.error({ err, server_id: server.id }, 'could not bring the container in line with the server');
        }
      });
    }
    if (relaunched.length || retired.length) this.log.warn({ relaunched, retired }, 'server containers reconciled');
    return { relaunched, retired };
  }

  /**
   * Sets the next task state (one statement while the server lives); null when the server was
   * deleted meanwhile (then it is torn down).
   */
  private async step(serverId: string, task: string): Promise<ServerRow | null> {
    return this.locks.withLock(serverId, () => this.stepHeld(serverId, task));
  }

  /** step() for a caller that holds the server's lock. */
  private async stepHeld(serverId: string, task: string): Promise<ServerRow | null> {
    const updated = await this.store.update(serverId, { task_state: task }, { live: true });
    if (updated) return updated;
    const server = await this.store.get(serverId, { includeDeleted: true });
    if (server?.deleted_at) await this.teardown(server);
    return null;
  }

  private async build(serverId: string, journal: BuildSteps): Promise<void> {
    // The volumes this build asks for, each watched from before it is asked for.
    const asked = new Map<string, VolumeWatch>();
    try {
      await this.buildWatching(serverId, journal, asked);
    } finally {
      for (const watch of asked.values()) watch.stop();
    }
  }

  private async buildWatching(serverId: string, journal: BuildSteps, asked: Map<string, VolumeWatch>): Promise<void> {
    const server = await this.step(serverId, 'block_device_mapping');
    if (!server || server.vm_state !== 'building') return;
    const volumeBdms = (await this.store.blockDevices(serverId)).filter((b) => b.destination_type === 'volume');
    // Every volume is asked for before any is waited for, so Cinder makes them concurrently.
    for (const bdm of volumeBdms) {
      if (!(await this.requestVolume(server, bdm, journal, asked))) return;
    }
    for (const bdm of volumeBdms) {
      await journal.add(['attachedVolumes'], bdm.volume_id!);
      await this.attachVolume(server, bdm, asked.get(bdm.volume_id!));
      crashPoint('build.volume-attached');
    }
    if (!(await this.step(serverId, 'networking'))) return;
    // 'spawning' and the launch under one hold of the lock: the step's update (live only) is the
    // server the container is made from, and its volumes are the ones this build attached.
    await this.locks.withLock(serverId, async () => {
      const current = await this.stepHeld(serverId, 'spawning');
      if (!current) return;
      await journal.mark('launched');
      await this.containers.launch(current, volumeBdms, () => ({ vm_state: 'active', task_state: null, power_state: POWER.RUNNING, launched_at: new Date() }));
    });
  }

  /**
   * Asks Cinder for the BDM's volume unless it exists (source volume): from a snapshot, Nova's
   * name "" and description "" (blank: <server>-blank-vol). Records it on the BDM at once, so a
   * failure later removes it. false when the server was deleted meanwhile.
   */
  private async requestVolume(server: ServerRow, bdm: BlockDeviceRow, journal: BuildSteps, asked: Map<string, VolumeWatch>): Promise<boolean> {
    if (bdm.volume_id) return true;
    // The id is recorded (journal, then BDM) before the volume exists: a crash between them
    // leaves a record naming a volume (removed with the failed build), never a volume nobody names.
    const volumeId = randomUUID();
    // Also named as attached now (the attach comes next): one journal write instead of two.
    await journal.add(['createdVolumes', 'attachedVolumes'], volumeId);
    // Recorded only while the server lives (one statement): a deleted server's BDM needs no volume.
    const stillThere = await this.locks.withLock(server.id, () => this.store.updateBlockDevice(bdm.id, { volume_id: volumeId, created_by_build: true }, { live: true }));
    if (!stillThere) {
      await this.step(server.id, 'deleting');
      return false;
    }
    crashPoint('build.volume-recorded');
    asked.set(volumeId, new VolumeWatch(this.jobs, volumeId, true));
    await this.volumes.createVolume(server.project_id, {
      id: volumeId,
      size: bdm.volume_size,
      snapshotId: bdm.source_type === 'snapshot' ? bdm.snapshot_id : null,
      imageId: bdm.source_type === 'image' ? bdm.image_id : null,
      name: bdm.source_type === 'blank' ? `${server.id}-blank-vol` : '',
      description: '',
      bootable: bdm.boot_index === 0,
      volumeType: bdm.volume_type,
      userId: server.user_id,
    });
    bdm.volume_id = volumeId;
    crashPoint('build.volume-requested');
    return true;
  }

  /** Waits until the BDM's volume is made (by `watch` when the build asked for it) and attaches it at the BDM's device. */
  private async attachVolume(server: ServerRow, bdm: BlockDeviceRow, watch?: VolumeWatch): Promise<void> {
    const project = server.project_id;
    const vol = watch ? await watch.made(this.volumes, project) : await waitForMadeVolume(this.volumes, this.jobs, project, bdm.volume_id!);
    if (!vol.attachments.some((a) => a.serverId === server.id)) {
      await this.volumes.attachVolume(project, vol.id, { serverId: server.id, device: bdm.device_name! });
    }
  }

  /**
   * A build that threw or that a restart met unfinished: what its journal names is undone,
   * newest first (container, attachments, volumes it made, its volume block devices), then
   * the server is ERROR with the fault. A deleted server is torn down as a deletion instead.
   */
  private async failBuild(j: BuildJournal, error: string): Promise<void> {
    const serverId = j.serverId;
    await this.locks.withLock(serverId, async () => {
      const server = await this.store.get(serverId, { includeDeleted: true });
      if (!server) return;
      if (server.deleted_at) return this.teardown(server);
      const r = new Reverter(this.log, { server_id: serverId });
      r.add('block devices of the build\'s volumes', async () => {
        for (const bdm of await this.store.blockDevices(serverId)) if (bdm.destination_type === 'volume') await this.store.deleteBlockDevice(bdm.id);
      });
      const bdms = await this.store.blockDevices(serverId);
      // The BDMs name the same volumes (and those of a build journalled before journals named them).
      const created = new Set([...(j.createdVolumes ?? []), ...bdms.filter((b) => b.created_by_build && b.volume_id).map((b) => b.volume_id!)]);
      for (const id of created) r.add(`volume ${id}`, () => this.releaseVolume(server, id, true));
      for (const id of j.attachedVolumes ?? []) if (!created.has(id)) r.add(`attachment of volume ${id}`, () => this.releaseVolume(server, id, false));
      // Also a container a launch left unrecorded (found by name).
      if (j.launched || server.container_id) r.add('the container', () => this.containers.destroy(server));
      await r.fail(error);
      const message = `Build of instance ${serverId} aborted: ${error}`.slice(0, 255);
      await this.store.update(serverId, {
        vm_state: 'error', task_state: null, power_state: POWER.NOSTATE, container_id: null, ip_address: null, mac_address: null,
        fault: { code: 500, message, created: isoSecondsZ(new Date()) },
      });
    });
  }

  /**
   * Removes the container (and root image) and gives the volumes back: volumes marked
   * delete_on_termination are deleted, others detached (-> available). Idempotent. Caller
   * holds the lock.
   */
  async teardown(server: ServerRow): Promise<void> {
    await this.containers.destroy(server).catch((err) => this.log.error({ err, server_id: server.id }, 'could not remove the container'));
    for (const bdm of await this.store.blockDevices(server.id)) {
      if (bdm.destination_type === 'volume' && bdm.volume_id) await this.releaseVolume(server, bdm.volume_id, bdm.delete_on_termination);
      await this.store.deleteBlockDevice(bdm.id);
    }
    if (server.shelved_image_id) {
      // Nova deletes a shelved server's snapshot with it.
      await this.images.deleteImage({ projectId: server.project_id, isAdmin: false }, server.shelved_image_id)
        .catch((err) => this.log.warn({ err, server_id: server.id, image_id: server.shelved_image_id }, 'could not delete the shelved image'));
    }
    await this.store.update(server.id, { vm_state: 'deleted', task_state: null, power_state: POWER.NOSTATE, container_id: null });
  }

  private async releaseVolume(server: ServerRow, volumeId: string, remove: boolean): Promise<void> {
    const project = server.project_id;
    try {
      const found = await this.volumes.getVolume(project, volumeId).catch((err: unknown) => {
        if (err instanceof NotFound) return null;
        throw err;
      });
      // Recorded, but the process died before asking Cinder for it.
      if (!found) return;
      let vol = found;
      if (vol.status === 'creating') {
        vol = (await bestEffort(this.log, 'waiting for a volume of the server to be made', { server_id: server.id, volume_id: volumeId },
          () => this.volumes.waitForVolume(project, volumeId, ['available', 'error']))) ?? vol;
      }
      if (vol.attachments.some((a) => a.serverId === server.id)) await this.volumes.detachVolume(project, volumeId, server.id);
      if (remove) await this.volumes.deleteVolume(project, volumeId);
    } catch (err) {
      // e.g. a root volume that has snapshots: Cinder refuses to delete it, Nova logs and goes on.
      this.log.warn({ err, server_id: server.id, volume_id: volumeId, delete: remove }, 'could not release a volume of the server');
    }
  }
}

/**
 * The volume once Cinder made it, for a build. Woken at once when a job on the volume ends in
 * this process (its create job: the row then says how it went), so a boot does not wait for a
 * poll tick, nor polls meanwhile: ten boots at once looking every few milliseconds made ~6 reads
 * each while their volumes were cloned. Only a job another replica runs goes unseen: with
 * replicas, a look every 50 ms; without, every job ends here, and a look every second is only a
 * safety net (at 50 ms, ten boots at once still read their volumes ~4 times each, two queries a
 * read, while the clones ran). The fault text is close to Nova's VolumeNotCreated.
 */
export async function waitForMadeVolume(
  volumes: Pick<VolumeApi, 'getVolume'>,
  jobs: Pick<JobRunner, 'onJobEnd' | 'seesEveryJobEnd'>,
  project: string,
  volumeId: string,
): Promise<VolumeRecord> {
  const watch = new VolumeWatch(jobs, volumeId, false);
  try {
    return await watch.made(volumes, project);
  } finally {
    watch.stop();
  }
}

/**
 * waitForMadeVolume's listening, started before the volume is asked for when `asked` (a build
 * making the volume): then, while no job end was seen and every job's end is seen here, the
 * volume is still 'creating' (its create job has not ended), so the first look is skipped: one
 * read per boot fewer while the clones run. `stop()` once done with it.
 */
export class VolumeWatch {
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly unlisten: () => void;

  constructor(private readonly jobs: Pick<JobRunner, 'onJobEnd' | 'seesEveryJobEnd'>, private readonly volumeId: string, private asked: boolean) {
    this.unlisten = jobs.onJobEnd((job) => {
      if (job.resourceType !== 'volume' || job.resourceId !== volumeId) return;
      this.ended = true;
      this.wake?.();
    });
  }

  async made(volumes: Pick<VolumeApi, 'getVolume'>, project: string): Promise<VolumeRecord> {
    const started = Date.now();
    const lookMs = this.jobs.seesEveryJobEnd ? VOLUME_RECHECK_MS : VOLUME_POLL_MS;
    const volumeId = this.volumeId;
    // Its create job has not ended since it was asked for: nothing to read yet.
    let skip = this.asked && this.jobs.seesEveryJobEnd && !this.ended;
    this.asked = false;
    for (;;) {
      if (!skip) {
        this.ended = false;
        const vol = await volumes.getVolume(project, volumeId);
        if (vol.status === 'available' || vol.status === 'in-use') return vol;
        if (vol.status !== 'creating' || Date.now() - started > VOLUME_WAIT_MS) {
          throw new Error(`Volume ${volumeId} did not finish being created. And its status is ${vol.status}.`);
        }
        // Ended while the row was read: read again at once.
        if (this.ended) continue;
      }
      skip = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, lookMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  stop(): void {
    this.unlisten();
  }
}

/** The build's journal, on its job: each step adds what it is about to make before making it. */
class BuildSteps {
  private readonly made: { createdVolumes: string[]; attachedVolumes: string[] } = { createdVolumes: [], attachedVolumes: [] };

  constructor(private readonly jobs: JobRunner, private readonly jobId: string) {}

  /** Names the volume in each list; nothing is written when every list names it already. */
  async add(lists: Array<'createdVolumes' | 'attachedVolumes'>, volumeId: string): Promise<void> {
    const patch: Record<string, string[]> = {};
    for (const what of lists) {
      if (this.made[what].includes(volumeId)) continue;
      this.made[what].push(volumeId);
      patch[what] = this.made[what];
    }
    if (Object.keys(patch).length) await this.jobs.record(this.jobId, patch);
  }

  async mark(what: 'launched'): Promise<void> {
    await this.jobs.record(this.jobId, { [what]: true });
  }
}
