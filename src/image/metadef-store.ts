import type { Knex } from 'knex';
import { Keyset, markerValues, orderByKeyset, whereAfter, withIdTieBreaker } from '../db/keyset';
import { SettingsStore } from '../db/settings-store';
import type {
  AssociationRecord, MetadefCatalogEntry, NamespaceRecord, NewAssociation, NewObject, NewNamespace, ObjectRecord, PropertyDefinition,
  PropertyRecord, ResourceTypeRecord, TagRecord,
} from './metadef-types';

interface NamespaceRow {
  id: number;
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: boolean;
  owner: string | null;
  created_at: Date;
  updated_at: Date;
}

interface Stamped { created_at: Date; updated_at: Date }

/** Which namespaces a caller may list: null = admin (every one), else public plus its project's. */
export interface NamespaceScope { projectId: string | null; admin: boolean }

export interface NamespaceListQuery {
  visibility?: 'public' | 'private';
  resourceTypes?: string[];
  sortKey: string;
  sortDir: 'asc' | 'desc';
  limit: number;
  /** The id of the namespace the page starts after. */
  markerId?: number;
}

/** The settings keys of the catalog: seeded (at first start), changed since (by any write). */
export const METADEF_SEEDED = 'metadef.seeded';
export const METADEF_CHANGED = 'metadef.changed';

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const parsed = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) as T : v as T);

function toNamespace(r: NamespaceRow): NamespaceRecord {
  return {
    id: r.id, namespace: r.namespace, displayName: r.display_name, description: r.description,
    visibility: r.visibility === 'public' ? 'public' : 'private', protected: r.protected, owner: r.owner,
    createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
  };
}

const stamps = (r: Stamped) => ({ createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) });

function toObject(r: Stamped & { id: number; name: string; description: string | null; required: unknown; properties: unknown }): ObjectRecord {
  return {
    id: r.id, name: r.name, description: r.description, required: parsed<string[] | null>(r.required),
    properties: parsed<Record<string, PropertyDefinition> | null>(r.properties), ...stamps(r),
  };
}

type PropertyRow = Stamped & { id: number; name: string; json_schema: unknown };
type TagRow = Stamped & { id: number; name: string };

const toProperty = (r: PropertyRow): PropertyRecord => ({ id: r.id, name: r.name, schema: parsed<PropertyDefinition>(r.json_schema), ...stamps(r) });
const toTag = (r: TagRow): TagRecord => ({ id: r.id, name: r.name, ...stamps(r) });

/** Knex queries for the metadef tables only; snake_case rows stay here. */
export class MetadefStore {
  /** The catalog's seeded and changed marks. */
  readonly settings: SettingsStore;

  constructor(private readonly db: Knex) {
    this.settings = new SettingsStore(db);
  }

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  private q(trx?: Knex.Transaction): Knex {
    return trx ?? this.db;
  }

  // --- namespaces -------------------------------------------------------------------------

  async getNamespace(name: string, trx?: Knex.Transaction): Promise<NamespaceRecord | undefined> {
    const row: NamespaceRow | undefined = await this.q(trx)('metadef_namespaces').where({ namespace: name }).first();
    return row ? toNamespace(row) : undefined;
  }

  /** The namespace's row, locked until the transaction ends (writes inside it serialize). */
  async lockNamespace(trx: Knex.Transaction, name: string): Promise<NamespaceRecord | undefined> {
    const row: NamespaceRow | undefined = await trx('metadef_namespaces').where({ namespace: name }).forUpdate().first();
    return row ? toNamespace(row) : undefined;
  }

  async listNamespaces(scope: NamespaceScope, query: NamespaceListQuery): Promise<NamespaceRecord[]> {
    const keyset: Keyset = {
      // Glance's order: the sort key, then created_at, then id, all in the one direction.
      keys: withIdTieBreaker([
        { column: query.sortKey, dir: query.sortDir, nullable: ['display_name', 'owner'].includes(query.sortKey) },
        ...(query.sortKey === 'created_at' ? [] : [{ column: 'created_at', dir: query.sortDir }]),
      ]),
      nulls: 'low',
      alias: 'n',
    };
    const scoped = (q: Knex.QueryBuilder) => {
      if (!scope.admin) q.where((w) => { w.where('n.visibility', 'public'); if (scope.projectId) w.orWhere('n.owner', scope.projectId); });
      if (query.visibility) q.where('n.visibility', query.visibility);
      if (query.resourceTypes?.length) {
        const db = this.db;
        const types = query.resourceTypes;
        q.whereExists(function associated() {
          this.select(db.raw('1')).from('metadef_namespace_resource_types as a').join('metadef_resource_types as t', 't.id', 'a.resource_type_id')
            .whereRaw('a.namespace_id = n.id').whereIn('t.name', types);
        });
      }
    };
    const q = this.db('metadef_namespaces as n').select('n.*');
    scoped(q);
    if (query.markerId !== undefined) {
      const values = await markerValues(this.db('metadef_namespaces as n'), keyset, String(query.markerId));
      if (!values) return [];
      whereAfter(q, keyset, values);
    }
    const rows: NamespaceRow[] = await orderByKeyset(q, keyset).limit(query.limit);
    return rows.map(toNamespace);
  }

  async insertNamespace(trx: Knex.Transaction, ns: NewNamespace): Promise<NamespaceRecord> {
    const [row] = await trx('metadef_namespaces').insert({
      namespace: ns.namespace, display_name: ns.displayName ?? null, description: ns.description ?? null,
      visibility: ns.visibility, protected: ns.protected, owner: ns.owner,
    }).returning('*');
    return toNamespace(row);
  }

  async updateNamespace(trx: Knex.Transaction, id: number, ns: NewNamespace): Promise<NamespaceRecord> {
    const [row] = await trx('metadef_namespaces').where({ id }).update({
      namespace: ns.namespace, display_name: ns.displayName ?? null, description: ns.description ?? null,
      visibility: ns.visibility, protected: ns.protected, owner: ns.owner, updated_at: new Date(),
    }).returning('*');
    return toNamespace(row);
  }

  /** Deletes the namespace and (cascade) everything in it. */
  async deleteNamespace(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('metadef_namespaces').where({ id }).delete();
  }

  /** The namespaces' associations, in one query (lists show them on every namespace). */
  async associationsOf(namespaceIds: number[], trx?: Knex.Transaction): Promise<Map<number, AssociationRecord[]>> {
    const out = new Map<number, AssociationRecord[]>();
    if (!namespaceIds.length) return out;
    const rows: Array<Stamped & { namespace_id: number; name: string; prefix: string | null; properties_target: string | null }> = await this.q(trx)('metadef_namespace_resource_types as a')
      .join('metadef_resource_types as t', 't.id', 'a.resource_type_id')
      .whereIn('a.namespace_id', namespaceIds)
      .select('a.namespace_id', 't.name', 'a.prefix', 'a.properties_target', 'a.created_at', 'a.updated_at')
      .orderBy([{ column: 'a.created_at' }, { column: 't.id' }]);
    for (const r of rows) {
      const list = out.get(r.namespace_id) ?? [];
      list.push({ name: r.name, prefix: r.prefix, propertiesTarget: r.properties_target, ...stamps(r) });
      out.set(r.namespace_id, list);
    }
    return out;
  }

  // --- resource types and associations ----------------------------------------------------

  async listResourceTypes(): Promise<ResourceTypeRecord[]> {
    const rows: Array<Stamped & { name: string; protected: boolean }> = await this.db('metadef_resource_types').orderBy('id');
    return rows.map((r) => ({ name: r.name, protected: r.protected, ...stamps(r) }));
  }

  /** Associates the resource type (made, unprotected, when unknown), or undefined when already associated. */
  async associate(trx: Knex.Transaction, namespaceId: number, a: NewAssociation): Promise<AssociationRecord | undefined> {
    await trx('metadef_resource_types').insert({ name: a.name, protected: false }).onConflict('name').ignore();
    const type = await trx('metadef_resource_types').where({ name: a.name }).first('id');
    const [row] = await trx('metadef_namespace_resource_types')
      .insert({ namespace_id: namespaceId, resource_type_id: type.id, prefix: a.prefix ?? null, properties_target: a.propertiesTarget ?? null })
      .onConflict(['namespace_id', 'resource_type_id']).ignore()
      .returning('*');
    return row ? { name: a.name, prefix: row.prefix, propertiesTarget: row.properties_target, ...stamps(row) } : undefined;
  }

  async dissociate(trx: Knex.Transaction, namespaceId: number, resourceType: string): Promise<number> {
    const type = trx('metadef_resource_types').where({ name: resourceType }).select('id');
    return (await trx('metadef_namespace_resource_types').where({ namespace_id: namespaceId }).whereIn('resource_type_id', type).delete().returning('namespace_id')).length;
  }

  // --- objects ----------------------------------------------------------------------------

  async listObjects(namespaceId: number, trx?: Knex.Transaction): Promise<ObjectRecord[]> {
    return (await this.q(trx)('metadef_objects').where({ namespace_id: namespaceId }).orderBy([{ column: 'created_at' }, { column: 'id' }])).map(toObject);
  }

  async getObject(namespaceId: number, name: string, trx?: Knex.Transaction): Promise<ObjectRecord | undefined> {
    const row = await this.q(trx)('metadef_objects').where({ namespace_id: namespaceId, name }).first();
    return row ? toObject(row) : undefined;
  }

  async insertObject(trx: Knex.Transaction, namespaceId: number, o: NewObject): Promise<ObjectRecord> {
    const [row] = await trx('metadef_objects').insert({
      namespace_id: namespaceId, name: o.name, description: o.description ?? null, required: json(o.required), properties: json(o.properties),
    }).returning('*');
    return toObject(row);
  }

  async updateObject(trx: Knex.Transaction, id: number, o: NewObject): Promise<ObjectRecord> {
    const [row] = await trx('metadef_objects').where({ id }).update({
      name: o.name, description: o.description ?? null, required: json(o.required), properties: json(o.properties), updated_at: new Date(),
    }).returning('*');
    return toObject(row);
  }

  async deleteObject(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('metadef_objects').where({ id }).delete();
  }

  // --- properties -------------------------------------------------------------------------

  async listProperties(namespaceId: number, trx?: Knex.Transaction): Promise<PropertyRecord[]> {
    const rows: PropertyRow[] = await this.q(trx)('metadef_properties')
      .where({ namespace_id: namespaceId }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
    return rows.map(toProperty);
  }

  async getProperty(namespaceId: number, name: string, trx?: Knex.Transaction): Promise<PropertyRecord | undefined> {
    const r = await this.q(trx)('metadef_properties').where({ namespace_id: namespaceId, name }).first();
    return r ? toProperty(r) : undefined;
  }

  async insertProperty(trx: Knex.Transaction, namespaceId: number, name: string, schema: PropertyDefinition): Promise<PropertyRecord> {
    const [r] = await trx('metadef_properties').insert({ namespace_id: namespaceId, name, json_schema: JSON.stringify(schema) }).returning('*');
    return toProperty(r);
  }

  async updateProperty(trx: Knex.Transaction, id: number, name: string, schema: PropertyDefinition): Promise<PropertyRecord> {
    const [r] = await trx('metadef_properties').where({ id }).update({ name, json_schema: JSON.stringify(schema), updated_at: new Date() }).returning('*');
    return toProperty(r);
  }

  async deleteProperty(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('metadef_properties').where({ id }).delete();
  }

  // --- tags -------------------------------------------------------------------------------

  /** Newest first unless asked otherwise (Glance's default for tags). */
  async listTags(namespaceId: number, page?: { sortKey: string; sortDir: 'asc' | 'desc'; limit?: number; markerId?: number }, trx?: Knex.Transaction): Promise<TagRecord[]> {
    const keyset: Keyset = { keys: withIdTieBreaker([{ column: page?.sortKey ?? 'created_at', dir: page?.sortDir ?? 'desc' }]), nulls: 'low' };
    const q = this.q(trx)('metadef_tags').where({ namespace_id: namespaceId });
    if (page?.markerId !== undefined) {
      const values = await markerValues(this.q(trx)('metadef_tags'), keyset, String(page.markerId));
      if (!values) return [];
      whereAfter(q, keyset, values);
    }
    orderByKeyset(q, keyset);
    if (page?.limit !== undefined) q.limit(page.limit);
    const rows: TagRow[] = await q;
    return rows.map(toTag);
  }

  async getTag(namespaceId: number, name: string, trx?: Knex.Transaction): Promise<TagRecord | undefined> {
    const r = await this.q(trx)('metadef_tags').where({ namespace_id: namespaceId, name }).first();
    return r ? toTag(r) : undefined;
  }

  async insertTags(trx: Knex.Transaction, namespaceId: number, names: string[]): Promise<TagRecord[]> {
    if (!names.length) return [];
    const rows: TagRow[] = await trx('metadef_tags').insert(names.map((name) => ({ namespace_id: namespaceId, name }))).returning('*');
    return rows.map(toTag);
  }

  async renameTag(trx: Knex.Transaction, id: number, name: string): Promise<TagRecord> {
    const [r] = await trx('metadef_tags').where({ id }).update({ name, updated_at: new Date() }).returning('*');
    return toTag(r);
  }

  async deleteTag(trx: Knex.Transaction, id: number): Promise<void> {
    await trx('metadef_tags').where({ id }).delete();
  }

  /** Deletes every row of one content table of the namespace. */
  async deleteContent(trx: Knex.Transaction, namespaceId: number, what: 'objects' | 'properties' | 'tags'): Promise<void> {
    await trx(`metadef_${what}`).where({ namespace_id: namespaceId }).delete();
  }

  // --- the seeded catalog -----------------------------------------------------------------

  /** Notes that the catalog differs from the seed (the instance reset restores it only then). */
  async markChanged(trx: Knex.Transaction): Promise<void> {
    await this.settings.set(METADEF_CHANGED, new Date().toISOString(), trx);
  }

  /**
   * Marks the catalog seeded in the seeding transaction: the mark is that transaction's own
   * time, as PostgreSQL's text (microseconds), which is the seeded rows' creation time. (A
   * JavaScript clock reading keeps milliseconds: rows seeded within its millisecond were newer
   * than it, and a reset counted them as made since.)
   */
  async markSeeded(trx: Knex.Transaction): Promise<void> {
    const { at } = await trx.select(trx.raw('now()::text as at')).first();
    await this.settings.set(METADEF_SEEDED, at, trx);
  }

  /**
   * Everything of the catalog, gone (reset), with its seeded and changed marks: namespaces with
   * their content, and resource types. Answers how many namespaces were made since the seed.
   */
  async clearCatalog(trx: Knex.Transaction): Promise<number> {
    const seededAt = await this.settings.get(METADEF_SEEDED, trx);
    const made = await trx('metadef_namespaces').where('created_at', '>', seededAt ?? new Date(0).toISOString()).count<{ n: string }[]>({ n: '*' });
    await trx('metadef_namespaces').delete();
    await trx('metadef_resource_types').delete();
    await trx('settings').whereIn('key', [METADEF_SEEDED, METADEF_CHANGED]).delete();
    return Number(made[0]?.n ?? 0);
  }

  async insertResourceTypes(trx: Knex.Transaction, names: string[]): Promise<void> {
    if (names.length) await trx('metadef_resource_types').insert(names.map((name) => ({ name, protected: true }))).onConflict('name').ignore();
  }

  /** Which of these namespace names exist. */
  async existingNamespaces(trx: Knex.Transaction, names: string[]): Promise<Set<string>> {
    return new Set(await trx('metadef_namespaces').whereIn('namespace', names).pluck('namespace'));
  }

  /** The catalog's namespaces with their content, owned by `owner`, in one insert per table. */
  async insertCatalog(trx: Knex.Transaction, entries: MetadefCatalogEntry[], owner: string): Promise<void> {
    if (!entries.length) return;
    const made: Array<{ id: number; namespace: string }> = await trx('metadef_namespaces').insert(entries.map((e) => ({
      namespace: e.namespace.namespace, display_name: e.namespace.displayName ?? null, description: e.namespace.description ?? null,
      visibility: e.namespace.visibility, protected: e.namespace.protected, owner,
    }))).returning(['id', 'namespace']);
    const ids = new Map(made.map((r) => [r.namespace, r.id]));
    const types = new Map<string, number>((await trx('metadef_resource_types').select('id', 'name')).map((r: { id: number; name: string }) => [r.name, r.id]));
    const idOf = (e: MetadefCatalogEntry): number => {
      const id = ids.get(e.namespace.namespace);
      if (id === undefined) throw new Error(`metadef catalog: ${e.namespace.namespace} was not inserted`);
      return id;
    };
    const rows = <T>(f: (e: MetadefCatalogEntry, nsId: number) => T[]) => entries.flatMap((e) => f(e, idOf(e)));
    const insert = async (table: string, list: object[]) => { if (list.length) await trx(table).insert(list); };
    await insert('metadef_namespace_resource_types', rows((e, nsId) => e.associations.map((a) => ({
      namespace_id: nsId, resource_type_id: types.get(a.name), prefix: a.prefix ?? null, properties_target: a.propertiesTarget ?? null,
    }))));
    await insert('metadef_properties', rows((e, nsId) => Object.entries(e.properties).map(([name, schema]) => ({ namespace_id: nsId, name, json_schema: JSON.stringify(schema) }))));
    await insert('metadef_objects', rows((e, nsId) => e.objects.map((o) => ({
      namespace_id: nsId, name: o.name, description: o.description ?? null, required: json(o.required), properties: json(o.properties),
    }))));
    await insert('metadef_tags', rows((e, nsId) => e.tags.map((name) => ({ namespace_id: nsId, name }))));
  }
}
