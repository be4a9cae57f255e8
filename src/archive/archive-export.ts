/**
 * What an export holds: a volume snapshot, or an instance snapshot's image and every volume
 * snapshot its block_device_mapping names; resolved and checked when the export is asked for,
 * resolved again when the job writes it (things may have changed in between).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ImageDriver } from '../runtime/image-driver';
import { Conflict } from '../http/faults';
import { DOCKER_IMAGE_PROPERTY, type ImageApi, type ImageRecord } from '../image/image-api';
import type { LayerEntry, SnapshotArchiveApi, SnapshotRecord } from '../volume/volume-api';
import { NotImplemented } from '../http/faults';
import { ARCHIVE_ID_PROPERTY, SCOPE_PROPERTY } from './archive-import';
import {
  ARCHIVE_FORMAT, ARCHIVE_VERSION, ARCHIVE_VERSION_PLAIN, ROOT_IMAGE_NAME, type ArchiveImage, type ArchiveKind, type ArchiveLayer, type ArchiveManifest, type ArchiveVolume,
} from './archive-format';
import { resolveInside } from './archive-paths';
import { saveRootImage } from './archive-root-image';
import type { Logger } from '../logger';
import { crashPoint } from '../shared/crash-points';
import { Reverter } from '../shared/reverter';
import { PARTIAL_SUFFIX, writeArchive, type LayerToWrite, type WriteProgress, type WrittenArchive } from './archive-writer';
import { bestEffort } from '../shared/best-effort';

/** Who asks (a token's facts). */
export interface ArchiveCaller {
  projectId: string;
  projectName: string | null;
  userId: string | null;
  isAdmin: boolean;
}

export interface ExportSource {
  kind: ArchiveKind;
  /** Snapshot id (volume-snapshot) or image id (instance-snapshot). */
  id: string;
}

interface PlannedVolume {
  snapshot: SnapshotRecord;
  device: string | null;
  bootIndex: number | null;
  bootable: boolean;
}

export interface ExportPlan {
  source: ExportSource;
  name: string | null;
  projectId: string;
  image: ImageRecord | null;
  volumes: PlannedVolume[];
  /** Image-backed instance snapshot: the Docker image holding its root disk (stored as images/root.tar). */
  rootImage: string | null;
}

/**
 * Image properties that describe the source cloud's objects rather than the snapshot (the
 * Docker image a server runs, snapstack_docker_image, stays: a boot needs it).
 */
const DROPPED_PROPERTIES = new Set(['block_device_mapping', 'bdm_v2', 'root_device_name', 'instance_uuid', 'user_id', 'owner_id', SCOPE_PROPERTY, ARCHIVE_ID_PROPERTY]);

export interface ExportDeps {
  volume: SnapshotArchiveApi;
  images: ImageApi;
  instanceId: string;
  /** Docker images: image-backed snapshots' root disks (null: no engine, such snapshots are not exportable). */
  imageDriver: ImageDriver | null;
  log: Logger;
}

function requireAvailable(s: SnapshotRecord): SnapshotRecord {
  if (s.status !== 'available') throw new Conflict(`Snapshot ${s.id} is ${s.status}: only available snapshots can be exported.`);
  return s;
}

/** The mapping items of a volume-backed instance snapshot (snapshot sources only). */
export function snapshotMappings(image: ImageRecord): Array<Record<string, unknown>> {
  let bdm: unknown;
  try {
    bdm = JSON.parse(image.properties.block_device_mapping ?? '[]');
  } catch {
    bdm = [];
  }
  return Array.isArray(bdm) ? bdm.filter((b): b is Record<string, unknown> => !!b && typeof b === 'object' && b.source_type === 'snapshot' && !!b.snapshot_id) : [];
}

/** Checks the source is exportable by this caller and lists what goes in. */
export async function planExport(d: ExportDeps, caller: ArchiveCaller, source: ExportSource): Promise<ExportPlan> {
  if (!d.volume.supported) throw new NotImplemented('Archives need the overlay volume driver (a Docker engine); this Snapstack stores volumes as plain directories.');
  const asCaller = { projectId: caller.projectId, userId: caller.userId, isAdmin: caller.isAdmin };
  if (source.kind === 'volume-snapshot') {
    const snapshot = requireAvailable(await d.volume.showSnapshot(asCaller, source.id));
    return {
      source, name: snapshot.name, projectId: snapshot.projectId, image: null, rootImage: null,
      volumes: [{ snapshot, device: null, bootIndex: null, bootable: await d.volume.snapshotBootable(snapshot) }],
    };
  }
  const image = await d.images.getImage({ projectId: caller.projectId, isAdmin: caller.isAdmin }, source.id);
  const mappings = snapshotMappings(image);
  // An image-backed server's snapshot keeps its root disk in a Docker image (snapstack/snap-<id>): it goes in as images/root.tar.
  const rootImage = image.properties[DOCKER_IMAGE_PROPERTY] === d.images.snapshotDockerImageName(image.id) ? image.properties[DOCKER_IMAGE_PROPERTY] : null;
  if (rootImage) {
    if (image.status !== 'active') throw new Conflict(`Image ${image.id} is ${image.status}: only active instance snapshots can be exported.`);
    if (!d.imageDriver) throw new NotImplemented(`Image ${image.id} keeps its root disk in a Docker image, and this Snapstack has no Docker engine.`);
  } else {
    if (image.status !== 'active' || mappings.length === 0) {
      throw new Conflict(`Image ${image.id} is not an instance snapshot (no block_device_mapping with snapshots, no root disk of its own): nothing to export.`);
    }
    if (!mappings.some((m) => Number(m.boot_index) === 0)) {
      throw new Conflict(`Image ${image.id} boots from the Docker image ${image.properties[DOCKER_IMAGE_PROPERTY] ?? '(none)'}, which is not an instance snapshot's: only instance snapshots (and volume snapshots) can be exported.`);
    }
  }
  const volumes: PlannedVolume[] = [];
  for (const m of mappings) {
    const snapshot = requireAvailable(await d.volume.showSnapshot(asCaller, String(m.snapshot_id)));
    const bootIndex = m.boot_index === null || m.boot_index === undefined || Number(m.boot_index) < 0 ? null : Number(m.boot_index);
    volumes.push({ snapshot, device: typeof m.device_name === 'string' ? m.device_name : null, bootIndex, bootable: bootIndex === 0 || (await d.volume.snapshotBootable(snapshot)) });
  }
  return { source, name: image.name, projectId: image.owner ?? caller.projectId, image, volumes, rootImage };
}

/** What an import would refuse is refused here, naming the link (the import's rule, archive-paths.ts). */
function refuseEscapingLinks(entries: LayerEntry[]): void {
  const links = new Map(entries.filter((e) => e.type === 'symlink').map((e) => [e.path, e.target ?? '']));
  for (const [p, target] of links) {
    if (resolveInside(p, target, links) === null) {
      throw new Conflict(`Cannot export: symlink ${JSON.stringify(p)} -> ${JSON.stringify(target)} points outside the volume (archives only carry links that stay inside it).`);
    }
  }
}

function archiveImage(image: ImageRecord): ArchiveImage {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(image.properties)) if (!DROPPED_PROPERTIES.has(k)) properties[k] = v;
  let bdm: Array<Record<string, unknown>> = [];
  try {
    const parsed = JSON.parse(image.properties.block_device_mapping ?? '[]');
    if (Array.isArray(parsed)) bdm = parsed;
  } catch { /* none */ }
  return {
    name: image.name, min_disk: image.minDisk, min_ram: image.minRam,
    flavor_hint: { name: image.properties.snapstack_flavor ?? image.properties.flavor_name ?? null, disk_gb: image.minDisk, ram_mb: image.minRam },
    root_device_name: image.properties.root_device_name ?? null,
    block_device_mapping: bdm,
    properties,
  };
}

/** Where an export saves the root image before it goes into `file` (removed after, or when a restart fails the export). */
export function rootImageTempFile(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.root${PARTIAL_SUFFIX}`);
}

/**
 * Writes the archive of `plan` to `file`. With `base` (an earlier archive's manifest), layers
 * the base holds are named but not stored.
 */
export async function writeExport(
  d: ExportDeps,
  caller: ArchiveCaller,
  plan: ExportPlan,
  file: string,
  opts: { base?: ArchiveManifest | null; onProgress?: (p: WriteProgress) => void } = {},
): Promise<WrittenArchive> {
  // Everything made on the way (the saved root image, the pinned export) goes at the end,
  // written or not; a crash is covered by the job's onFail (rootImageTempFile, the .partial).
  const r = new Reverter(d.log, { archive: path.basename(file), source_id: plan.source.id });
  try {
    // The root image first (docker save into a hidden file beside the archive): its size and sha256 go in the manifest.
    const rootFile = plan.rootImage ? rootImageTempFile(file) : null;
    if (rootFile) r.add(`saved root image ${rootFile}`, () => fs.rm(rootFile, { force: true }));
    const saved = plan.rootImage ? await saveRootImage(d.imageDriver!, plan.rootImage, rootFile!) : null;
    const ex = await d.volume.openExport(plan.volumes.map((v) => v.snapshot.id));
    r.add('the export of the layers', () => ex.release());
    crashPoint('export.opened');
    const baseFacts = new Map<string, ArchiveLayer>();
    for (const v of opts.base?.volumes ?? []) for (const l of v.layers) baseFacts.set(l.id, l);
    const volumes: ArchiveVolume[] = plan.volumes.map((v) => ({
      snapshot_id: v.snapshot.id, name: v.snapshot.name, description: v.snapshot.description, size_gb: v.snapshot.size,
      device: v.device, boot_index: v.bootIndex, bootable: v.bootable,
      layers: ex.chains.get(v.snapshot.id)!.map((l) => baseFacts.get(l.id) ?? { id: l.id, sha256: '', bytes: 0, files: 0 }),
    }));
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT, version: saved ? ARCHIVE_VERSION : ARCHIVE_VERSION_PLAIN, archive_id: randomUUID(), created_at: new Date().toISOString(), kind: plan.source.kind,
      source: {
        instance_id: d.instanceId, project_id: plan.projectId, project_name: plan.projectId === caller.projectId ? caller.projectName : null,
        snapshot_id: plan.source.kind === 'volume-snapshot' ? plan.source.id : null,
        image_id: plan.source.kind === 'instance-snapshot' ? plan.source.id : null,
        name: plan.name,
      },
      image: plan.image ? archiveImage(plan.image) : null,
      volumes,
      base: opts.base ? { archive_id: opts.base.archive_id, layer_ids: [...baseFacts.keys()] } : null,
      // Always whole, incremental or not: Docker's layers are not Snapstack's.
      ...(saved ? { root_image: { file: ROOT_IMAGE_NAME, sha256: saved.sha256, bytes: saved.bytes, docker_image: plan.rootImage! } } : {}),
    };
    const layers = new Map<string, LayerToWrite>();
    for (const chain of ex.chains.values()) {
      for (const l of chain) {
        if (baseFacts.has(l.id) || layers.has(l.id)) continue;
        const entries = await ex.entries(l.id);
        refuseEscapingLinks(entries);
        layers.set(l.id, { id: l.id, entries, open: (e) => ex.open(l.id, e) });
      }
    }
    const written = await writeArchive(file, manifest, layers, { log: d.log, onProgress: opts.onProgress, ...(rootFile ? { rootImagePath: rootFile } : {}) });
    // A digest not recorded is computed again by the next export that needs it.
    for (const [id, sha] of written.digests) await bestEffort(d.log, 'recording a layer digest', { layer: id }, () => ex.recordDigest(id, sha));
    return written;
  } finally {
    // Temporary by nature: undone on success as on failure.
    await r.fail();
  }
}
