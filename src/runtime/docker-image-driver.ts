import type Docker from 'dockerode';
import type { Logger } from '../logger';
import { bestEffort } from '../shared/best-effort';
import { isDockerStatus } from './docker-engine';
import { ImageLoadRefused, ImageMissing, splitImageRef, type ImageDriver, type ImageFacts } from './image-driver';

/** overlay2 stacks at most about 125 layers: a root disk committed at every stop is squashed past this. */
const MAX_LAYERS = 100;

function labelChanges(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`);
}

/** Docker images through the engine (dockerode). */
export class DockerImageDriver implements ImageDriver {
  readonly kind = 'docker' as const;

  constructor(private readonly docker: Docker, private readonly log: Logger) {}

  async inspect(ref: string): Promise<ImageFacts | null> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return {
        id: info.Id, size: Number(info.Size), layers: info.RootFS?.Layers?.length ?? 0,
        tags: (info.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), labels: info.Config?.Labels ?? {},
      };
    } catch (err) {
      if (isDockerStatus(err, 404)) return null;
      throw err;
    }
  }

  async exists(ref: string): Promise<boolean> {
    return (await this.inspect(ref)) !== null;
  }

  async save(ref: string): Promise<NodeJS.ReadableStream> {
    return (await this.docker.getImage(ref).get()) as NodeJS.ReadableStream;
  }

  /** The image `docker load` reports ("Loaded image ID: sha256:…" or "Loaded image: ref"). */
  async load(tar: NodeJS.ReadableStream): Promise<string> {
    let out: NodeJS.ReadableStream;
    try {
      out = await this.docker.loadImage(tar, { quiet: true });
    } catch (err) {
      // The engine answers 4xx/5xx for a tar it cannot read; what it says is the reason.
      if (typeof err === 'object' && err !== null && 'statusCode' in err) throw new ImageLoadRefused(`docker load refused it: ${String((err as { message?: unknown }).message)}`);
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
      if (msg.error) throw new ImageLoadRefused(`docker load refused it: ${msg.errorDetail?.message ?? msg.error}`);
      const m = /Loaded image(?: ID)?: (\S+)/.exec(msg.stream ?? '');
      if (m) loaded = m[1];
    }
    if (!loaded) throw new Error(`docker load did not say which image it loaded: ${text.slice(0, 500)}`);
    return loaded;
  }

  async commit(containerId: string, ref: string, labels: Record<string, string>, opts: { pause?: boolean } = {}): Promise<{ size: number }> {
    const [repo, tag] = splitImageRef(ref);
    const changes = labelChanges(labels);
    await this.docker.getContainer(containerId).commit({ repo, tag, pause: opts.pause ?? true, ...(changes.length ? { changes } : {}) });
    await this.squashIfDeep(ref);
    return { size: await this.sizeOf(ref) };
  }

  async relabel(source: string, target: string, labels: Record<string, string>): Promise<{ size: number }> {
    const container = await this.docker.createContainer({ Image: source, Entrypoint: [], Cmd: ['/bin/true'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    try {
      const [repo, tag] = splitImageRef(target);
      await container.commit({ repo, tag, pause: false, changes: labelChanges(labels) });
    } finally {
      await bestEffort(this.log, 'removing the relabel container', { image: target, container_id: container.id }, () => container.remove({ force: true }));
    }
    return { size: await this.sizeOf(target) };
  }

  async tag(source: string, target: string, labels: Record<string, string> = {}): Promise<{ size: number }> {
    const facts = await this.inspect(source);
    if (facts && Object.entries(labels).some(([k, v]) => facts.labels[k] !== v)) return this.relabel(source, target, labels);
    const [repo, tag] = splitImageRef(target);
    await this.docker.getImage(source).tag({ repo, tag });
    return { size: await this.sizeOf(target) };
  }

  async exportFilesystem<T>(ref: string, labels: Record<string, string>, use: (tar: NodeJS.ReadableStream) => Promise<T>): Promise<T> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({ Image: ref, Cmd: ['true'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    } catch (err) {
      if (isDockerStatus(err, 404)) throw new ImageMissing(ref, { cause: err });
      throw err;
    }
    try {
      return await use((await container.export()) as NodeJS.ReadableStream);
    } finally {
      await bestEffort(this.log, 'removing the filesystem export container', { image: ref, container_id: container.id }, () => container.remove({ force: true }));
    }
  }

  async importFilesystem(tar: NodeJS.ReadableStream, ref: string, labels: Record<string, string>): Promise<{ size: number }> {
    await this.importTar(tar, ref, labelChanges(labels));
    return { size: await this.sizeOf(ref) };
  }

  async remove(ref: string): Promise<void> {
    try {
      await this.docker.getImage(ref).remove();
    } catch (err) {
      if (isDockerStatus(err, 404) || isDockerStatus(err, 409)) return;
      throw err;
    }
  }

  async list(labels: string[] = []): Promise<string[]> {
    return (await this.docker.listImages({ all: true, ...(labels.length ? { filters: { label: labels } } : {}) })).map((i) => i.Id);
  }

  /**
   * Past `maxLayers` the image is squashed into one layer (export + import, keeping its
   * environment, command, working directory and labels).
   */
  async squashIfDeep(ref: string, maxLayers = MAX_LAYERS): Promise<boolean> {
    const info = await this.docker.getImage(ref).inspect();
    if ((info.RootFS?.Layers?.length ?? 0) <= maxLayers) return false;
    const cfg = info.Config ?? ({} as Docker.ImageInspectInfo['Config']);
    const changes = [
      ...(cfg.Env ?? []).map((e) => `ENV ${e.slice(0, e.indexOf('='))}=${JSON.stringify(e.slice(e.indexOf('=') + 1))}`),
      ...(cfg.Cmd?.length ? [`CMD ${JSON.stringify(cfg.Cmd)}`] : []),
      ...(cfg.WorkingDir ? [`WORKDIR ${cfg.WorkingDir}`] : []),
      ...labelChanges(cfg.Labels ?? {}),
    ];
    const tmp = await this.docker.createContainer({ Image: ref, Entrypoint: [], Cmd: ['/bin/true'], Labels: cfg.Labels ?? {} });
    try {
      await this.importTar(await tmp.export(), ref, changes);
      // The unsquashed image, now untagged; one still used by a container (409) stays.
      await bestEffort(this.log, 'removing the unsquashed image', { image: ref, image_id: info.Id }, () => this.remove(info.Id));
    } finally {
      await bestEffort(this.log, 'removing the squash container', { image: ref, container_id: tmp.id }, () => tmp.remove({ force: true }));
    }
    return true;
  }

  /** `docker import` of a filesystem tar as `ref`, with Dockerfile `changes`; resolves when the engine is done. */
  private async importTar(tar: NodeJS.ReadableStream, ref: string, changes: string[]): Promise<void> {
    const [repo, tag] = splitImageRef(ref);
    const out = await this.docker.importImage(tar, { repo, tag, changes });
    await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(out, (err: Error | null) => (err ? reject(err) : resolve())));
  }

  private async sizeOf(ref: string): Promise<number> {
    return Number((await this.docker.getImage(ref).inspect()).Size);
  }
}
