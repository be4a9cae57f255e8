/**
 * Snapshot archives (no HTTP): exports to a snapshots folder as durable jobs, listings of a
 * folder, imports into a project, and workspace snapshots (archives of the workspace folder,
 * loaded at start, every project's to restore; admins promote a project's snapshot there).
 * Just over 400 lines on purpose: it is the module's one port implementation, and its parts
 * (export, import, reader, scan, folders, upload) already live in their own files; what stays
 * here is each operation's policy check, folder choice and job wiring, one method each.
 */
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageDriver } from '../runtime/image-driver';
import { BadRequest, Conflict, Fault, Forbidden, NotFound } from '../http/faults';
import type { ImageApi } from '../image/image-api';
import type { JobDefinition, JobRunner } from '../jobs/jobs-api';
import { type FaultPort, InjectedFailure } from '../faults/fault-rules';
import type { Logger } from '../logger';
import { LayerNotExportable, VolumeDataError, WORKSPACE_PROJECT, type SnapshotArchiveApi } from '../volume/volume-api';
import { ArchiveInvalid, type ArchiveKind, type ArchiveManifest } from './archive-format';
import { planExport, rootImageTempFile, writeExport, type ArchiveCaller, type ExportDeps } from './archive-export';
import { ArchiveFolders, checkArchiveName, readdirIfAny, defaultArchiveName, type ArchiveFile } from './archive-folders';
import { importArchive, IMPORT_STAGING_PREFIX, JOB_IMPORT, undoImport, type ImportDeps, type ImportJournal, type ImportOutcome } from './archive-import';
import { readArchive } from './archive-reader';
import { scanArchive } from './archive-scan';
import { receiveUpload, removeStaleUploads } from './archive-upload';
import { PARTIAL_SUFFIX } from './archive-writer';
import type { ArchiveStore } from './archive-store';
import type { ArchiveEntry, FolderScope } from './archive-views';
import { bestEffort, orNullIfGone } from '../shared/best-effort';
import { emptyOutcome, type ResetOutcome } from '../shared/module-reset';

export type { ArchiveCaller } from './archive-export';
export type { FolderScope } from './archive-views';

export const JOB_EXPORT = 'archive.export';

interface ExportPayload {
  kind: ArchiveKind;
  sourceId: string;
  caller: ArchiveCaller;
  scope: FolderScope;
  /** The project whose folder receives it (namespace scope). */
  folderProject: string;
  name: string;
  baseArchive: string | null;
  /** Load the written archive as workspace snapshots (promote). */
  loadWorkspace: boolean;
}

export interface ExportAccepted {
  jobId: string;
  archive: { name: string; scope: FolderScope };
}

export interface ArchiveServiceDeps {
  dataDir: string;
  workspaceDir: string | null;
  instanceId: string;
  volume: SnapshotArchiveApi;
  images: ImageApi;
  /** Docker images: image-backed instance snapshots keep their root disk in one (null: no engine). */
  imageDriver: ImageDriver | null;
  jobs: JobRunner;
  store: ArchiveStore;
  logger: Logger;
  /** Largest archive a client may upload (SNAPSTACK_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** Fault injection: exports and imports fail mid-way (or start late) when a rule says so. */
  faults?: FaultPort;
}

export class ArchiveService {
  readonly folders: ArchiveFolders;
  private readonly log: Logger;
  private readonly exportDeps: ExportDeps;
  private readonly importDeps: ImportDeps;
  /**
   * Progress of the exports this process writes (exact and at once); the exports under way are
   * the unfinished export jobs (exportsUnderWay), whichever replica accepted or runs them, and
   * other replicas' progress is what their job last recorded.
   */
  private readonly progress = new Map<string, { written: number; total: number }>();
  /** Full-read results by file, keyed by size and mtime (a changed file is read again). */
  private readonly verified = new Map<string, { stamp: string; ok: boolean; reason: string | null }>();

  constructor(private readonly d: ArchiveServiceDeps) {
    this.folders = new ArchiveFolders(d.dataDir, d.workspaceDir);
    this.log = d.logger.child({ component: 'archive' });
    this.exportDeps = { volume: d.volume, images: d.images, instanceId: d.instanceId, imageDriver: d.imageDriver, log: this.log };
    this.importDeps = { ...this.exportDeps, stagingDir: d.dataDir, jobs: d.jobs };
    d.jobs.register(this.exportJob());
    // An import's journal: a restart meeting one unfinished undoes what it names.
    d.jobs.register<ImportJournal>({
      kind: JOB_IMPORT,
      onRestart: 'fail',
      run: async () => { throw new Error('an import journal is never run, only undone'); },
      onFail: (j) => undoImport(this.importDeps, j),
    });
  }

  /**
   * Reset (ArchiveResetApi): every project's snapshots folder goes with the archives exported
   * into it; the workspace folder and what was loaded from it are part of the seed and stay.
   */
  async resetToSeed(): Promise<ResetOutcome> {
    const workspace = this.folders.workspaceDir && path.resolve(this.folders.workspaceDir);
    const projects = (await readdirIfAny(this.folders.root)).filter((p) => path.join(this.folders.root, p) !== workspace);
    await Promise.all(projects.map((p) => fs.rm(path.join(this.folders.root, p), { recursive: true, force: true })));
    this.progress.clear();
    this.verified.clear();
    this.log.info({ project_folders: projects.length }, 'snapshot folders reset');
    return emptyOutcome();
  }

  // ---- folders ------------------------------------------------------------------------

  private async dirOf(caller: ArchiveCaller, scope: FolderScope): Promise<string> {
    return scope === 'workspace' ? this.folders.requireWorkspaceDir() : this.folders.projectDir(caller.projectId);
  }

  async list(caller: ArchiveCaller, scope: FolderScope, opts: { verify?: boolean } = {}): Promise<ArchiveEntry[]> {
    const dir = await this.dirOf(caller, scope);
    const out: ArchiveEntry[] = [];
    for (const f of await this.folders.list(dir)) {
      // A file removed since the folder was read (a concurrent delete) is not listed.
      const entry = await orNullIfGone(this.describe(f, scope, opts.verify ?? false));
      if (entry) out.push(entry);
    }
    for (const [file, p] of await this.exportsUnderWay(dir)) out.push(await this.writing(file, scope, p));
    const nameOf = (e: ArchiveEntry) => (e.state === 'writing' ? e.name : e.file.name);
    return out.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  }

  async show(caller: ArchiveCaller, scope: FolderScope, name: string, opts: { verify?: boolean } = {}): Promise<ArchiveEntry> {
    const dir = await this.dirOf(caller, scope);
    checkArchiveName(name);
    const p = (await this.exportsUnderWay(dir)).get(path.join(dir, name));
    if (p) return this.writing(path.join(dir, name), scope, p);
    return this.describe(await this.folders.find(dir, name), scope, opts.verify ?? false);
  }

  async download(caller: ArchiveCaller, scope: FolderScope, name: string): Promise<{ stream: NodeJS.ReadableStream; size: number; name: string }> {
    const f = await this.folders.find(await this.dirOf(caller, scope), name);
    return { stream: createReadStream(f.path), size: f.size, name: f.name };
  }

  async remove(caller: ArchiveCaller, scope: FolderScope, name: string): Promise<void> {
    if (scope === 'workspace' && !caller.isAdmin) throw new Forbidden('Only an admin removes archives from the workspace folder.');
    const f = await this.folders.find(await this.dirOf(caller, scope), name);
    await fs.rm(f.path, { force: true });
  }

  /** A client's archive into the folder, checked in full before it is listed (admins only for the workspace). */
  async upload(caller: ArchiveCaller, scope: FolderScope, name: string, body: Readable, declaredLength: number | undefined): Promise<ArchiveEntry> {
    if (scope === 'workspace' && !caller.isAdmin) throw new Forbidden('Only an admin adds archives to the workspace folder.');
    const dir = await this.dirOf(caller, scope);
    await receiveUpload(dir, name, body, declaredLength, { maxBytes: this.d.maxUploadBytes });
    const f = await this.folders.find(dir, name);
    this.verified.set(f.path, { stamp: `${f.size}:${f.modifiedAt.getTime()}`, ok: true, reason: null });
    this.log.info({ archive: name, scope, project_id: caller.projectId, bytes: f.size }, 'archive uploaded');
    return this.describe(f, scope, false);
  }

  /** At start: what uploads interrupted by a crash left in the folders. */
  async removeStaleUploads(): Promise<void> {
    const dirs = (await readdirIfAny(this.folders.root)).map((p) => path.join(this.folders.root, p));
    if (this.d.workspaceDir) dirs.push(this.d.workspaceDir);
    await removeStaleUploads(dirs, this.log);
  }

  private async describe(f: ArchiveFile, scope: FolderScope, verify: boolean): Promise<ArchiveEntry> {
    // Found, then removed before it is read (a concurrent delete): as if never found.
    const scanned = await orNullIfGone(scanArchive(f.path));
    if (!scanned) throw new NotFound(`No archive named ${f.name} in the snapshots folder.`);
    const { manifest, problem } = scanned;
    const stamp = `${f.size}:${f.modifiedAt.getTime()}`;
    let check = this.verified.get(f.path);
    if (check && check.stamp !== stamp) check = undefined;
    if (!problem && verify && !check) {
      check = await readArchive(createReadStream(f.path)).then(
        () => ({ stamp, ok: true, reason: null }),
        (err: unknown) => ({ stamp, ok: false, reason: err instanceof ArchiveInvalid ? err.message : String(err) }),
      );
      this.verified.set(f.path, check);
    }
    const reason = problem ?? (check && !check.ok ? check.reason : null);
    return { state: 'written', file: f, scope, manifest, reason, verified: check ? check.ok : null };
  }

  /** A valid archive's manifest in `dir`, by file name or archive id. */
  private async findManifest(dir: string, ref: string): Promise<ArchiveManifest> {
    const candidates = await this.folders.list(dir);
    const byName = candidates.find((f) => f.name === ref);
    for (const f of byName ? [byName] : candidates) {
      // Removed since the folder was read (a concurrent delete): as if it was not there.
      const scanned = await orNullIfGone(scanArchive(f.path));
      if (!scanned) continue;
      const { manifest, problem } = scanned;
      if (!manifest || (!byName && manifest.archive_id !== ref)) continue;
      if (problem) throw new BadRequest(`Base archive ${ref} is not usable: ${problem}`);
      return manifest;
    }
    throw new NotFound(`No archive ${ref} (file name or archive id) in the snapshots folder.`);
  }

  // ---- export -------------------------------------------------------------------------

  /** Checks the source and the target now (400/403/404/409), then writes in a job (202). */
  async export(
    caller: ArchiveCaller,
    kind: ArchiveKind,
    sourceId: string,
    opts: { baseArchive?: string | null; fileName?: string | null; scope?: FolderScope } = {},
  ): Promise<ExportAccepted> {
    const scope = opts.scope ?? 'namespace';
    if (scope === 'workspace' && !caller.isAdmin) throw new Forbidden('Only an admin promotes snapshots to the workspace.');
    const plan = await planExport(this.exportDeps, caller, { kind, id: sourceId });
    const dir = await this.dirOf(caller, scope);
    if (opts.baseArchive) await this.findManifest(dir, opts.baseArchive);
    const name = opts.fileName ? withTar(checkArchiveName(opts.fileName)) : defaultArchiveName(plan.name ?? sourceId, new Date(), opts.baseArchive ? '-incr' : '');
    const file = path.join(dir, name);
    const payload: ExportPayload = {
      kind, sourceId, caller, scope, folderProject: caller.projectId, name, baseArchive: opts.baseArchive ?? null, loadWorkspace: scope === 'workspace',
    };
    const jobId = await this.d.store.exclusively(file, async (trx) => {
      if (await exists(file) || await exists(`${file}${PARTIAL_SUFFIX}`) || (await this.exportsUnderWay(dir, trx)).has(file)) {
        throw new Conflict(`An archive named ${name} already exists in the snapshots folder.`);
      }
      return this.d.jobs.enqueue(JOB_EXPORT, payload, { projectId: caller.projectId, resourceType: 'archive', resourceId: name }, trx);
    });
    this.log.info({ job_id: jobId, kind, source_id: sourceId, archive: name, scope, project_id: caller.projectId }, 'archive export accepted');
    return { jobId, archive: { name, scope } };
  }

  /** The archives of `dir` being written: unfinished export jobs (any replica's), with their progress. */
  private async exportsUnderWay(dir: string, trx?: Parameters<JobRunner['unfinished']>[1]): Promise<Map<string, { written: number; total: number }>> {
    const out = new Map<string, { written: number; total: number }>();
    for (const job of await this.d.jobs.unfinished(JOB_EXPORT, trx)) {
      const p = job.payload as ExportPayload & { progress?: { written: number; total: number } };
      // An export to the workspace folder while none is configured (404) has no file to list.
      const file = await orNullIfGone(this.exportFile(p));
      // Written already (renamed from its partial file), its job about to end: listed as the archive.
      if (!file || path.dirname(file) !== dir || await exists(file)) continue;
      out.set(file, this.progress.get(file) ?? p.progress ?? { written: 0, total: 0 });
    }
    return out;
  }

  private async writing(file: string, scope: FolderScope, progress: { written: number; total: number }): Promise<ArchiveEntry> {
    const st = await orNullIfGone(fs.stat(`${file}${PARTIAL_SUFFIX}`)); // not begun yet: 0 bytes
    return writingEntry(file, scope, st?.size ?? 0, progress);
  }

  private async exportFile(p: ExportPayload): Promise<string> {
    return path.join(await this.dirOf({ ...p.caller, projectId: p.folderProject }, p.scope), p.name);
  }

  private exportJob(): JobDefinition<ExportPayload> {
    return {
      kind: JOB_EXPORT,
      onRestart: 'fail',
      run: async (p, job, signal) => {
        const file = await this.exportFile(p);
        // Other replicas list it with the progress its job last recorded (every second at most).
        let recorded = 0;
        let recording = Promise.resolve();
        const record = (pr: { written: number; total: number }) => {
          if (Date.now() - recorded < 1000) return;
          recorded = Date.now();
          recording = recording.then(() => this.d.jobs.record(job.id, { progress: pr })).catch((err: unknown) => this.log.debug({ err, archive: p.name }, 'export progress not recorded'));
        };
        const dir = path.dirname(file);
        const fault = await this.faultFor(p.caller.projectId, 'archive.export', { signal });
        try {
          const plan = await planExport(this.exportDeps, p.caller, { kind: p.kind, id: p.sourceId });
          const base = p.baseArchive ? await this.findManifest(dir, p.baseArchive) : null;
          const started = Date.now();
          const written = await writeExport(this.exportDeps, p.caller, plan, file, {
            base,
            onProgress: (pr) => {
              this.progress.set(file, pr);
              record(pr);
              fault.midway();
              signal.throwIfAborted(); // shutdown: stop mid-way; the next owner undoes the partial archive
            },
          }).catch((err: unknown) => {
            if (err instanceof LayerNotExportable) throw new Conflict(`Cannot export: ${err.message}`);
            throw err;
          });
          const st = await fs.stat(file);
          this.verified.set(file, { stamp: `${st.size}:${st.mtime.getTime()}`, ok: true, reason: null });
          this.log.info({ archive: p.name, archive_id: written.manifest.archive_id, bytes: written.bytes, layers: written.digests.size, ms: Date.now() - started }, 'archive exported');
          if (p.loadWorkspace) await this.loadWorkspaceArchive(file);
        } finally {
          this.progress.delete(file);
          await recording;
        }
      },
      onFail: async (p, error) => {
        const file = await bestEffort(this.log, "finding a failed export's file", { archive: p.name, source_id: p.sourceId }, () => this.exportFile(p));
        if (file) {
          this.progress.delete(file);
          await fs.rm(`${file}${PARTIAL_SUFFIX}`, { force: true });
          await fs.rm(rootImageTempFile(file), { force: true });
        }
        this.log.warn({ archive: p.name, source_id: p.sourceId, error }, 'archive export failed');
      },
    };
  }

  /**
   * A fault rule's verdict for this operation, decided now: its delay waited for now (an export's
   * job starts late) or at `pace()` (an import, once its base layers are held), its failure
   * thrown at `midway()`.
   */
  private async faultFor(
    projectId: string, target: 'archive.export' | 'archive.import', opts: { signal?: AbortSignal; delayAtPace?: boolean } = {},
  ): Promise<{ midway: () => void; pace: () => Promise<void> }> {
    const decision = await this.d.faults?.decide({ target, projectId });
    const delay = async () => {
      if (decision?.delayMs) await this.d.faults!.sleep(decision.delayMs, opts.signal);
      opts.signal?.throwIfAborted();
    };
    if (!opts.delayAtPace) await delay();
    const fail = decision?.fail;
    return {
      midway: () => { if (fail) throw new InjectedFailure(fail.message, fail.status, fail.ruleId); },
      pace: opts.delayAtPace ? delay : async () => undefined,
    };
  }

  // ---- import -------------------------------------------------------------------------

  /** Imports an archive of the caller's folder into the caller's project (or from the workspace folder). */
  /** Imports the folder's archive `name`; `as` names the imported snapshot (ImportTarget.name). */
  async import(caller: ArchiveCaller, name: string, scope: FolderScope = 'namespace', as?: string): Promise<ImportOutcome> {
    const f = await this.folders.find(await this.dirOf(caller, scope), name);
    const fault = await this.faultFor(caller.projectId, 'archive.import', { delayAtPace: true });
    const target = { projectId: caller.projectId, userId: caller.userId, workspace: false, ...(as === undefined ? {} : { name: as }) };
    const result = await importArchive({ ...this.importDeps, checkpoint: fault.midway, pace: fault.pace }, f.path, target)
      .catch((err: unknown) => {
        // The data layer's own reasons (no root, no xattrs, GNU tar failing) are the user's to read.
        if (err instanceof VolumeDataError) throw new Fault(500, `Archive import failed: ${err.message}`);
        throw err;
      });
    this.verified.set(f.path, { stamp: `${f.size}:${f.modifiedAt.getTime()}`, ok: true, reason: null });
    return result;
  }

  // ---- workspace ----------------------------------------------------------------------

  /**
   * At start: every archive of the workspace folder not loaded yet becomes workspace
   * snapshots. Bases before the archives that extend them; an invalid archive is logged and
   * skipped (GET /v1/archives?scope=workspace says why).
   */
  async loadWorkspace(): Promise<{ loaded: string[]; skipped: Array<{ name: string; reason: string }> }> {
    const loaded: string[] = [];
    const skipped: Array<{ name: string; reason: string }> = [];
    await this.sweepImportStaging();
    if (!this.d.workspaceDir) return { loaded, skipped };
    await fs.mkdir(this.d.workspaceDir, { recursive: true });
    const pending: Array<{ file: ArchiveFile; manifest: ArchiveManifest }> = [];
    for (const f of await this.folders.list(this.d.workspaceDir)) {
      // Removed since the folder was read (a concurrent delete): as if it was not there.
      const scanned = await orNullIfGone(scanArchive(f.path));
      if (!scanned) continue;
      const { manifest, problem } = scanned;
      if (!manifest || problem) skipped.push({ name: f.name, reason: problem ?? 'unreadable' });
      else if (!(await this.d.store.workspaceLoaded(manifest.archive_id))) pending.push({ file: f, manifest });
    }
    pending.sort((a, b) => a.manifest.created_at.localeCompare(b.manifest.created_at));
    // Incremental ones whose base comes later in the folder get another round.
    for (let progress = true; pending.length && progress;) {
      progress = false;
      for (const item of [...pending]) {
        try {
          await this.loadWorkspaceArchive(item.file.path);
          loaded.push(item.file.name);
          pending.splice(pending.indexOf(item), 1);
          progress = true;
        } catch (err) {
          if (!(err instanceof Conflict)) {
            skipped.push({ name: item.file.name, reason: err instanceof Error ? err.message : String(err) });
            pending.splice(pending.indexOf(item), 1);
          }
        }
      }
    }
    for (const item of pending) skipped.push({ name: item.file.name, reason: `its base archive ${item.manifest.base?.archive_id} is not in the workspace` });
    if (loaded.length || skipped.length) this.log.info({ loaded, skipped }, 'workspace snapshots loaded');
    for (const s of skipped) this.log.warn({ archive: s.name, reason: s.reason }, 'workspace archive skipped');
    return { loaded, skipped };
  }

  /** At start: root images an interrupted import staged (nothing was registered from them). */
  private async sweepImportStaging(): Promise<void> {
    for (const name of await readdirIfAny(this.d.dataDir)) {
      if (!name.startsWith(IMPORT_STAGING_PREFIX)) continue;
      this.log.warn({ file: name, decision: 'removed' }, 'reconcile: a root image an interrupted import staged');
      await fs.rm(path.join(this.d.dataDir, name), { force: true });
    }
  }

  /** Imports one workspace archive as shared snapshots and a public image (once per archive id). */
  private async loadWorkspaceArchive(file: string): Promise<ImportOutcome | null> {
    const { manifest } = await scanArchive(file);
    if (manifest && (await this.d.store.workspaceLoaded(manifest.archive_id))) return null;
    const result = await importArchive(this.importDeps, file, { projectId: WORKSPACE_PROJECT, userId: null, workspace: true });
    await this.d.store.recordWorkspaceLoad({ archiveId: result.archiveId, file: path.basename(file), snapshotIds: result.snapshots.map((s) => s.id), imageId: result.image?.id ?? null });
    return result;
  }
}

function writingEntry(file: string, scope: FolderScope, size: number, progress: { written: number; total: number }): ArchiveEntry {
  return { state: 'writing', path: file, name: path.basename(file), scope, size, progress };
}

function withTar(name: string): string {
  return name.endsWith('.tar') ? name : `${name}.tar`;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}
