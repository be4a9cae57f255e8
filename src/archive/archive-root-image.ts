/**
 * The root disk of an image-backed instance snapshot in an archive (images/root.tar, format
 * version 2): `docker save` of its Docker image on export, `docker load` on import, retagged
 * `snapstack/snap-<new image id>` with the importing instance's labels so its cleanup finds it.
 * Streams only: memory stays flat whatever the image's size.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { isDockerStatus, LABELS, managedLabels } from '../runtime/docker-engine';

export interface SavedRootImage {
  bytes: number;
  sha256: string;
}

/**
 * `docker save` of `ref` into `file`, by image id: the tar names no repository tag, so loading
 * it elsewhere never moves a tag of that machine.
 */
export async function saveRootImage(docker: Docker, ref: string, file: string): Promise<SavedRootImage> {
  const info = await docker.getImage(ref).inspect();
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
    await pipeline(await docker.getImage(info.Id).get(), tap, createWriteStream(file, { flags: 'w', mode: 0o600 }));
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

/** The image `docker load` reports ("Loaded image ID: sha256:…" or "Loaded image: ref"). */
async function runLoad(docker: Docker, file: string): Promise<string> {
  let out: NodeJS.ReadableStream;
  try {
    out = await docker.loadImage(createReadStream(file), { quiet: true });
  } catch (err) {
    // The engine answers 4xx/5xx for a tar it cannot read; what it says is the reason.
    if (typeof err === 'object' && err !== null && 'statusCode' in err) throw new RootImageRefused(`images/root.tar: docker load refused it: ${String((err as { message?: unknown }).message)}`);
    throw err;
  }
  let text = '';
  for await (const chunk of out as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > 1024 * 1024) text = text.slice(-65536);
  }
  let loaded: string | null = null;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let msg: { stream?: string; error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.error) throw new RootImageRefused(`images/root.tar: docker load refused it: ${msg.errorDetail?.message ?? msg.error}`);
    const m = /Loaded image(?: ID)?: (\S+)/.exec(msg.stream ?? '');
    if (m) loaded = m[1];
  }
  if (!loaded) throw new Error(`docker load did not say which image it loaded: ${text.slice(0, 500)}`);
  return loaded;
}

/**
 * `docker load` of `file`, then a commit of it (no change to the filesystem) as `target`,
 * labelled as this instance's: the image config carries the labels cleanup selects on.
 */
export async function loadRootImage(
  docker: Docker, file: string, target: string, instanceId: string, projectId: string,
): Promise<LoadedRootImage> {
  const before = new Set((await docker.listImages({ all: true })).map((i) => i.Id));
  const loadedRef = await runLoad(docker, file);
  const loadedId = (await docker.getImage(loadedRef).inspect()).Id;
  const wasNew = !before.has(loadedId);
  const labels = managedLabels(instanceId, { [LABELS.project]: projectId });
  let committed = false;
  const undo = async () => {
    if (committed) await removeDockerImage(docker, target);
    if (wasNew) await removeDockerImage(docker, loadedId);
  };
  try {
    const container = await docker.createContainer({ Image: loadedId, Entrypoint: [], Cmd: ['/bin/true'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    try {
      const slash = target.lastIndexOf('/');
      const colon = target.lastIndexOf(':');
      const [repo, tag] = colon > slash ? [target.slice(0, colon), target.slice(colon + 1)] : [target, 'latest'];
      await container.commit({ repo, tag, pause: false, changes: Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`) });
      committed = true;
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
    const size = Number((await docker.getImage(target).inspect()).Size);
    return { ref: target, size, loadedImageId: wasNew ? loadedId : null, undo };
  } catch (err) {
    await undo().catch(() => undefined);
    throw err;
  }
}

/** Idempotent; an image still in use is left. */
export async function removeDockerImage(docker: Docker, ref: string): Promise<void> {
  try {
    await docker.getImage(ref).remove();
  } catch (err) {
    if (!isDockerStatus(err, 404) && !isDockerStatus(err, 409)) throw err;
  }
}
