/**
 * The root disk of an image-backed instance snapshot in an archive (images/root.tar, format
 * version 2): `docker save` of its Docker image on export, `docker load` on import, retagged
 * `snapstack/snap-<new image id>` with the importing instance's labels so its cleanup finds it.
 * Streams only: memory stays flat whatever the image's size. Docker is reached through the
 * one image driver (src/runtime/image-driver.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LABELS, managedLabels } from '../runtime/docker-engine';
import { ImageLoadRefused, type ImageDriver } from '../runtime/image-driver';
import type { Logger } from '../logger';
import { bestEffort } from '../shared/best-effort';

export interface SavedRootImage {
  bytes: number;
  sha256: string;
}

/**
 * `docker save` of `ref` into `file`, by image id: the tar names no repository tag, so loading
 * it elsewhere never moves a tag of that machine.
 */
export async function saveRootImage(images: ImageDriver, ref: string, file: string): Promise<SavedRootImage> {
  const info = await images.inspect(ref);
  if (!info) throw new Error(`Docker image ${ref} is missing`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(await images.save(info.id), tap, createWriteStream(file, { flags: 'w', mode: 0o600 }));
  } catch (err) {
    await fs.rm(file, { force: true });
    throw err;
  }
  return { bytes, sha256: hash.digest('hex') };
}

export interface LoadedRootImage {
  /** snapstack/snap-<new image id>:latest */
  ref: string;
  size: number;
  /** The image `docker load` made, when it was new here (null: it was here already). */
  loadedImageId: string | null;
  /** Removes what the load made (the retagged image, and the loaded one when it was new here). */
  undo(): Promise<void>;
}

/** The engine refused the root image (a broken `docker save` tar): the archive's fault. */
export class RootImageRefused extends Error {}

/**
 * `docker load` of `file`, then a copy of it (no change to the filesystem) as `target`,
 * labelled as this instance's: the image config carries the labels cleanup selects on.
 */
export async function loadRootImage(
  images: ImageDriver, file: string, target: string, instanceId: string, projectId: string, log: Logger,
): Promise<LoadedRootImage> {
  const before = new Set(await images.list());
  const loadedRef = await images.load(createReadStream(file)).catch((err: unknown) => {
    if (err instanceof ImageLoadRefused) throw new RootImageRefused(`images/root.tar: ${err.message}`);
    throw err;
  });
  const loaded = await images.inspect(loadedRef);
  if (!loaded) throw new Error(`docker load reported ${loadedRef}, which the engine does not know`);
  const wasNew = !before.has(loaded.id);
  // Idempotent (a fresh target name; removing what is not there is a no-op).
  const undo = async () => {
    await images.remove(target);
    if (wasNew) await images.remove(loaded.id);
  };
  try {
    const { size } = await images.relabel(loaded.id, target, managedLabels(instanceId, { [LABELS.project]: projectId }));
    return { ref: target, size, loadedImageId: wasNew ? loaded.id : null, undo };
  } catch (err) {
    await bestEffort(log, 'removing a root image not relabelled', { image: target }, undo);
    throw err;
  }
}
