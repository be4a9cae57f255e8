/**
 * The archive module's port: snapshot archives (export to a snapshots folder, list, upload,
 * import, workspace snapshots). Nothing outside the composition root uses archives today; a
 * module that comes to need them imports only this file.
 */
import type { ArchiveService } from './archive-service';

export type { ArchiveCaller, ExportAccepted, FolderScope } from './archive-service';
export type { ArchiveEntry } from './archive-views';
export type { ImportOutcome } from './archive-import';

export type ArchiveApi = Pick<ArchiveService, 'list' | 'show' | 'download' | 'remove' | 'upload' | 'export' | 'import'>;

/** What reset (src/snapstack) asks of archives: every project's snapshots folder goes; the workspace stays. */
export type ArchiveResetApi = Pick<ArchiveService, 'resetToSeed'>;
