/**
 * Snapshot archives (Snapstack's own API, /snapstack/v1): `snapshot export`, `snapshot import`,
 * `snapshot archive list|show`. The openstack client has no such commands; these follow its
 * style (show/list formatters, --wait-like progress on a terminal).
 */
import { createReadStream, createWriteStream } from 'fs';
import { rename, rm, stat } from 'fs/promises';
import path from 'path';
import { Readable, Transform } from 'stream';
import { pipeline } from 'stream/promises';
import type { ReadableStream as NodeReadableStream } from 'stream/web';
import type { Session } from '../auth';
import { type CommandContext, type CommandSpec, defineCommand } from '../command';
import { ApiError, CliError, errorMessage, requestIdOf } from '../http';
import { field, sortedFields } from '../output';
import { q } from '../resolve';
import { findImage } from './image';
import { findSnapshot } from './snapshot';
import type { Archive, ExportAccepted, ImportResult, Job } from '../wire';

/** Snapstack's own API lives beside Keystone: <origin>/snapstack/v1. */
export function snapstackUrl(s: Session): string {
  const u = new URL(s.identityUrl);
  const prefix = u.pathname.replace(/\/identity(\/.*)?$/, '');
  return `${u.origin}${prefix === u.pathname ? '' : prefix}/snapstack/v1`;
}

function request<T>(s: Session, method: string, path: string, body?: unknown) {
  return s.request<T>('identity', method, `${snapstackUrl(s)}${path}`, body === undefined ? {} : { body });
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function progressLine(ctx: CommandContext, text: string): void {
  if (ctx.stderrIsTTY) ctx.err(`\r\x1b[K${text}`);
}

function archiveFields(a: Archive) {
  return sortedFields({
    name: a.name, scope: a.scope, path: a.path, size: a.size, status: a.status, valid: a.valid, reason: a.reason, verified: a.verified,
    archive_id: a.archive_id, kind: a.kind, created_at: a.created_at,
    source: a.source ? `${a.source.name ?? ''} (${a.source.snapshot_id ?? a.source.image_id}, project ${a.source.project_name ?? a.source.project_id}, instance ${a.source.instance_id})` : null,
    image: a.image ? `${a.image.name} (min_disk ${a.image.min_disk}, min_ram ${a.image.min_ram})` : null,
    volumes: (a.volumes ?? []).map((v) => `${v.device ?? '-'} ${v.name ?? v.snapshot_id} ${v.size_gb}G (${v.layers} layers)`).join('\n'),
    incremental: a.incremental, base_archive_id: a.base_archive_id, stored_layers: a.stored_layers, stored_bytes: a.stored_bytes,
  });
}

/** A volume snapshot (name or id), else an instance snapshot image. */
async function resolveSource(s: Session, ref: string, forceImage: boolean): Promise<{ kind: 'snapshots' | 'images'; id: string; label: string }> {
  if (!forceImage) {
    try {
      const snap = await findSnapshot(s, ref);
      return { kind: 'snapshots', id: snap.id, label: snap.name || snap.id };
    } catch (err) {
      if (!(err instanceof CliError) || (err instanceof ApiError && err.status !== 404)) throw err;
    }
  }
  try {
    const image = await findImage(s, ref);
    return { kind: 'images', id: image.id, label: image.name || image.id };
  } catch (err) {
    if (err instanceof CliError && !(err instanceof ApiError)) {
      throw new CliError(`No volume snapshot or instance snapshot image with a name or ID of '${ref}' exists.`);
    }
    throw err;
  }
}

async function waitForExport(ctx: CommandContext, s: Session, jobId: string, name: string): Promise<Archive> {
  const started = Date.now();
  for (;;) {
    const job = (await request<{ job: Job }>(s, 'GET', `/jobs/${q(jobId)}`)).body.job;
    if (job.status === 'failed') {
      progressLine(ctx, '');
      throw new CliError(`Export of ${name} failed: ${job.error}`);
    }
    if (job.status === 'succeeded') {
      const info = (await request<{ archive: Archive }>(s, 'GET', `/archives/${q(name)}`)).body.archive;
      progressLine(ctx, `Exported ${name}: ${human(info.size)} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
      return info;
    }
    const info = await request<{ archive: Archive }>(s, 'GET', `/archives/${q(name)}`).then((r) => r.body.archive, () => null);
    const p = info?.progress;
    if (p && p.total) progressLine(ctx, `Exporting ${name}: ${Math.floor((100 * p.written) / p.total)}% (${human(p.written)} of ${human(p.total)})`);
    else progressLine(ctx, `Exporting ${name}: ${job.status}`);
    if (Date.now() - started > ctx.waitTimeoutMs) throw new CliError(`Timed out waiting for the export of ${name} (job ${jobId})`);
    await new Promise((r) => setTimeout(r, Math.min(ctx.waitIntervalMs, 500)));
  }
}

/** A streamed call's failure, as the other commands print one. */
async function streamFailure(res: Response): Promise<CliError> {
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* text */ }
  const id = requestIdOf(res.headers);
  return new ApiError(`${errorMessage(body, text)} (HTTP ${res.status})${id ? ` (Request-ID: ${id})` : ''}`, res.status, id);
}

/** Counts the bytes going through, showing `<verb> <name>: N% (size)` on a terminal every 8 MiB. */
function progressCounter(ctx: CommandContext, verb: string, name: string, total: number): { stream: Transform; bytes: () => number } {
  let got = 0;
  let last = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      got += chunk.length;
      if (got - last > 8 * 1024 * 1024 || got === total) {
        last = got;
        progressLine(ctx, `${verb} ${name}: ${total ? `${Math.floor((100 * got) / total)}% ` : ''}(${human(got)})`);
      }
      done(null, chunk);
    },
  });
  return { stream, bytes: () => got };
}

const scopeQuery = (scope: string) => (scope === 'workspace' ? '?scope=workspace' : '');

async function download(ctx: CommandContext, s: Session, name: string, scope: string, file: string): Promise<void> {
  const res = await fetch(`${snapstackUrl(s)}/archives/${q(name)}/download${scopeQuery(scope)}`, { headers: { 'X-Auth-Token': s.token } });
  if (!res.ok || !res.body) throw await streamFailure(res);
  const counter = progressCounter(ctx, 'Downloading', name, Number(res.headers.get('content-length') ?? 0));
  const tmp = `${file}.partial`;
  try {
    await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), counter.stream, createWriteStream(tmp));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  progressLine(ctx, `Downloaded ${name} to ${file} (${human(counter.bytes())})\n`);
}

/** A local file (an archive to upload), or undefined when `ref` names no local file. */
async function localFile(ref: string): Promise<{ path: string; size: number } | undefined> {
  const st = await stat(ref).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'ENAMETOOLONG') return undefined; // not a local path
    throw err;
  });
  if (!st) {
    if (ref.includes('/') || ref.includes(path.sep)) throw new CliError(`No such file: ${ref}`);
    return undefined;
  }
  if (!st.isFile()) throw new CliError(`Not a file: ${ref}`);
  return { path: ref, size: st.size };
}

/** PUT /archives/{name}: streams a local archive into the snapshots folder, where the server checks it. */
async function upload(ctx: CommandContext, s: Session, file: { path: string; size: number }, name: string, scope: string): Promise<void> {
  const counter = progressCounter(ctx, 'Uploading', name, file.size);
  const source = createReadStream(file.path, { highWaterMark: 1024 * 1024 });
  source.on('error', (err) => counter.stream.destroy(err));
  const body = source.pipe(counter.stream);
  const res = await fetch(`${snapstackUrl(s)}/archives/${q(name)}${scopeQuery(scope)}`, {
    method: 'PUT',
    headers: { 'X-Auth-Token': s.token, 'Content-Type': 'application/x-tar', 'Content-Length': String(file.size) },
    body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
  progressLine(ctx, '');
  if (!res.ok) throw await streamFailure(res);
  await res.body?.cancel();
  progressLine(ctx, `Uploaded ${name} (${human(counter.bytes())}), checked by the server\n`);
}

export const archiveCommands: CommandSpec[] = [
  defineCommand({
    name: 'snapshot export',
    summary: 'Export a volume snapshot or an instance snapshot to an archive',
    description:
      'Write a volume snapshot, or an instance snapshot (its image and every volume snapshot), to an archive '
      + "file in the project's snapshots folder on the server (<data dir>/snapshots/<project id>/), showing progress "
      + 'on a terminal. With -o, also download it. With --base, only the layers that earlier archive lacks are stored.',
    output: 'show',
    options: [
      { flags: ['-o', '--output'], dest: 'output', kind: 'string', metavar: '<file>', help: 'Also download the archive to this local file' },
      { flags: ['--base'], dest: 'base', kind: 'string', metavar: '<archive>', help: 'Incremental: an earlier archive of the folder (file name or archive id)' },
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<file-name>', help: 'File name in the snapshots folder (default <name>-<date>.tar)' },
      { flags: ['--image'], dest: 'image', kind: 'flag', help: 'The source is an instance snapshot image (default: a volume snapshot, else an image)' },
    ],
    positionals: [{ name: 'source', metavar: '<snapshot>', help: 'Volume snapshot or instance snapshot image (name or ID)' }],
    examples: [
      'snapstack snapshot export db-before-upgrade',
      'snapstack snapshot export --image web1-golden -o web1-golden.tar',
      'snapstack snapshot export --base db-before-upgrade-20261123-120000.tar db-after-upgrade',
    ],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const src = await resolveSource(s, pos.source, !!opts.image);
      const body: Record<string, string> = {};
      if (opts.base) body.base_archive = opts.base;
      if (opts.name) body.file_name = opts.name;
      const accepted = (await request<ExportAccepted>(s, 'POST', `/${src.kind}/${q(src.id)}/export`, body)).body;
      const info = await waitForExport(ctx, s, accepted.job.id, accepted.archive.name);
      if (opts.output) await download(ctx, s, info.name, 'namespace', opts.output);
      return { kind: 'show', fields: archiveFields(info) };
    },
  }),
  defineCommand({
    name: 'snapshot import',
    summary: 'Import an archive: a local file (uploaded first) or one of the snapshots folder',
    description:
      'Recreate the volume snapshots of an archive, and the image of an instance snapshot, in the project with new IDs. '
      + "A local file is uploaded into the project's snapshots folder on the server first (streamed, with progress on "
      + "a terminal; the server checks it in full), under its file name; any other name is a file of that folder "
      + '(copied there by hand or exported). Nothing is created when any check fails.',
    output: 'show',
    options: [
      { flags: ['--name'], dest: 'name', kind: 'string', metavar: '<name>', help: "Name of the imported snapshot (an instance snapshot's image) instead of the archive's" },
      { flags: ['--workspace'], dest: 'workspace', kind: 'flag', help: 'The workspace folder instead of the project folder (admin to upload)' },
    ],
    positionals: [{ name: 'archive', metavar: '<archive>', help: 'A local archive file, or a file name in the snapshots folder' }],
    examples: [
      'snapstack snapshot import ./web1-golden.tar --name web1-golden-copy',
      'snapstack snapshot import web1-golden-20261123-120000.tar',
      'snapstack volume create --snapshot <new snapshot id> --size 1 restored',
    ],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const scope = opts.workspace ? 'workspace' : 'namespace';
      const local = await localFile(pos.archive);
      const file = local ? path.basename(local.path) : pos.archive;
      if (local) await upload(ctx, s, local, file, scope);
      const body = { file, ...(opts.workspace ? { scope } : {}), ...(opts.name !== undefined ? { name: opts.name } : {}) };
      const res = (await request<{ import: ImportResult }>(s, 'POST', '/archives/import', body)).body.import;
      return {
        kind: 'show',
        fields: sortedFields({
          archive_id: res.archive_id, kind: res.kind, scope: res.scope, base_archive_id: res.base_archive_id,
          snapshots: (res.snapshots ?? []).map((x) => `${x.id} ${x.name ?? ''}${x.device ? ` (${x.device})` : ''}`).join('\n'),
          image: res.image ? `${res.image.id} ${res.image.name ?? ''}` : null,
        }),
      };
    },
  }),
  defineCommand({
    name: 'snapshot archive list',
    summary: 'List the archives of the snapshots folders',
    description:
      "List every archive file of the project's snapshots folder and of the workspace folder (Scope column), valid or "
      + 'not (Reason column), with what it holds. --verify reads each one in full to check its checksums.',
    output: 'list',
    options: [
      { flags: ['--workspace'], dest: 'scope', kind: 'const', value: 'workspace', group: 'scope', help: 'Only the workspace folder' },
      { flags: ['--project'], dest: 'scope', kind: 'const', value: 'namespace', group: 'scope', help: "Only the project's folder" },
      { flags: ['--verify'], dest: 'verify', kind: 'flag', help: 'Read every archive in full and check its checksums' },
      { flags: ['--long'], dest: 'long', kind: 'flag', help: 'List additional fields in output' },
    ],
    examples: ['snapstack snapshot archive list', 'snapstack snapshot archive list --workspace --verify'],
    async run(ctx, { opts }) {
      const s = await ctx.session();
      const scopes = opts.scope ? [opts.scope] : ['namespace', 'workspace'];
      const rows: Archive[] = [];
      for (const scope of scopes) {
        try {
          const res = await request<{ archives: Archive[] }>(s, 'GET', `/archives?scope=${scope}${opts.verify ? '&verify=true' : ''}`);
          rows.push(...res.body.archives);
        } catch (err) {
          // No workspace folder configured: only the project's.
          if (!(err instanceof ApiError && err.status === 404 && scope === 'workspace' && !opts.scope)) throw err;
        }
      }
      const status = (a: Archive) => {
        if (a.status === 'writing') return a.progress?.total ? `writing ${Math.floor((100 * a.progress.written) / a.progress.total)}%` : 'writing';
        return a.valid ? 'valid' : `invalid: ${a.reason}`;
      };
      const base = (a: Archive) => [
        field(a, 'name'), field(a, 'scope'), field(a, 'kind'), a.source?.name ?? null, (a.volumes ?? []).length, field(a, 'size'), status(a),
      ];
      if (!opts.long) return { kind: 'list', columns: ['Name', 'Scope', 'Kind', 'Source', 'Volumes', 'Size', 'Status'], rows: rows.map(base) };
      return {
        kind: 'list',
        columns: ['Name', 'Scope', 'Kind', 'Source', 'Volumes', 'Size', 'Status', 'Archive ID', 'Created At', 'Base', 'Verified', 'Reason'],
        rows: rows.map((a) => [...base(a), a.archive_id, a.created_at, a.base_archive_id, a.verified, a.reason]),
      };
    },
  }),
  defineCommand({
    name: 'snapshot archive show',
    summary: 'Show what an archive of the snapshots folder holds',
    output: 'show',
    options: [
      { flags: ['--workspace'], dest: 'workspace', kind: 'flag', help: 'An archive of the workspace folder' },
      { flags: ['--verify'], dest: 'verify', kind: 'flag', help: 'Read it in full and check its checksums' },
    ],
    positionals: [{ name: 'archive', metavar: '<archive>', help: 'File name in the snapshots folder' }],
    examples: ['snapstack snapshot archive show --verify web1-golden-20261123-120000.tar'],
    async run(ctx, { opts, pos }) {
      const s = await ctx.session();
      const params = [opts.workspace ? 'scope=workspace' : '', opts.verify ? 'verify=true' : ''].filter(Boolean).join('&');
      const res = await request<{ archive: Archive }>(s, 'GET', `/archives/${q(pos.archive)}${params ? `?${params}` : ''}`);
      return { kind: 'show', fields: archiveFields(res.body.archive) };
    },
  }),
];
