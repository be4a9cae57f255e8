/**
 * Reset: the instance back to its seeded state, fast enough to run between tests. Every
 * resource and Docker object this instance made goes (only its own: the instance label);
 * what the seed made stays with its ids (users, projects, roles, flavors, images), so tokens of
 * the seeded users keep working. Workspace snapshots (SNAPSTACK_WORKSPACE_DIR) are part of the
 * seed and stay too.
 */
import fs from 'fs';
import path from 'path';
import type Docker from 'dockerode';
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import type { JobRunner } from '../jobs/jobs-api';
import { removeInstanceObjects, RemovedObjects } from '../runtime/docker-engine';
import { WORKSPACE_PROJECT, type VolumeResetApi } from '../volume/volume-api';
import { DEFAULT_DOMAIN, ROLE_NAMES } from '../identity/identity-api';
import { DEFAULT_FLAVORS } from '../compute/compute-api';

/** The names the identity seed gives its projects and users. */
const SEEDED_IDENTITY = ['admin', 'demo', 'alt_demo'];

export interface ResetReport {
  /** Docker objects removed. */
  docker: RemovedObjects;
  /** Rows removed, by table. */
  rows: Record<string, number>;
  duration_ms: number;
}

export interface ResetDeps {
  db: Knex;
  jobs: JobRunner;
  docker: Docker | null;
  instanceId: string;
  dataDir: string;
  volume: VolumeResetApi;
  /** Re-seeds what the seed makes once (flavors a test deleted come back). */
  reseed(): Promise<void>;
  /** Other state to forget (fault rules, pending delays); run first. */
  onReset: Array<() => void | Promise<void>>;
  log: Logger;
}

export class InstanceReset {
  constructor(private readonly d: ResetDeps) {}

  async reset(): Promise<ResetReport> {
    const started = Date.now();
    for (const hook of this.d.onReset) await hook();
    const report = await this.d.jobs.quiesce(async () => {
      const docker = this.d.docker ? await removeInstanceObjects(this.d.docker, this.d.instanceId, this.d.log) : { containers: 0, volumes: 0, images: 0 };
      const keptSnapshots = new Set<string>((await this.d.db('snapshots').where({ project_id: WORKSPACE_PROJECT }).select('id')).map((r) => r.id));
      await this.d.volume.removeAllData(keptSnapshots);
      const { rows, images } = await this.removeRows();
      await this.removeFiles(images);
      await this.d.reseed();
      return { docker, rows, duration_ms: 0 };
    });
    report.duration_ms = Date.now() - started;
    this.d.log.info(report, 'reset to the seeded state');
    return report;
  }

  private async removeRows(): Promise<{ rows: Record<string, number>; images: string[] }> {
    const rows: Record<string, number> = {};
    let images: string[] = [];
    // PGlite's knex client reports no delete counts: count through `returning`.
    const del = async (trx: Knex.Transaction, table: string, where?: (q: Knex.QueryBuilder) => void) => {
      const q = trx(table);
      if (where) where(q);
      const gone = await q.delete().returning(trx.raw('1'));
      if (gone.length) rows[table] = (rows[table] ?? 0) + gone.length;
      return gone;
    };
    await this.d.db.transaction(async (trx) => {
      const imageSeeded = (await trx('settings').where({ key: 'image.seeded' }).first())?.value;
      const seededImage = (q: Knex.QueryBuilder) => q.whereNull('owner').andWhere('created_at', '<=', imageSeeded ?? new Date(0).toISOString());
      images = await trx('images')
        .whereNot((q) => { if (imageSeeded) seededImage(q); else q.whereRaw('false'); })
        .andWhere((q) => q.whereNull('owner').orWhereNot('owner', WORKSPACE_PROJECT))
        .pluck('id');
      // Nova's per-server, per-user and per-project records (key pairs, tags, instance actions, server groups).
      for (const table of ['server_tags', 'instance_action_events', 'instance_actions', 'keypairs', 'server_group_members', 'server_groups']) await del(trx, table);
      for (const table of ['server_block_devices', 'servers', 'volume_attachments', 'jobs', 'volume_quotas']) await del(trx, table);
      await del(trx, 'snapshots', (q) => q.whereNot('project_id', WORKSPACE_PROJECT));
      await del(trx, 'volumes');
      await del(trx, 'images', (q) => q.whereIn('id', images));
      await del(trx, 'flavors', (q) => q.whereNotIn('id', DEFAULT_FLAVORS.map((f) => f.id)));
      await trx('settings').where({ key: 'flavor.seeded' }).delete();
      // Identity: what the seed made stays (with its ids, so its tokens stay valid); the rest goes.
      const seeded = (q: Knex.QueryBuilder) => q.whereIn('name', SEEDED_IDENTITY).andWhere('domain_id', DEFAULT_DOMAIN.id);
      const seededProjects = trx('projects').where(seeded).select('id');
      const seededUsers = trx('users').where(seeded).select('id');
      await del(trx, 'role_assignments', (q) => q.whereNotIn('user_id', seededUsers.clone()).orWhereNotIn('project_id', seededProjects.clone()));
      await del(trx, 'tokens', (q) => q.whereNotIn('user_id', seededUsers.clone()).orWhere((w) => w.whereNotNull('project_id').whereNotIn('project_id', seededProjects.clone())));
      await del(trx, 'users', (q) => q.whereNot(seeded));
      await del(trx, 'projects', (q) => q.whereNot(seeded));
      await del(trx, 'roles', (q) => q.whereNotIn('name', [...ROLE_NAMES]));
    });
    return { rows, images };
  }

  /** Image data files of the removed images, and every project's snapshots folder (exports). */
  private async removeFiles(images: string[]): Promise<void> {
    await Promise.all(images.map((id) => fs.promises.rm(path.join(this.d.dataDir, 'images', id), { force: true })));
    const folders = path.join(this.d.dataDir, 'snapshots');
    const entries = await fs.promises.readdir(folders).catch(() => [] as string[]);
    await Promise.all(entries.map((e) => fs.promises.rm(path.join(folders, e), { recursive: true, force: true })));
  }
}
