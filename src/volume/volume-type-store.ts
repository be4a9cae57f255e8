import type { Knex } from 'knex';
import { countedDelete } from '../db/counted-delete';
import { parseJson, Tx } from './volume-store';

export interface VolumeTypeRow {
  id: string;
  name: string;
  description: string | null;
  is_public: boolean;
  extra_specs: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

/**
 * Who looks: an admin sees every type (Cinder's admin context); a project sees public types
 * and the private ones shared with it (volume_type_projects).
 */
export type TypeViewer = { admin: true } | { projectId: string };

/** Knex queries for volume_types and volume_type_projects (and the volumes using a type). */
export class VolumeTypeStore {
  constructor(private readonly db: Knex | Tx) {}

  transaction<T>(fn: (trx: Tx) => Promise<T>): Promise<T> {
    return (this.db as Knex).transaction(fn);
  }

  on(trx: Tx): VolumeTypeStore {
    return new VolumeTypeStore(trx);
  }

  private visible(q: Knex.QueryBuilder, viewer: TypeViewer): Knex.QueryBuilder {
    if ('admin' in viewer) return q;
    return q.where((w) => w.where('is_public', true).orWhereExists(
      this.db('volume_type_projects as p').whereRaw('p.volume_type_id = volume_types.id').where('p.project_id', viewer.projectId),
    ));
  }

  async get(viewer: TypeViewer, id: string, opts: { forUpdate?: boolean } = {}): Promise<VolumeTypeRow | undefined> {
    const q = this.visible(this.db('volume_types').where({ id }), viewer);
    if (opts.forUpdate) q.forUpdate();
    return this.row(await q.first());
  }

  async getByName(viewer: TypeViewer, name: string): Promise<VolumeTypeRow | undefined> {
    return this.row(await this.visible(this.db('volume_types').where({ name }), viewer).first());
  }

  /**
   * Cinder's volume_type_get_all with its is_public filter: true = public types and the private
   * ones shared with `sharedWith`; false = private only; null = all. Newest first, as Cinder sorts.
   */
  async list(viewer: TypeViewer, isPublic: boolean | null, sharedWith: string): Promise<VolumeTypeRow[]> {
    const q = this.visible(this.db('volume_types').select('*'), viewer);
    if (isPublic === true) {
      q.where((w) => w.where('is_public', true).orWhereExists(
        this.db('volume_type_projects as p').whereRaw('p.volume_type_id = volume_types.id').where('p.project_id', sharedWith),
      ));
    } else if (isPublic === false) {
      q.where('is_public', false);
    }
    const rows = await q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
    return rows.map((r: unknown) => this.row(r)!);
  }

  async nameTaken(name: string, exceptId?: string): Promise<boolean> {
    const q = this.db('volume_types').where({ name });
    if (exceptId) q.whereNot({ id: exceptId });
    return Boolean(await q.first('id'));
  }

  async insert(row: VolumeTypeRow): Promise<void> {
    await this.db('volume_types').insert({ ...row, extra_specs: JSON.stringify(row.extra_specs) });
  }

  async update(id: string, patch: Partial<Pick<VolumeTypeRow, 'name' | 'description' | 'is_public' | 'extra_specs'>>): Promise<VolumeTypeRow | undefined> {
    const values: Record<string, unknown> = { ...patch, updated_at: new Date() };
    if (patch.extra_specs) values.extra_specs = JSON.stringify(patch.extra_specs);
    const [row] = await this.db('volume_types').where({ id }).update(values).returning('*');
    return this.row(row);
  }

  async delete(id: string): Promise<void> {
    await this.db('volume_types').where({ id }).delete();
  }

  async projects(typeId: string): Promise<string[]> {
    const rows = await this.db('volume_type_projects').where({ volume_type_id: typeId }).orderBy('project_id').select('project_id');
    return rows.map((r: { project_id: string }) => r.project_id);
  }

  /** False when the project already had access. */
  async addProject(typeId: string, projectId: string): Promise<boolean> {
    const added = await this.db('volume_type_projects').insert({ volume_type_id: typeId, project_id: projectId })
      .onConflict(['volume_type_id', 'project_id']).ignore().returning('project_id');
    return added.length > 0;
  }

  /** False when the project had no access. */
  async removeProject(typeId: string, projectId: string): Promise<boolean> {
    const gone = await this.db('volume_type_projects').where({ volume_type_id: typeId, project_id: projectId }).delete().returning('project_id');
    return gone.length > 0;
  }

  /** Whether any volume (of any project) has the type. */
  async inUse(name: string): Promise<boolean> {
    return Boolean(await this.db('volumes').where({ volume_type: name }).first('id'));
  }

  /** Volumes keep their type's name: a rename follows in the same transaction. */
  async renameInVolumes(from: string, to: string): Promise<void> {
    await this.db('volumes').where({ volume_type: from }).update({ volume_type: to });
  }

  /** Reset: every type but the seeded default goes, and the default is as seeded again. */
  async removeAllBut(seed: Pick<VolumeTypeRow, 'id' | 'name' | 'description'>, rows: Record<string, number>): Promise<void> {
    await countedDelete(rows, 'volume_type_projects', this.db('volume_type_projects'));
    await countedDelete(rows, 'volume_types', this.db('volume_types').whereNot({ id: seed.id }));
    await this.db('volume_types').where({ id: seed.id })
      .update({ name: seed.name, description: seed.description, is_public: true, extra_specs: '{}', updated_at: new Date() });
  }

  private row(r: unknown): VolumeTypeRow | undefined {
    if (!r) return undefined;
    const raw = r as Record<string, unknown>;
    return { ...raw, extra_specs: parseJson(raw.extra_specs, {}) } as VolumeTypeRow;
  }
}
