import { NotFound } from '../http/faults';
import type { Knex } from 'knex';
import { Keyset, markerValues, orderByKeyset, whereAfter } from '../db/keyset';
import { countedDelete } from '../db/counted-delete';
import { SettingsStore } from '../db/settings-store';
import { DOCKER_IMAGE_PROPERTY, type ImageRecord, type ImageStatus, type ImageVisibility } from './image-api';

export interface ImageRow {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  protected: boolean;
  os_hidden: boolean;
  owner: string | null;
  size: string | number | null;
  virtual_size: string | number | null;
  min_disk: number;
  min_ram: number;
  disk_format: string | null;
  container_format: string | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  properties: Record<string, string> | string;
  created_at: Date;
  updated_at: Date;
}

/** A row with its tags (tagsColumn). */
type TaggedRow = ImageRow & { tags: string[] };

export interface MemberRow {
  image_id: string;
  member_id: string;
  status: string;
  created_at: Date;
  updated_at: Date;
}

/** Which images a project may see: Glance's default-visibility rules, as a query condition. */
export interface VisibilityScope {
  /** null = admin, sees everything */
  projectId: string | null;
  visibility?: string;
  /** 'all' or a member status; applies to images shared with the project */
  memberStatus: string;
}

const num = (v: string | number | null): number | null => (v === null || v === undefined ? null : Number(v));

export function toRecord(row: ImageRow, tags: string[]): ImageRecord {
  return {
    id: row.id,
    name: row.name,
    status: row.status as ImageStatus,
    visibility: row.visibility as ImageVisibility,
    protected: row.protected,
    osHidden: row.os_hidden,
    owner: row.owner,
    size: num(row.size),
    virtualSize: num(row.virtual_size),
    minDisk: row.min_disk,
    minRam: row.min_ram,
    diskFormat: row.disk_format,
    containerFormat: row.container_format,
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    properties: typeof row.properties === 'string' ? JSON.parse(row.properties) : (row.properties ?? {}),
    tags: [...tags].sort(),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The settings key of the seeded images: when they were made (reset keeps what is older and has no owner). */
export const IMAGE_SEEDED = 'image.seeded';

/** Knex queries for the image tables only; snake_case rows stay here. */
export class ImageStore {
  /** The first start's seed mark (IMAGE_SEEDED). */
  readonly settings: SettingsStore;

  constructor(private readonly db: Knex) {
    this.settings = new SettingsStore(db);
  }

  async get(id: string): Promise<ImageRecord | undefined> {
    const row: TaggedRow | undefined = await this.db('images as i').select('i.*', this.tagsColumn()).where('i.id', id).first();
    return row ? toRecord(row, row.tags) : undefined;
  }

  /**
   * An image's tags as an array column of its own row: a list or show is one query, not one for
   * the rows and another for their tags (in the order the tag query always read them).
   */
  private tagsColumn(): Knex.Raw {
    return this.db.raw('array(select t.tag from image_tags as t where t.image_id = i.id) as tags');
  }

  /** Every image's id and the Docker image its properties map it to (null: none). */
  async dockerImages(): Promise<Array<{ id: string; dockerImage: string | null }>> {
    const rows: Array<{ id: string; docker_image: string | null }> = await this.db('images')
      .select('id', this.db.raw('properties->>? as docker_image', [DOCKER_IMAGE_PROPERTY]));
    return rows.map((r) => ({ id: r.id, dockerImage: r.docker_image }));
  }

  /** The image, or Glance's 404 (one deleted meanwhile is not a 500). */
  async require(id: string): Promise<ImageRecord> {
    const image = await this.get(id);
    if (!image) throw new NotFound(`No image found with ID ${id}`);
    return image;
  }

  /**
   * One page of the images the scope may list: filtered, sorted and cut in SQL, after the
   * `marker` image's place in the order (the marker itself need not match the filters).
   */
  async list(scope: VisibilityScope, where: (q: Knex.QueryBuilder) => void, page: { keyset: Keyset; limit: number; marker?: string }): Promise<ImageRecord[]> {
    const q = this.db('images as i').select('i.*', this.tagsColumn());
    this.applyScope(q, scope);
    where(q);
    if (page.marker !== undefined) {
      const values = await markerValues(this.db('images as i'), page.keyset, page.marker);
      if (!values) return [];
      whereAfter(q, page.keyset, values);
    }
    const rows: TaggedRow[] = await orderByKeyset(q, page.keyset).limit(page.limit);
    return rows.map((r) => toRecord(r, r.tags));
  }

  private applyScope(q: Knex.QueryBuilder, scope: VisibilityScope): void {
    const { projectId, visibility, memberStatus } = scope;
    const db = this.db;
    const sharedWithMe = (qb: Knex.QueryBuilder) => {
      qb.where('i.visibility', 'shared').whereExists(function memberOf() {
        const sub = this.select(db.raw('1')).from('image_members as m').whereRaw('m.image_id = i.id').where('m.member_id', projectId!);
        if (memberStatus !== 'all') sub.where('m.status', memberStatus);
      });
    };
    if (projectId === null) {
      if (visibility && visibility !== 'all') q.where('i.visibility', visibility);
      return;
    }
    switch (visibility) {
      case 'public':
        q.where('i.visibility', 'public');
        return;
      case 'community':
        q.where('i.visibility', 'community');
        return;
      case 'private':
        q.where({ 'i.visibility': 'private', 'i.owner': projectId });
        return;
      case 'shared':
        q.where((w) => {
          w.where({ 'i.visibility': 'shared', 'i.owner': projectId }).orWhere(sharedWithMe);
        });
        return;
      case 'all':
        q.where((w) => {
          w.whereIn('i.visibility', ['public', 'community']).orWhere('i.owner', projectId).orWhere(sharedWithMe);
        });
        return;
      default:
        // Glance's default listing: public, own (any visibility), shared with me; community only when owned.
        q.where((w) => {
          w.where('i.visibility', 'public').orWhere('i.owner', projectId).orWhere(sharedWithMe);
        });
    }
  }

  async insert(row: Omit<ImageRow, 'created_at' | 'updated_at'>, tags: string[], trx?: Knex.Transaction): Promise<void> {
    const run = async (t: Knex.Transaction) => {
      await t('images').insert({ ...row, properties: JSON.stringify(row.properties ?? {}) });
      if (tags.length) await t('image_tags').insert([...new Set(tags)].map((tag) => ({ image_id: row.id, tag })));
    };
    if (trx) await run(trx);
    else await this.db.transaction(run);
  }

  async update(id: string, patch: Partial<ImageRow>, tags?: string[]): Promise<void> {
    await this.db.transaction((t) => write(t, id, patch, tags));
  }

  /**
   * Read-modify-write under the image row's lock (SELECT ... FOR UPDATE, so across processes
   * too): two concurrent PATCHes never lose each other's change. The record as written, or
   * undefined when the image is gone.
   */
  async modify(id: string, change: (current: ImageRecord) => { patch: Partial<ImageRow>; tags?: string[] }): Promise<ImageRecord | undefined> {
    return this.db.transaction(async (t) => {
      const row = await t<ImageRow>('images').where({ id }).forUpdate().first();
      if (!row) return undefined;
      const tagRows: { tag: string }[] = await t('image_tags').where({ image_id: id }).select('tag');
      const { patch, tags } = change(toRecord(row, tagRows.map((r) => r.tag)));
      await write(t, id, patch, tags);
      const after = (await t<ImageRow>('images').where({ id }).first())!;
      return toRecord(after, tags ? [...new Set(tags)] : tagRows.map((r) => r.tag));
    });
  }

  /** Compare-and-set on status; false when the image was not in `from`. */
  async transition(id: string, from: string[], patch: Partial<ImageRow>): Promise<boolean> {
    const rows = await this.db('images').where({ id }).whereIn('status', from).update({ ...patch, updated_at: new Date() }).returning('id');
    return rows.length > 0;
  }

  /**
   * Reset: every image but the seed's (no owner, made before the `image.seeded` marker) and
   * those `keepOwner` owns (workspace images), in one transaction; the ids removed and the count.
   */
  async removeAllButSeed(keepOwner: string): Promise<{ ids: string[]; rows: Record<string, number> }> {
    const rows: Record<string, number> = {};
    const ids = await this.db.transaction(async (trx) => {
      const seededAt = await this.settings.get(IMAGE_SEEDED, trx);
      const gone: string[] = await trx('images')
        .whereNot((q) => { if (seededAt) q.whereNull('owner').andWhere('created_at', '<=', seededAt); else q.whereRaw('false'); })
        .andWhere((q) => q.whereNull('owner').orWhereNot('owner', keepOwner))
        .pluck('id');
      await countedDelete(rows, 'images', trx('images').whereIn('id', gone));
      return gone;
    });
    return { ids, rows };
  }

  /**
   * The seed mark: the newest image's creation time, as PostgreSQL's own text (microseconds).
   * A clock reading taken after the inserts is not enough: JavaScript's is in milliseconds, so
   * a seed made within one millisecond would be newer than its own mark. undefined: no image.
   */
  async newestCreatedAt(): Promise<string | undefined> {
    const row = await this.db('images').first(this.db.raw('max(created_at)::text as at'));
    return row?.at ?? undefined;
  }

  /** Counts come from `returning` (PGlite's knex client does not report delete counts). */
  async delete(id: string): Promise<number> {
    return (await this.db('images').where({ id }).delete().returning('id')).length;
  }

  /** Adds a tag (a no-op when the image has it); `check` sees the count after it, under the image's row lock. */
  async addTag(id: string, tag: string, check: (count: number) => void = () => {}): Promise<void> {
    await this.db.transaction(async (t) => {
      await t('images').where({ id }).forUpdate().first('id');
      const tags: { tag: string }[] = await t('image_tags').where({ image_id: id }).select('tag');
      if (tags.some((r) => r.tag === tag)) return;
      check(tags.length + 1);
      await t('image_tags').insert({ image_id: id, tag }).onConflict(['image_id', 'tag']).ignore();
      await t('images').where({ id }).update({ updated_at: new Date() });
    });
  }

  async removeTag(id: string, tag: string): Promise<number> {
    const n = (await this.db('image_tags').where({ image_id: id, tag }).delete().returning('tag')).length;
    if (n) await this.db('images').where({ id }).update({ updated_at: new Date() });
    return n;
  }

  // --- members --------------------------------------------------------------------------

  listMembers(imageId: string): Promise<MemberRow[]> {
    return this.db('image_members').where({ image_id: imageId }).orderBy('created_at');
  }

  getMember(imageId: string, memberId: string): Promise<MemberRow | undefined> {
    return this.db('image_members').where({ image_id: imageId, member_id: memberId }).first();
  }

  /** Adds a pending member; `check` sees the member count after it, under the image's row lock. */
  async insertMember(imageId: string, memberId: string, check: (count: number) => void = () => {}): Promise<MemberRow> {
    return this.db.transaction(async (t) => {
      await t('images').where({ id: imageId }).forUpdate().first('id');
      const [{ n }] = await t('image_members').where({ image_id: imageId }).count<{ n: string | number }[]>({ n: '*' });
      check(Number(n) + 1);
      const [row] = await t('image_members').insert({ image_id: imageId, member_id: memberId, status: 'pending' }).returning('*');
      return row;
    });
  }

  async updateMember(imageId: string, memberId: string, status: string): Promise<MemberRow> {
    const [row] = await this.db('image_members').where({ image_id: imageId, member_id: memberId }).update({ status, updated_at: new Date() }).returning('*');
    return row;
  }

  async deleteMember(imageId: string, memberId: string): Promise<number> {
    return (await this.db('image_members').where({ image_id: imageId, member_id: memberId }).delete().returning('member_id')).length;
  }

}

async function write(t: Knex.Transaction, id: string, patch: Partial<ImageRow>, tags?: string[]): Promise<void> {
  const values: Record<string, unknown> = { ...patch, updated_at: new Date() };
  if (patch.properties !== undefined) values.properties = JSON.stringify(patch.properties);
  await t('images').where({ id }).update(values);
  if (tags) {
    await t('image_tags').where({ image_id: id }).delete();
    if (tags.length) await t('image_tags').insert([...new Set(tags)].map((tag) => ({ image_id: id, tag })));
  }
}
