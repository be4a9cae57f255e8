import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ImageLoadRefused, ImageMissing, type ImageDriver, type ImageFacts } from './image-driver';

interface FakeImage {
  id: string;
  size: number;
  layers: number;
  labels: Record<string, string>;
}

/** A tar the fake "saves": the image's facts as JSON, so load() can bring it back. */
const MAGIC = 'snapstack-fake-image:';

/**
 * Docker images in memory, for units and SNAPSTACK_DOCKER=fake. Names (refs and ids) point at
 * images; commit makes a new one a layer deeper, tag adds a name, remove drops a name.
 */
export class FakeImageDriver implements ImageDriver {
  readonly kind = 'fake' as const;
  private readonly names = new Map<string, FakeImage>();

  /** `present`: images there from the start (the default server image). */
  constructor(present: string[] = [], private readonly commitSize = 4 * 1024 * 1024) {
    for (const ref of present) this.add(ref, { size: commitSize, layers: 1, labels: {} });
  }

  private add(ref: string, facts: Omit<FakeImage, 'id'>): FakeImage {
    const img = { id: `sha256:${randomBytes(32).toString('hex')}`, ...facts };
    this.names.set(normal(ref), img);
    this.names.set(img.id, img);
    return img;
  }

  async inspect(ref: string): Promise<ImageFacts | null> {
    const img = this.names.get(normal(ref));
    if (!img) return null;
    const tags = [...this.names].filter(([k, v]) => v === img && k !== img.id).map(([k]) => k);
    return { id: img.id, size: img.size, layers: img.layers, tags, labels: img.labels };
  }

  async exists(ref: string): Promise<boolean> {
    return this.names.has(normal(ref));
  }

  async save(ref: string): Promise<NodeJS.ReadableStream> {
    const img = this.require(ref);
    return Readable.from([Buffer.from(MAGIC + JSON.stringify(img))]);
  }

  async load(tar: NodeJS.ReadableStream): Promise<string> {
    let text = '';
    for await (const chunk of tar as AsyncIterable<Buffer>) text += chunk.toString('utf8');
    if (!text.startsWith(MAGIC)) throw new ImageLoadRefused('docker load refused it: not an image tar');
    const img = JSON.parse(text.slice(MAGIC.length)) as FakeImage;
    this.names.set(img.id, img);
    return img.id;
  }

  async commit(_containerId: string, ref: string, labels: Record<string, string>): Promise<{ size: number }> {
    const prior = this.names.get(normal(ref));
    const img = this.add(ref, { size: this.commitSize, layers: (prior?.layers ?? 1) + 1, labels });
    return { size: img.size };
  }

  async relabel(source: string, target: string, labels: Record<string, string>): Promise<{ size: number }> {
    const src = this.require(source);
    return { size: this.add(target, { size: src.size, layers: src.layers, labels: { ...src.labels, ...labels } }).size };
  }

  async tag(source: string, target: string, labels: Record<string, string> = {}): Promise<{ size: number }> {
    const src = this.require(source);
    if (Object.entries(labels).some(([k, v]) => src.labels[k] !== v)) return this.relabel(source, target, labels);
    this.names.set(normal(target), src);
    return { size: src.size };
  }

  /** The fake holds no files: every image's filesystem is an empty tar (its two end blocks). */
  async exportFilesystem<T>(ref: string, _labels: Record<string, string>, use: (tar: NodeJS.ReadableStream) => Promise<T>): Promise<T> {
    if (!this.names.has(normal(ref))) throw new ImageMissing(ref);
    return use(Readable.from([Buffer.alloc(1024)]));
  }

  async importFilesystem(tar: NodeJS.ReadableStream, ref: string, labels: Record<string, string>): Promise<{ size: number }> {
    let size = 0;
    for await (const chunk of tar as AsyncIterable<Buffer>) size += chunk.length;
    return { size: this.add(ref, { size, layers: 1, labels }).size };
  }

  async remove(ref: string): Promise<void> {
    const img = this.names.get(normal(ref));
    if (!img) return;
    this.names.delete(normal(ref));
    if (ref === img.id) for (const [k, v] of this.names) if (v === img) this.names.delete(k);
  }

  async list(labels: string[] = []): Promise<string[]> {
    const ids = new Set<string>();
    for (const img of this.names.values()) {
      if (labels.every((l) => { const [k, v] = l.split('='); return img.labels[k] === v; })) ids.add(img.id);
    }
    return [...ids];
  }

  private require(ref: string): FakeImage {
    const img = this.names.get(normal(ref));
    if (!img) throw Object.assign(new Error(`No such image: ${ref}`), { statusCode: 404 });
    return img;
  }
}

/** `busybox` and `busybox:latest` name one image. */
function normal(ref: string): string {
  if (ref.startsWith('sha256:')) return ref;
  const slash = ref.lastIndexOf('/');
  return ref.lastIndexOf(':') > slash ? ref : `${ref}:latest`;
}
