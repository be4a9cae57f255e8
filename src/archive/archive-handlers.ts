/**
 * Snapshot archives under /snapstack/v1 (keys are operationIds of openapi/snapstack.yaml).
 *
 * LIMITATIONS:
 * - exports are durable jobs (202; poll GET /v1/jobs/{id} or GET /v1/archives/{name} for
 *   progress); a restart fails an export in progress and removes its partial file;
 * - imports are synchronous (201): the archive is read and checked in full during the request;
 * - only the overlay volume driver (a Docker engine) and a Snapstack running as root can read
 *   and write layers; otherwise these operations answer 501 or 500 with the reason;
 * - image-backed instance snapshots (root disk in a Docker image) cannot be exported;
 * - `scope=workspace` lists and downloads the workspace folder (every project); only admins
 *   promote into it or remove from it.
 */
import type { Handlers, RequestContext } from '../http/context';
import type { operations } from '../generated/snapstack';
import { queryString, requireAuth, typedHandlers } from '../http/context';
import { BadRequest } from '../http/faults';
import type { JobRunner } from '../jobs/jobs-api';
import type { ArchiveKind } from './archive-format';
import type { ArchiveCaller, ArchiveService, ExportAccepted, FolderScope } from './archive-service';
import { archiveView, importView } from './archive-views';

function callerOf(ctx: RequestContext): ArchiveCaller {
  const auth = requireAuth(ctx);
  if (!auth.projectId) throw new BadRequest('Snapshot archives need a project-scoped token.');
  return { projectId: auth.projectId, projectName: auth.projectName, userId: auth.userId, isAdmin: auth.isAdmin };
}

function scopeOf(ctx: RequestContext, fromBody?: unknown): FolderScope {
  const raw = fromBody ?? queryString(ctx, 'scope') ?? 'namespace';
  if (raw !== 'namespace' && raw !== 'workspace') throw new BadRequest(`Invalid scope ${JSON.stringify(raw)}: namespace or workspace.`);
  return raw;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

export function archiveHandlers(archives: ArchiveService, jobs: JobRunner): Handlers {
  const accepted = async (res: ExportAccepted) => {
    const job = await jobs.get(res.jobId);
    const { payload: _p, attempts: _a, project_id: _pr, ...view } = job ?? { id: res.jobId, payload: null, attempts: 0, project_id: null };
    return { status: 202, body: { job: view, archive: res.archive }, headers: { Location: `/snapstack/v1/jobs/${res.jobId}` } };
  };
  const exportOf = (kind: ArchiveKind, param: string, scope: FolderScope) => async (ctx: RequestContext) => {
    const body = (ctx.body ?? {}) as { base_archive?: string; file_name?: string };
    return accepted(await archives.export(callerOf(ctx), kind, ctx.params[param], { baseArchive: body.base_archive, fileName: body.file_name, scope }));
  };
  return typedHandlers<operations>({
    exportVolumeSnapshot: exportOf('volume-snapshot', 'snapshot_id', 'namespace'),
    exportInstanceSnapshot: exportOf('instance-snapshot', 'image_id', 'namespace'),
    promoteVolumeSnapshot: exportOf('volume-snapshot', 'snapshot_id', 'workspace'),
    promoteInstanceSnapshot: exportOf('instance-snapshot', 'image_id', 'workspace'),

    async listArchives(ctx) {
      const list = await archives.list(callerOf(ctx), scopeOf(ctx), { verify: truthy(queryString(ctx, 'verify')) });
      return { status: 200, body: { archives: list.map(archiveView) } };
    },

    async showArchive(ctx) {
      const info = await archives.show(callerOf(ctx), scopeOf(ctx), ctx.params.name, { verify: truthy(queryString(ctx, 'verify')) });
      return { status: 200, body: { archive: archiveView(info) } };
    },

    async deleteArchive(ctx) {
      await archives.remove(callerOf(ctx), scopeOf(ctx), ctx.params.name);
      return { status: 204 };
    },

    async downloadArchive(ctx) {
      const file = await archives.download(callerOf(ctx), scopeOf(ctx), ctx.params.name);
      return {
        status: 200,
        stream: file.stream,
        headers: { 'Content-Type': 'application/x-tar', 'Content-Length': String(file.size), 'Content-Disposition': `attachment; filename="${file.name}"` },
      };
    },

    async uploadArchive(ctx) {
      const length = ctx.headers['content-length'];
      const declared = typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined;
      const info = archiveView(await archives.upload(callerOf(ctx), scopeOf(ctx), ctx.params.name, ctx.req, declared));
      return { status: 201, body: { archive: info }, headers: { Location: `/snapstack/v1/archives/${encodeURIComponent(info.name)}` } };
    },

    async importArchive(ctx) {
      const body = ctx.body as { file: string; scope?: string; name?: string };
      const result = await archives.import(callerOf(ctx), body.file, scopeOf(ctx, body.scope), body.name);
      return { status: 201, body: { import: importView(result) } };
    },
  });
}
