/**
 * Import: the whole archive is read and checked while its layers are staged under the data
 * directory; only then are the layers moved into place and the snapshots (and, for an
 * instance snapshot, the image) recorded, each step undone if a later one fails.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ImageDriver } from '../runtime/image-driver';
import { BadRequest, Conflict, NotFound, NotImplemented } from '../http/faults';
import { ARCHIVE_ID_PROPERTY, DOCKER_IMAGE_PROPERTY, SCOPE_PROPERTY, type ImageApi, type ImageCaller } from '../image/image-api';
import type { Logger } from '../logger';
import { BOOTABLE_METADATA_KEY, WORKSPACE_PROJECT, type SnapshotArchiveApi, type SnapshotImport } from '../volume/volume-api';
import { ArchiveInvalid, baseLayers, type ArchiveManifest } from './archive-format';
import { readArchive } from './archive-reader';
import { loadRootImage, RootImageRefused, type LoadedRootImage } from './archive-root-image';
import { crashPoint } from '../shared/crash-points';
import { Reverter } from '../shared/reverter';
import type { JobRunner } from '../jobs/jobs-api';

/** Image and snapshot property telling workspace snapshots from a project's own ("namespace") ones. */
export { ARCHIVE_ID_PROPERTY, SCOPE_PROPERTY };

export const SOURCE_SNAPSHOT_PROPERTY = 'snapstack_source_snapshot_id';

export interface ImportTarget {
  projectId: string;
  userId: string | null;
  /** Workspace: owner `workspace`, shared snapshots, public image. */
  workspace: boolean;
  /**
   * A name instead of the archive's: the image's for an instance snapshot (its volume snapshots
   * follow, `snapshot for <name>`), the snapshot's for a volume snapshot.
   */
  name?: string;
}

export interface ImportedVolume {
  id: string;
  name: string | null;
  size: number;
  device: string | null;
  bootIndex: number | null;
  sourceSnapshotId: string;
}

/** What an import made (archive-views.ts's importView is its wire JSON). */
export interface ImportOutcome {
  archiveId: string;
  kind: ArchiveManifest['kind'];
  scope: 'workspace' | 'namespace';
  snapshots: ImportedVolume[];
  image: { id: string; name: string | null } | null;
  baseArchiveId: string | null;
}

export interface ImportDeps {
  volume: SnapshotArchiveApi;
  images: ImageApi;
  log: Logger;
  /** Loads an image-backed snapshot's root disk (images/root.tar) into Docker. */
  imageDriver: ImageDriver | null;
  instanceId: string;
  /** Where images/root.tar is staged while the archive is checked (a hidden file, removed after). */
  stagingDir: string;
  /** Holds the import's journal (JOB_IMPORT) while it commits. */
  jobs: JobRunner;
  /** Called as each layer is staged; throwing aborts the import there (fault injection). */
  checkpoint?: () => void;
  /** Awaited once the archive's manifest is read and its base layers are found and held (a delay rule's pace). */
  pace?: () => Promise<void>;
}

/** Names of the root images imports stage in the data directory (swept at start). */
export const IMPORT_STAGING_PREFIX = '.archive-import-';

/** The base's layers are not here: the earlier archive must be imported first (409). */
export class BaseArchiveMissing extends Conflict {}

/** Reads, checks and registers `file`; nothing is left behind when it throws. */
export async function importArchive(d: ImportDeps, file: string, target: ImportTarget): Promise<ImportOutcome> {
  const session = await d.volume.beginImport();
  const rootStaging = path.join(d.stagingDir, `${IMPORT_STAGING_PREFIX}${randomUUID()}.root.tar`);
  try {
    return await importStaged(d, file, target, session, rootStaging);
  } finally {
    await fs.rm(rootStaging, { force: true });
  }
}

async function importStaged(d: ImportDeps, file: string, target: ImportTarget, session: SnapshotImport, rootStaging: string): Promise<ImportOutcome> {
  const projects = target.workspace ? [WORKSPACE_PROJECT] : [target.projectId, WORKSPACE_PROJECT];
  let manifest: ArchiveManifest;
  let digests: Map<string, string>;
  try {
    ({ manifest, digests } = await readArchive(createReadStream(file), {
      onManifest: async (m) => {
        if (m.root_image && !d.imageDriver) throw new NotImplemented('This archive holds an image-backed instance snapshot (images/root.tar), and this Snapstack has no Docker engine to load it.');
        const needed = baseLayers(m);
        if (!needed.length) return await d.pace?.();
        const found = await session.findExisting(needed.map((l) => l.id), projects);
        const missing = needed.filter((l) => !found.has(l.id));
        if (missing.length) {
          throw new BaseArchiveMissing(
            `Archive ${m.archive_id} is incremental: it needs ${missing.length} layer(s) of archive ${m.base!.archive_id}, which are not here`
            + `${target.workspace ? ' in the workspace' : ' in this project'} (${missing.map((l) => l.id).join(', ')}). Import archive ${m.base!.archive_id} first.`,
          );
        }
        for (const l of needed) {
          const known = found.get(l.id)?.sha256;
          if (known && known !== l.sha256) throw new ArchiveInvalid(`base layer ${l.id} here has sha256 ${known}, the archive expects ${l.sha256}`);
        }
        await d.pace?.();
      },
      layerSink: (l) => {
        d.checkpoint?.();
        return session.stage(l.id);
      },
      rootImageSink: async () => createWriteStream(rootStaging, { flags: 'w', mode: 0o600 }),
    }));
  } catch (err) {
    await session.abort();
    if (err instanceof ArchiveInvalid) throw new BadRequest(`Invalid archive: ${err.message}`);
    throw err;
  }

  const ids = manifest.volumes.map(() => randomUUID());
  const owner = target.workspace ? WORKSPACE_PROJECT : target.projectId;
  const imageId = randomUUID();
  // The journal names everything the steps below may make, before the first one runs: a crash
  // anywhere is undone at the next start (undoImport), an exception by the reverter.
  const made: ImportJournal = {
    projectId: owner, snapshotIds: ids, imageId: manifest.image ? imageId : null,
    dockerImage: manifest.root_image ? d.images.snapshotDockerImageName(imageId) : null, loadedImageId: null,
  };
  const op = await d.jobs.track(JOB_IMPORT, made, { projectId: owner, resourceType: 'archive', resourceId: manifest.archive_id });
  const r = new Reverter(d.log, { archive_id: manifest.archive_id, project_id: owner });
  r.add('staged layers', () => session.abort());
  try {
    const result = await commitImport(d, target, manifest, digests, session, rootStaging, made, op, r);
    r.success();
    await d.jobs.settle(op);
    return result;
  } catch (err) {
    await r.fail(err);
    await d.jobs.settle(op, err);
    throw err;
  }
}

/** What an import may have made (recorded before it starts), by what removes it. */
export interface ImportJournal {
  projectId: string;
  snapshotIds: string[];
  imageId: string | null;
  dockerImage: string | null;
  /** The image `docker load` made when it was new here (removed with the retagged one). */
  loadedImageId: string | null;
}

export const JOB_IMPORT = 'archive.import';

/** Undoes an import a restart met unfinished: every step is idempotent, so all of them run. */
export async function undoImport(d: Pick<ImportDeps, 'volume' | 'images' | 'imageDriver' | 'log'>, j: ImportJournal): Promise<void> {
  const r = new Reverter(d.log, { project_id: j.projectId, snapshots: j.snapshotIds, image_id: j.imageId });
  if (j.loadedImageId) r.add(`Docker image ${j.loadedImageId}`, () => d.imageDriver?.remove(j.loadedImageId!));
  if (j.dockerImage) r.add(`Docker image ${j.dockerImage}`, () => d.imageDriver?.remove(j.dockerImage!));
  r.add('imported snapshots', () => d.volume.removeImported(j.snapshotIds));
  if (j.imageId) r.add(`image ${j.imageId}`, () => d.images.deleteImage({ projectId: null, isAdmin: true }, j.imageId!).catch((err: unknown) => {
    if (!(err instanceof NotFound)) throw err;
  }));
  await r.fail();
}

async function commitImport(
  d: ImportDeps, target: ImportTarget, manifest: ArchiveManifest, digests: Map<string, string>, session: SnapshotImport,
  rootStaging: string, made: ImportJournal, op: string, r: Reverter,
): Promise<ImportOutcome> {
  const ids = made.snapshotIds;
  const imageId = made.imageId ?? randomUUID();
  const owner = made.projectId;
  const scope = target.workspace ? 'workspace' : 'namespace';
  const names = importedNames(manifest, target.name);
  // Everything is checked: the root disk goes into Docker first, as snapstack/snap-<new image id>.
  let root: LoadedRootImage | null = null;
  if (manifest.root_image) {
    try {
      root = await loadRootImage(d.imageDriver!, rootStaging, made.dockerImage!, d.instanceId, owner, d.log);
    } catch (err) {
      // What the engine refuses to load is the archive's fault, not the server's.
      if (err instanceof RootImageRefused) throw new BadRequest(`Invalid archive: ${err.message}`);
      throw err;
    } finally {
      await fs.rm(rootStaging, { force: true });
    }
    const loaded = root;
    r.add(`Docker image ${loaded.ref}`, () => loaded.undo());
    if (loaded.loadedImageId) await d.jobs.record(op, { loadedImageId: loaded.loadedImageId });
    crashPoint('import.root-loaded');
  }
  // Data and rows together (block storage's job, undone there if it fails half-way).
  const records = await session.commit(
    { projectId: owner, userId: target.userId, shared: target.workspace },
    manifest.volumes.map((v, i) => ({
      id: ids[i], volumeId: randomUUID(), name: names.snapshots[i], description: v.description, size: v.size_gb, chain: v.layers.map((l) => l.id),
      metadata: {
        [ARCHIVE_ID_PROPERTY]: manifest.archive_id, [SOURCE_SNAPSHOT_PROPERTY]: v.snapshot_id, [BOOTABLE_METADATA_KEY]: String(v.bootable),
        [SCOPE_PROPERTY]: scope,
      },
    })),
    digests,
  );
  r.add('imported snapshots', () => d.volume.removeImported(ids));

  let image: ImportOutcome['image'] = null;
  if (manifest.image) {
    const newIdOf = new Map(manifest.volumes.map((v, i) => [v.snapshot_id, ids[i]]));
    const mapping = manifest.image.block_device_mapping.map((b) => {
      const sid = b.snapshot_id === undefined || b.snapshot_id === null ? null : newIdOf.get(String(b.snapshot_id)) ?? null;
      return { ...b, ...(sid ? { snapshot_id: sid } : {}), volume_id: null };
    });
    const caller: ImageCaller = target.workspace ? { projectId: null, isAdmin: true } : { projectId: target.projectId, isAdmin: false };
    const properties: Record<string, string> = {
      ...manifest.image.properties,
      ...(mapping.length || !root ? { block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True' } : {}),
      ...(manifest.image.root_device_name ? { root_device_name: manifest.image.root_device_name } : {}),
      ...(manifest.image.flavor_hint.name ? { snapstack_flavor: manifest.image.flavor_hint.name } : {}),
      [SCOPE_PROPERTY]: scope, [ARCHIVE_ID_PROPERTY]: manifest.archive_id,
    };
    // The source machine's snapshot image: here it is the loaded root image (set on activation).
    if (root) delete properties[DOCKER_IMAGE_PROPERTY];
    const input = {
      id: imageId, name: names.image, minDisk: manifest.image.min_disk, minRam: manifest.image.min_ram,
      visibility: (target.workspace ? 'public' : 'private') as 'public' | 'private',
      ...(target.workspace ? { owner: WORKSPACE_PROJECT } : {}),
      properties,
    };
    if (root) {
      await d.images.createImage(caller, { ...input, diskFormat: 'raw', containerFormat: 'docker' });
      r.add(`image ${imageId}`, () => d.images.deleteImage({ projectId: null, isAdmin: true }, imageId));
      const active = await d.images.activateFromDockerImage(imageId, root.ref, root.size);
      image = { id: active.id, name: active.name };
    } else {
      const madeImage = await d.images.createEmptyActiveImage(caller, input);
      image = { id: madeImage.id, name: madeImage.name };
    }
  }
  d.log.info({ archive_id: manifest.archive_id, project_id: owner, snapshots: ids, image_id: image?.id, docker_image: root?.ref }, 'archive imported');
  return {
    archiveId: manifest.archive_id, kind: manifest.kind, scope,
    snapshots: manifest.volumes.map((v, i) => ({
      id: records[i].id, name: names.snapshots[i], size: v.size_gb, device: v.device, bootIndex: v.boot_index, sourceSnapshotId: v.snapshot_id,
    })),
    image,
    baseArchiveId: manifest.base?.archive_id ?? null,
  };
}

/** The names the imported image and snapshots get: the archive's, or `name` (see ImportTarget.name). */
function importedNames(manifest: ArchiveManifest, name: string | undefined): { image: string | null; snapshots: (string | null)[] } {
  const image = manifest.image?.name ?? null;
  if (name === undefined) return { image, snapshots: manifest.volumes.map((v) => v.name) };
  if (!manifest.image) return { image: null, snapshots: manifest.volumes.map(() => name) };
  // Nova names an instance snapshot's volume snapshots after the image: they follow the rename.
  return { image: name, snapshots: manifest.volumes.map((v) => (v.name === `snapshot for ${image}` ? `snapshot for ${name}` : v.name)) };
}
