import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Logger } from '../../logger';
import { runHelper } from './docker-ops';

const exec = promisify(execFile);

/** GNU cp inside the helper image (scripts/build-base-image.sh); busybox cp drops xattrs. */
const HELPER_GNU_CP = '/usr/libexec/snapstack/cp';

/**
 * File operations on layer directories. Layers hold files that containers
 * wrote as root, overlay whiteouts (char 0:0 devices) and trusted.overlay.*
 * xattrs: only root can copy or delete those faithfully. As root we work on
 * the host (fast); otherwise each operation runs in a helper container.
 */
export interface LayerFileOps {
  readonly mode: 'host' | 'helper';
  /** Copies the content of `src` into the existing directory `dst`, and src's own owner and mode onto dst. */
  copyTree(src: string, dst: string): Promise<void>;
  removeTrees(paths: string[]): Promise<void>;
  /** Gives `dir` the owner and mode of `template`'s root (an overlay's root attributes come from its upper dir). */
  cloneRootAttrs(template: string, dir: string): Promise<void>;
}

/** `cp -a src/. dst` inside the helper image, with GNU cp when the image has it. */
export function helperCopyCommand(src: string, dst: string): string[] {
  const script = `if [ -x ${HELPER_GNU_CP} ]; then exec ${HELPER_GNU_CP} -a -- "$1/." "$2"; else exec cp -a "$1/." "$2"; fi`;
  return ['sh', '-c', script, 'sh', src, dst];
}

export class HostLayerFileOps implements LayerFileOps {
  readonly mode = 'host' as const;

  async copyTree(src: string, dst: string): Promise<void> {
    // -a keeps owners, modes, times, hard links, devices and xattrs (as root, trusted.* too).
    await exec('cp', ['-a', '--', `${src}/.`, dst], { maxBuffer: 16 * 1024 * 1024 });
  }

  async removeTrees(paths: string[]): Promise<void> {
    for (const p of paths) await fs.rm(p, { recursive: true, force: true });
  }

  async cloneRootAttrs(template: string, dir: string): Promise<void> {
    const t = await fs.stat(template);
    await fs.chmod(dir, t.mode & 0o7777);
    if (process.getuid?.() === 0) await fs.chown(dir, t.uid, t.gid);
  }
}

export class HelperLayerFileOps implements LayerFileOps {
  readonly mode = 'helper' as const;

  constructor(
    private readonly docker: Docker,
    private readonly image: string,
    private readonly instanceId: string,
    /** Bind-mounted at the same path, so host paths are valid inside the helper. */
    private readonly root: string,
    private readonly log: Logger,
  ) {}

  async copyTree(src: string, dst: string): Promise<void> {
    await this.run('copy', helperCopyCommand(src, dst));
  }

  async removeTrees(paths: string[]): Promise<void> {
    if (paths.length > 0) await this.run('remove', ['rm', '-rf', '--', ...paths]);
  }

  async cloneRootAttrs(template: string, dir: string): Promise<void> {
    const [t, d] = await Promise.all([fs.stat(template), fs.stat(dir)]);
    if (sameRootAttrs(t, d)) return;
    const mode = (t.mode & 0o7777).toString(8);
    await this.run('chown', ['sh', '-c', `chown ${t.uid}:${t.gid} "$1" && chmod ${mode} "$1"`, 'sh', dir]);
  }

  private async run(what: string, cmd: string[]): Promise<void> {
    await runHelper(this.docker, {
      image: this.image,
      instanceId: this.instanceId,
      role: `fileops-${what}`,
      cmd,
      binds: [`${this.root}:${this.root}`],
      // trusted.* xattrs (overlay opaque dirs) need CAP_SYS_ADMIN to be written.
      capAdd: ['SYS_ADMIN'],
      log: this.log,
    });
  }
}

export function sameRootAttrs(a: Stats, b: Stats): boolean {
  return (a.mode & 0o7777) === (b.mode & 0o7777) && a.uid === b.uid && a.gid === b.gid;
}
