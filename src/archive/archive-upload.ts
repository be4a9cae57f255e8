/**
 * Receiving an archive from a client into a snapshots folder (PUT /v1/archives/{name}): the
 * bytes stream to a hidden file of the folder (never listed), the whole archive is read back and
 * its checksums checked, and only then is it linked under its name. A file of that name is never
 * replaced; an interrupted or refused upload leaves nothing behind, and a crash leaves only a
 * hidden file that the next start removes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { BadRequest, Conflict, OverLimit } from '../http/faults';
import type { Logger } from '../logger';
import { ArchiveInvalid } from './archive-format';
import { checkArchiveName, readdirIfAny } from './archive-folders';
import { readArchive } from './archive-reader';

const UPLOAD_PREFIX = '.upload-';

export interface UploadLimits {
  /** Largest archive accepted, in bytes. */
  maxBytes: number;
}

/** Streams `body` into `dir/name` after a full check; answers the stored file's size. */
export async function receiveUpload(dir: string, name: string, body: Readable, declaredLength: number | undefined, limits: UploadLimits): Promise<number> {
  checkArchiveName(name);
  const tooLarge = () => new OverLimit(`The archive is larger than the upload limit of ${limits.maxBytes} bytes (SNAPSTACK_MAX_UPLOAD_BYTES).`);
  if (declaredLength !== undefined && declaredLength > limits.maxBytes) throw tooLarge();
  const target = path.join(dir, name);
  if (await fs.stat(target).then(() => true, () => false)) throw new Conflict(`An archive named ${name} is already in the snapshots folder.`);

  const staging = path.join(dir, `${UPLOAD_PREFIX}${randomUUID()}`);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > limits.maxBytes) done(tooLarge());
      else done(null, chunk);
    },
  });
  // The request is piped into a stream of our own, so a refusal never destroys the client's
  // connection: the router drains what is left of the body and answers in the service's shape.
  const source = new PassThrough();
  body.once('error', (err) => source.destroy(err));
  body.once('close', () => {
    if (!(body as Readable & { complete?: boolean }).complete) source.destroy(new Error('the client went away'));
  });
  body.pipe(source);
  try {
    await pipeline(source, counter, createWriteStream(staging, { flags: 'wx', mode: 0o600 })).catch((err: unknown) => {
      body.unpipe(source);
      if (err instanceof OverLimit) throw err;
      throw new BadRequest(`The upload was interrupted after ${received} bytes.`);
    });
    if (declaredLength !== undefined && received !== declaredLength) {
      throw new BadRequest(`The upload ended after ${received} of ${declaredLength} bytes.`);
    }
    await readArchive(createReadStream(staging)).catch((err: unknown) => {
      if (err instanceof ArchiveInvalid) throw new BadRequest(`Invalid archive: ${err.message}`);
      throw err;
    });
    // link, not rename: a file that appeared meanwhile under that name is never replaced.
    await fs.link(staging, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new Conflict(`An archive named ${name} is already in the snapshots folder.`);
      throw err;
    });
    return received;
  } finally {
    await fs.rm(staging, { force: true });
  }
}

/** At start: hidden files of uploads that a crash interrupted. */
export async function removeStaleUploads(dirs: string[], log: Logger): Promise<void> {
  for (const dir of dirs) {
    for (const n of (await readdirIfAny(dir)).filter((x) => x.startsWith(UPLOAD_PREFIX))) {
      await fs.rm(path.join(dir, n), { force: true });
      log.info({ file: path.join(dir, n) }, 'removed an interrupted archive upload');
    }
  }
}
