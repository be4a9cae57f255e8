/**
 * The snapshots folders: `<dataDir>/snapshots/<project id>/` for each project (exports land
 * there; an archive copied in by hand is listed and importable), and the workspace folder
 * (SNAPSTACK_WORKSPACE_DIR) whose archives every project sees.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BadRequest, NotFound } from '../http/faults';
import { PARTIAL_SUFFIX } from './archive-writer';
import { orNullIfGone } from '../shared/best-effort';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

export interface ArchiveFile {
  name: string;
  path: string;
  size: number;
  modifiedAt: Date;
}

/** A file name in a snapshots folder: no directories, no hidden files, no partial exports. */
export function checkArchiveName(name: string): string {
  if (!NAME.test(name) || name.endsWith(PARTIAL_SUFFIX)) {
    throw new BadRequest(`Invalid archive name ${JSON.stringify(name)}: letters, digits, '.', '_', '+', '-', at most 200, not starting with '.'`);
  }
  return name;
}

/** `<what>-<yyyymmdd-hhmmss>.tar`, from a name or id, safe for the folder. */
export function defaultArchiveName(what: string, at: Date, suffix = ''): string {
  const slug = what.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 120) || 'snapshot';
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${slug}-${stamp}${suffix}.tar`;
}

/** The names in a folder; none when it does not exist (any other error is thrown). */
export async function readdirIfAny(dir: string): Promise<string[]> {
  return (await orNullIfGone(fs.readdir(dir))) ?? [];
}

export class ArchiveFolders {
  readonly root: string;

  constructor(dataDir: string, readonly workspaceDir: string | null) {
    this.root = path.join(path.resolve(dataDir), 'snapshots');
  }

  /** A project's folder (created on demand). */
  async projectDir(projectId: string): Promise<string> {
    if (!NAME.test(projectId)) throw new BadRequest(`Project id ${JSON.stringify(projectId)} cannot name a folder.`);
    const dir = path.join(this.root, projectId);
    await fs.mkdir(dir, { recursive: true });
    return dir;
  }

  async requireWorkspaceDir(): Promise<string> {
    if (!this.workspaceDir) throw new NotFound('No workspace folder is configured (SNAPSTACK_WORKSPACE_DIR).');
    await fs.mkdir(this.workspaceDir, { recursive: true });
    return this.workspaceDir;
  }

  /** Archive files of a folder, by name; partial exports and hidden files are not listed. */
  async list(dir: string): Promise<ArchiveFile[]> {
    const names = await readdirIfAny(dir);
    const out: ArchiveFile[] = [];
    for (const name of names.sort()) {
      if (!NAME.test(name) || name.endsWith(PARTIAL_SUFFIX)) continue;
      const p = path.join(dir, name);
      const st = await orNullIfGone(fs.stat(p)); // removed meanwhile: not listed
      if (st?.isFile()) out.push({ name, path: p, size: st.size, modifiedAt: st.mtime });
    }
    return out;
  }

  /** An existing archive file of the folder, or 404. */
  async find(dir: string, name: string): Promise<ArchiveFile> {
    checkArchiveName(name);
    const p = path.join(dir, name);
    const st = await orNullIfGone(fs.stat(p));
    if (!st?.isFile()) throw new NotFound(`No archive named ${name} in the snapshots folder.`);
    return { name, path: p, size: st.size, modifiedAt: st.mtime };
  }
}
