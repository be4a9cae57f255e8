import fs from 'fs';
import path from 'path';
import { createHash } from 'crypto';
import { pipeline } from 'stream/promises';
import { Transform, Writable } from 'stream';

export interface DataDigest {
  size: number;
  /** md5 hex: Glance's `checksum` */
  md5: string;
  /** sha512 hex: Glance's `os_hash_value` */
  sha512: string;
}

/** md5 of zero bytes: what Nova's empty upload gives a volume-backed snapshot image. */
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
export const EMPTY_SHA512 = createHash('sha512').update('').digest('hex');

function digester() {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      sha512.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { tap, result: (): DataDigest => ({ size, md5: md5.digest('hex'), sha512: sha512.digest('hex') }) };
}

/** Uploaded image bytes, one file per image under <dataDir>/images/<id>. */
export class ImageFiles {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'images');
  }

  pathOf(imageId: string): string {
    return path.join(this.dir, imageId);
  }

  exists(imageId: string): boolean {
    return fs.existsSync(this.pathOf(imageId));
  }

  /** Streams `source` into the image's file (via a temp file), hashing on the way. */
  async write(imageId: string, source: NodeJS.ReadableStream): Promise<DataDigest> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const tmp = `${this.pathOf(imageId)}.part`;
    const { tap, result } = digester();
    try {
      await pipeline(source, tap, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, this.pathOf(imageId));
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    return result();
  }

  open(imageId: string): NodeJS.ReadableStream {
    return fs.createReadStream(this.pathOf(imageId));
  }

  async remove(imageId: string): Promise<void> {
    await fs.promises.rm(this.pathOf(imageId), { force: true });
  }
}

/** md5/sha512 and size of a stream read to its end (a `docker save` of an image, for Glance's checksums). */
export async function digestOf(source: NodeJS.ReadableStream): Promise<DataDigest> {
  const { tap, result } = digester();
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(source, tap, sink);
  return result();
}
