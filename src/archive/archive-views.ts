/** Archives' wire JSON (openapi/snapstack.yaml's Archive and ImportResult), built from what the service found. */
import type { components } from '../generated/snapstack';
import { storedLayers, type ArchiveManifest } from './archive-format';
import type { ArchiveFile } from './archive-folders';
import type { ImportOutcome } from './archive-import';

export type ArchiveView = components['schemas']['Archive'] & {
  path: string; size: number; modified_at: string; verified: boolean | null; reason: string | null;
  progress: { written: number; total: number } | null; archive_id: string | null; stored_layers: number; stored_bytes: number;
};
export type ImportView = components['schemas']['ImportResult'];

export type FolderScope = 'namespace' | 'workspace';

/** An archive in a folder as the service found it: written (checked) or being written by an export. */
export type ArchiveEntry =
  | { state: 'written'; file: ArchiveFile; scope: FolderScope; manifest: ArchiveManifest | null; reason: string | null; verified: boolean | null }
  | { state: 'writing'; path: string; name: string; scope: FolderScope; size: number; progress: { written: number; total: number } };

export function archiveView(e: ArchiveEntry): ArchiveView {
  if (e.state === 'writing') {
    return {
      name: e.name, scope: e.scope, path: e.path, size: e.size, modified_at: new Date().toISOString(), status: 'writing', valid: false, reason: 'an export is writing it',
      verified: null, progress: { ...e.progress }, archive_id: null, kind: null, created_at: null, source: null, image: null, volumes: [],
      incremental: false, base_archive_id: null, stored_layers: 0, stored_bytes: 0, root_image: null,
    };
  }
  const { file: f, manifest, reason } = e;
  const stored = manifest ? storedLayers(manifest) : [];
  return {
    name: f.name, scope: e.scope, path: f.path, size: f.size, modified_at: f.modifiedAt.toISOString(),
    status: reason ? 'invalid' : 'ready', valid: !reason, reason, verified: e.verified, progress: null,
    archive_id: manifest?.archive_id ?? null, kind: manifest?.kind ?? null, created_at: manifest?.created_at ?? null,
    source: manifest?.source ?? null,
    image: manifest?.image ? { name: manifest.image.name, min_disk: manifest.image.min_disk, min_ram: manifest.image.min_ram, root_device_name: manifest.image.root_device_name } : null,
    volumes: (manifest?.volumes ?? []).map((v) => ({ snapshot_id: v.snapshot_id, name: v.name, size_gb: v.size_gb, device: v.device, boot_index: v.boot_index, layers: v.layers.length })),
    incremental: Boolean(manifest?.base), base_archive_id: manifest?.base?.archive_id ?? null,
    stored_layers: stored.length, stored_bytes: stored.reduce((n, l) => n + l.bytes, 0),
    root_image: manifest?.root_image ? { bytes: manifest.root_image.bytes, docker_image: manifest.root_image.docker_image } : null,
  };
}

export function importView(r: ImportOutcome): ImportView {
  return {
    archive_id: r.archiveId, kind: r.kind, scope: r.scope,
    snapshots: r.snapshots.map((s) => ({ id: s.id, name: s.name, size: s.size, device: s.device, boot_index: s.bootIndex, source_snapshot_id: s.sourceSnapshotId })),
    image: r.image, base_archive_id: r.baseArchiveId,
  };
}
