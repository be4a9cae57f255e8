import { Conflict, NotFound } from '../http/faults';
import { conflictOnDuplicate, MetadefGuard, refuseIfProtected } from './metadef-guard';
import type { MetadefStore } from './metadef-store';
import type { MetadefCaller, NewObject, ObjectRecord, PropertyDefinition, PropertyRecord, TagRecord } from './metadef-types';

export interface TagPage {
  limit?: number;
  marker?: string;
  sortKey: string;
  sortDir: 'asc' | 'desc';
}

/** The first name given twice, if any. */
export function firstDuplicate(names: string[]): string | undefined {
  const seen = new Set<string>();
  return names.find((n) => (seen.has(n) ? true : (seen.add(n), false)));
}

export function duplicateTag(name: string, namespace: string): Conflict {
  return new Conflict(`A metadata tag with name=${name} already exists in namespace=${namespace}. (Please note that metadata tag names are case insensitive).`);
}

/**
 * What a metadef namespace holds: objects, properties and tags (glance/api/v2/metadef_objects.py,
 * metadef_properties.py, metadef_tags.py). Reads need the namespace visible; writes need it
 * visible and metadef_admin, and run under the namespace's row lock.
 */
export class MetadefContentService {
  private readonly guard: MetadefGuard;

  constructor(private readonly store: MetadefStore) {
    this.guard = new MetadefGuard(store);
  }

  // --- objects ----------------------------------------------------------------------------

  async listObjects(caller: MetadefCaller, namespace: string): Promise<ObjectRecord[]> {
    return this.store.listObjects((await this.guard.readable(caller, namespace)).id);
  }

  async getObject(caller: MetadefCaller, namespace: string, name: string): Promise<ObjectRecord> {
    const ns = await this.guard.readable(caller, namespace);
    return (await this.store.getObject(ns.id, name)) ?? missingObject(name, namespace);
  }

  async createObject(caller: MetadefCaller, namespace: string, o: NewObject): Promise<ObjectRecord> {
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'add_metadef_object');
      return this.store.insertObject(trx, ns.id, o);
    }), () => `A metadata definition object with name=${o.name} already exists in namespace=${namespace}.`);
  }

  async updateObject(caller: MetadefCaller, namespace: string, name: string, o: NewObject): Promise<ObjectRecord> {
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'modify_metadef_object');
      const current = (await this.store.getObject(ns.id, name, trx)) ?? missingObject(name, namespace);
      return this.store.updateObject(trx, current.id, o);
    }), () => `Invalid update. It would result in a duplicate metadata definition object with the same name=${o.name} in namespace=${namespace}.`);
  }

  async deleteObject(caller: MetadefCaller, namespace: string, name: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'delete_metadef_object');
      const current = (await this.store.getObject(ns.id, name, trx)) ?? missingObject(name, namespace);
      refuseIfProtected(ns, `object ${name}`);
      await this.store.deleteObject(trx, current.id);
    });
  }

  // --- properties -------------------------------------------------------------------------

  async listProperties(caller: MetadefCaller, namespace: string): Promise<PropertyRecord[]> {
    return this.store.listProperties((await this.guard.readable(caller, namespace)).id);
  }

  /** With `resourceType`, `name` carries that association's prefix, taken off before the look-up. */
  async getProperty(caller: MetadefCaller, namespace: string, name: string, resourceType?: string): Promise<PropertyRecord> {
    const ns = await this.guard.readable(caller, namespace);
    let bare = name;
    if (resourceType) {
      const association = ((await this.store.associationsOf([ns.id])).get(ns.id) ?? []).find((a) => a.name === resourceType);
      if (!association) {
        throw new NotFound(`The metadata definition resource-type association of resource-type=${resourceType} to namespace=${namespace}, was not found.`);
      }
      const prefix = association.prefix;
      if (!prefix || !name.startsWith(prefix)) {
        throw new NotFound(`Property ${name} does not start with the expected resource type association prefix of '${prefix ?? 'None'}'.`);
      }
      bare = name.slice(prefix.length);
    }
    return (await this.store.getProperty(ns.id, bare)) ?? missingProperty(bare, namespace);
  }

  async createProperty(caller: MetadefCaller, namespace: string, name: string, schema: PropertyDefinition): Promise<PropertyRecord> {
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'add_metadef_property');
      return this.store.insertProperty(trx, ns.id, name, schema);
    }), () => `A metadata definition property with name=${name} already exists in namespace=${namespace}.`);
  }

  async updateProperty(caller: MetadefCaller, namespace: string, name: string, newName: string, schema: PropertyDefinition): Promise<PropertyRecord> {
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'modify_metadef_property');
      const current = (await this.store.getProperty(ns.id, name, trx)) ?? missingProperty(name, namespace);
      return this.store.updateProperty(trx, current.id, newName, schema);
    }), () => `Invalid update. It would result in a duplicate metadata definition property with the same name=${newName} in namespace=${namespace}.`);
  }

  async deleteProperty(caller: MetadefCaller, namespace: string, name: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'remove_metadef_property');
      const current = (await this.store.getProperty(ns.id, name, trx)) ?? missingProperty(name, namespace);
      refuseIfProtected(ns, `property ${name}`);
      await this.store.deleteProperty(trx, current.id);
    });
  }

  // --- tags -------------------------------------------------------------------------------

  async listTags(caller: MetadefCaller, namespace: string, page: TagPage): Promise<TagRecord[]> {
    const ns = await this.guard.readable(caller, namespace);
    let markerId: number | undefined;
    if (page.marker !== undefined) markerId = ((await this.store.getTag(ns.id, page.marker)) ?? missingTag(page.marker, namespace)).id;
    return this.store.listTags(ns.id, { sortKey: page.sortKey, sortDir: page.sortDir, limit: page.limit, markerId });
  }

  async getTag(caller: MetadefCaller, namespace: string, name: string): Promise<TagRecord> {
    const ns = await this.guard.readable(caller, namespace);
    return (await this.store.getTag(ns.id, name)) ?? missingTag(name, namespace);
  }

  async createTag(caller: MetadefCaller, namespace: string, name: string): Promise<TagRecord> {
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'add_metadef_tag');
      return (await this.store.insertTags(trx, ns.id, [name]))[0];
    }), () => duplicateTag(name, namespace).message);
  }

  /**
   * Glance's create_tags: the list replaces the namespace's tags, or is added to them when
   * `append`; an empty list changes nothing.
   */
  async createTags(caller: MetadefCaller, namespace: string, names: string[], append: boolean): Promise<TagRecord[]> {
    const twice = firstDuplicate(names);
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'add_metadef_tags');
      if (twice !== undefined) throw duplicateTag(twice, namespace);
      if (!append && names.length) await this.store.deleteContent(trx, ns.id, 'tags');
      if (append) {
        const existing = new Set((await this.store.listTags(ns.id, undefined, trx)).map((t) => t.name));
        const taken = names.find((n) => existing.has(n));
        if (taken !== undefined) throw duplicateTag(taken, namespace);
      }
      return this.store.insertTags(trx, ns.id, names);
    }), () => duplicateTag(names.join(', '), namespace).message);
  }

  async updateTag(caller: MetadefCaller, namespace: string, name: string, newName: string): Promise<TagRecord> {
    return conflictOnDuplicate(this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'modify_metadef_tag');
      const current = (await this.store.getTag(ns.id, name, trx)) ?? missingTag(name, namespace);
      return this.store.renameTag(trx, current.id, newName);
    }), () => duplicateTag(newName, namespace).message);
  }

  async deleteTag(caller: MetadefCaller, namespace: string, name: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'delete_metadef_tag');
      const current = (await this.store.getTag(ns.id, name, trx)) ?? missingTag(name, namespace);
      refuseIfProtected(ns, `tag ${name}`);
      await this.store.deleteTag(trx, current.id);
    });
  }

  /**
   * DELETE on a namespace's objects, properties or tags: Glance checks delete_metadef_namespace
   * (and delete_metadef_tags for tags) and refuses a protected namespace as a namespace delete.
   */
  async deleteAll(caller: MetadefCaller, namespace: string, what: 'objects' | 'properties' | 'tags'): Promise<void> {
    await this.store.transaction(async (trx) => {
      const ns = await this.guard.writable(trx, caller, namespace, 'delete_metadef_namespace');
      if (what === 'tags') MetadefGuard.requireAdmin(caller, 'delete_metadef_tags');
      refuseIfProtected(ns, `namespace ${namespace}`);
      await this.store.deleteContent(trx, ns.id, what);
    });
  }
}

function missingObject(name: string, namespace: string): never {
  throw new NotFound(`The metadata definition object with name=${name} was not found in namespace=${namespace}.`);
}

function missingProperty(name: string, namespace: string): never {
  throw new NotFound(`The metadata definition property with name=${name} was not found in namespace=${namespace}.`);
}

function missingTag(name: string, namespace: string): never {
  throw new NotFound(`The metadata definition tag with name=${name} was not found in namespace=${namespace}.`);
}
