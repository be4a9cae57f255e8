import { Conflict, NotFound } from '../http/faults';
import type { Logger } from '../logger';
import { duplicateTag, firstDuplicate } from './metadef-content-service';
import { conflictOnDuplicate, MetadefGuard, refuseIfProtected } from './metadef-guard';
import { METADEF_CHANGED, METADEF_SEEDED, type MetadefStore } from './metadef-store';
import type {
  AssociationRecord, MetadefCaller, MetadefCatalogEntry, NamespaceDetail, NamespaceInput, NamespaceListFilter, NamespacePage, NewAssociation,
  NewNamespace, ObjectRecord, PropertyDefinition, ResourceTypeRecord,
} from './metadef-types';

/** Who owns the seeded catalog: glance-manage db_load_metadefs writes 'admin'. */
const CATALOG_OWNER = 'admin';

/**
 * Metadef namespaces and their resource type associations (glance/api/v2/metadef_namespaces.py,
 * metadef_resource_types.py): visibility and admin rules through MetadefGuard, a namespace and
 * what comes with it made in one transaction.
 */
export class MetadefNamespaceService {
  private readonly guard: MetadefGuard;

  constructor(private readonly store: MetadefStore, private readonly log: Logger) {
    this.guard = new MetadefGuard(store);
  }

  async list(caller: MetadefCaller, filter: NamespaceListFilter): Promise<NamespacePage> {
    let markerId: number | undefined;
    if (filter.marker !== undefined) markerId = (await this.guard.readable(caller, filter.marker)).id;
    const rows = await this.store.listNamespaces({ projectId: caller.projectId, admin: caller.isAdmin }, {
      visibility: filter.visibility, resourceTypes: filter.resourceTypes, sortKey: filter.sortKey, sortDir: filter.sortDir, limit: filter.limit, markerId,
    });
    const associations = await this.store.associationsOf(rows.map((r) => r.id));
    return {
      namespaces: rows.map((namespace) => ({ namespace, associations: associations.get(namespace.id) ?? [] })),
      nextMarker: rows.length > 0 && rows.length === filter.limit ? rows[rows.length - 1].namespace : undefined,
    };
  }

  /** The namespace with everything in it; with `resourceType`, names carry that association's prefix. */
  async show(caller: MetadefCaller, name: string, resourceType?: string): Promise<NamespaceDetail> {
    const ns = await this.guard.readable(caller, name);
    const [associations, props, objects, tags] = await Promise.all([
      this.store.associationsOf([ns.id]), this.store.listProperties(ns.id), this.store.listObjects(ns.id), this.store.listTags(ns.id),
    ]);
    const detail: NamespaceDetail = {
      namespace: ns,
      associations: associations.get(ns.id) ?? [],
      properties: Object.fromEntries(props.map((p) => [p.name, p.schema])),
      objects,
      tags,
    };
    const prefix = resourceType ? detail.associations.find((a) => a.name === resourceType)?.prefix : undefined;
    return prefix ? withPrefix(detail, prefix) : detail;
  }

  async create(caller: MetadefCaller, input: NamespaceInput): Promise<NamespaceDetail> {
    MetadefGuard.requireAdmin(caller, 'add_metadef_namespace');
    const name = input.namespace;
    const twice = firstDuplicate(input.tags ?? []);
    if (twice !== undefined) throw duplicateTag(twice, name);
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      await this.store.markChanged(trx);
      const namespace = await this.store.insertNamespace(trx, {
        namespace: name, displayName: input.displayName, description: input.description, visibility: input.visibility ?? 'private',
        protected: input.protected ?? false, owner: input.owner ?? caller.projectId,
      });
      const associations: AssociationRecord[] = [];
      for (const a of input.associations ?? []) {
        const made = await this.store.associate(trx, namespace.id, a);
        if (!made) throw duplicateAssociation(a.name, name);
        associations.push(made);
      }
      const properties: Record<string, PropertyDefinition> = {};
      for (const [propName, schema] of Object.entries(input.properties ?? {})) {
        properties[propName] = (await this.store.insertProperty(trx, namespace.id, propName, schema)).schema;
      }
      const objects: ObjectRecord[] = [];
      for (const o of input.objects ?? []) {
        objects.push(await conflictOnDuplicate(this.store.insertObject(trx, namespace.id, o), () => `A metadata definition object with name=${o.name} already exists in namespace=${name}.`));
      }
      const tags = await this.store.insertTags(trx, namespace.id, input.tags ?? []);
      return { namespace, associations, properties, objects, tags };
    }), () => `The metadata definition namespace=${name} already exists.`);
  }

  /** Glance's update: the attributes left out go back to their defaults (owner: the caller's project). */
  async update(caller: MetadefCaller, name: string, input: NamespaceInput): Promise<NamespaceDetail> {
    const changed: NewNamespace = {
      namespace: input.namespace, displayName: input.displayName ?? null, description: input.description ?? null,
      visibility: input.visibility ?? 'private', protected: input.protected ?? false, owner: input.owner ?? caller.projectId,
    };
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, name, 'modify_metadef_namespace');
      const namespace = await this.store.updateNamespace(trx, ns.id, changed);
      return { namespace, associations: [] };
    }), () => `Invalid update. It would result in a duplicate metadata definition namespace with the same name of ${input.namespace}`);
  }

  async delete(caller: MetadefCaller, name: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, name, 'delete_metadef_namespace');
      refuseIfProtected(ns, `namespace ${name}`);
      await this.store.deleteNamespace(trx, ns.id);
    });
  }

  // --- resource types ---------------------------------------------------------------------

  listResourceTypes(): Promise<ResourceTypeRecord[]> {
    return this.store.listResourceTypes();
  }

  async listAssociations(caller: MetadefCaller, name: string): Promise<AssociationRecord[]> {
    const ns = await this.guard.readable(caller, name);
    return (await this.store.associationsOf([ns.id])).get(ns.id) ?? [];
  }

  async associate(caller: MetadefCaller, name: string, a: NewAssociation): Promise<AssociationRecord> {
    return this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, name, 'add_metadef_resource_type_association');
      const made = await this.store.associate(trx, ns.id, a);
      if (!made) throw duplicateAssociation(a.name, name);
      return made;
    });
  }

  async dissociate(caller: MetadefCaller, name: string, resourceType: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, name, 'remove_metadef_resource_type_association');
      const associated = ((await this.store.associationsOf([ns.id], trx)).get(ns.id) ?? []).some((a) => a.name === resourceType);
      if (!associated) throw new NotFound(`Failed to find resource type ${resourceType} to delete`);
      refuseIfProtected(ns, `resource-type-association ${resourceType}`);
      await this.store.dissociate(trx, ns.id, resourceType);
    });
  }

  // --- the seeded catalog -----------------------------------------------------------------

  /** First start (and after a reset): Glance's standard catalog, public, owned by 'admin'. */
  /**
   * Reset's part of the catalog: untouched since the seed (no write marked it changed), it stays
   * (one read); otherwise it is cleared and seeded again. Answers the namespaces made since the seed.
   */
  async resetToSeed(catalog: { resourceTypes: string[]; namespaces: MetadefCatalogEntry[] }): Promise<number> {
    if (!(await this.store.settings.get(METADEF_CHANGED))) return 0;
    const made = await this.store.transaction((trx) => this.store.clearCatalog(trx));
    await this.seed(catalog);
    return made;
  }

  async seed(catalog: { resourceTypes: string[]; namespaces: MetadefCatalogEntry[] }): Promise<void> {
    if (await this.store.settings.get(METADEF_SEEDED)) return; // every start but the first: one read
    const seeded = await this.store.transaction(async (trx) => {
      if (await this.store.settings.get(METADEF_SEEDED, trx)) return false;
      await this.store.insertResourceTypes(trx, catalog.resourceTypes);
      // A namespace an admin made meanwhile under a catalog name keeps its place.
      const existing = await this.store.existingNamespaces(trx, catalog.namespaces.map((e) => e.namespace.namespace));
      await this.store.insertCatalog(trx, catalog.namespaces.filter((e) => !existing.has(e.namespace.namespace)), CATALOG_OWNER);
      await this.store.markSeeded(trx);
      return true;
    });
    if (seeded) this.log.info({ namespaces: catalog.namespaces.map((e) => e.namespace.namespace) }, 'seeded the metadefs catalog');
  }
}

function duplicateAssociation(resourceType: string, namespace: string): Conflict {
  return new Conflict(`The metadata definition resource-type association of resource-type=${resourceType} to namespace=${namespace} already exists.`);
}

/** Glance's `_prefix_property_name`: the namespace's and its objects' property names, prefixed. */
function withPrefix(d: NamespaceDetail, prefix: string): NamespaceDetail {
  const prefixed = (props: Record<string, PropertyDefinition>) => Object.fromEntries(Object.entries(props).map(([k, v]) => [prefix + k, v]));
  return {
    ...d,
    properties: d.properties && prefixed(d.properties),
    objects: d.objects?.map((o) => ({
      ...o,
      properties: o.properties && prefixed(o.properties),
      required: o.required?.length ? o.required.map((r) => prefix + r) : o.required,
    })),
  };
}
