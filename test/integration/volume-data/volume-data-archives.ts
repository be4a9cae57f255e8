// Archives through the overlay driver alone (no API): a snapshot written out with the archive
// writer, read back in with the reader, as src/archive does (volume-data and replicas tests).
import { createReadStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { readArchive } from '../../../src/archive/archive-reader';
import { writeArchive, type LayerToWrite } from '../../../src/archive/archive-writer';
import { createLogger } from '../../../src/logger';
import type { ArchiveManifest } from '../../../src/archive/archive-format';
import { requireCapability, type VolumeDataDriver } from '../../../src/volume/data/volume-data-driver';
import { newId } from './volume-data-harness';

/** A fingerprint's modes as an import keeps them: no setuid/setgid, no group/world write. */
export const asImported = (fp: string) => fp.split('\n').map((line) => {
  const f = line.split('|');
  if (f.length > 2 && f[1] !== 'symbolic link' && /^[0-7]+$/.test(f[2])) f[2] = (parseInt(f[2], 8) & (f[1] === 'directory' && (parseInt(f[2], 8) & 0o1000) ? ~0o6000 : ~0o6022)).toString(8);
  return f.join('|');
}).join('\n');

/** Writes snapshot `snapshotId` as an archive at `file` (incremental over `base`); its manifest. */
export async function exportSnapshot(driver: VolumeDataDriver, snapshotId: string, file: string, base?: ArchiveManifest) {
  const ex = await requireCapability(driver, 'archives').openExport([snapshotId]);
  try {
    const chain = ex.chains.get(snapshotId)!;
    const baseIds = new Set(base ? base.volumes.flatMap((v) => v.layers.map((l) => l.id)) : []);
    const baseFacts = new Map(base ? base.volumes.flatMap((v) => v.layers.map((l) => [l.id, l] as const)) : []);
    const manifest: ArchiveManifest = {
      format: 'snapstack-archive', version: 1, archive_id: randomUUID(), created_at: new Date().toISOString(), kind: 'volume-snapshot',
      source: { instance_id: 'x', project_id: 'p1', project_name: null, snapshot_id: snapshotId, image_id: null, name: null },
      image: null,
      volumes: [{ snapshot_id: snapshotId, name: null, description: null, size_gb: 1, device: null, boot_index: null, bootable: false,
        layers: chain.map((l) => baseFacts.get(l.id) ?? { id: l.id, sha256: '', bytes: 0, files: 0 }) }],
      base: base ? { archive_id: base.archive_id, layer_ids: [...baseIds] } : null,
    };
    const layers = new Map<string, LayerToWrite>();
    for (const l of chain) {
      if (baseIds.has(l.id)) continue;
      layers.set(l.id, { id: l.id, entries: await ex.entries(l.id), open: (e) => ex.open(l.id, e) });
    }
    const written = await writeArchive(file, manifest, layers, { log: createLogger('silent') });
    for (const [id, sha] of written.digests) await ex.recordDigest(id, sha);
    return written.manifest;
  } finally {
    ex.release();
  }
}

/**
 * Imports the archive at `file` as one snapshot of `projectId` (its base layers looked for in that
 * project); its id. `afterFind` runs once the base layers are found (and held), before staging.
 */
export async function importArchive(driver: VolumeDataDriver, file: string, projectId: string, afterFind?: () => Promise<void>): Promise<string> {
  const session = await requireCapability(driver, 'archives').beginImport();
  try {
    const snapshotId = newId('imp');
    const result = await readArchive(createReadStream(file), {
      onManifest: async (m) => {
        const needed = m.base?.layer_ids ?? [];
        const found = await session.findExisting(needed, [projectId]);
        const missing = needed.filter((id) => m.volumes[0].layers.some((l) => l.id === id) && !found.has(id));
        if (missing.length) throw new Error(`base layers missing: ${missing.join(', ')}`);
        await afterFind?.();
      },
      layerSink: (l) => session.stage(l.id),
    });
    await session.commit(
      [{ snapshotId, projectId, volumeId: newId('phantom'), chain: result.manifest.volumes[0].layers.map((l) => l.id) }],
      result.digests,
    );
    return snapshotId;
  } catch (err) {
    await session.abort();
    throw err;
  }
}
