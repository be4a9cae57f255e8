import type { Knex } from 'knex';
import { Conflict, Forbidden, NotFound } from '../http/faults';
import { isUniqueViolation } from '../db/pg-errors';
import { MetadefStore } from './metadef-store';
import type { MetadefCaller, NamespaceRecord } from './metadef-types';

/**
 * Glance's metadef policy (glance/policies/metadef.py, defaults): a namespace is visible to
 * admins, and to a project's readers when it is public or the project's own; writes are
 * metadef_admin. A namespace the caller cannot see is a 404 whatever is asked of it, so a
 * non-admin learns nothing of other projects' private namespaces; a visible one answers 403.
 */
export class MetadefGuard {
  constructor(private readonly store: MetadefStore) {}

  static visible(caller: MetadefCaller, ns: NamespaceRecord): boolean {
    return caller.isAdmin || ns.owner === null || ns.visibility === 'public' || (caller.projectId !== null && ns.owner === caller.projectId);
  }

  static notFound(name: string): NotFound {
    return new NotFound(`Metadata definition namespace=${name} was not found.`);
  }

  /** Glance's policy denial (exception.Forbidden with the rule's name). */
  static requireAdmin(caller: MetadefCaller, rule: string): void {
    if (!caller.isAdmin) throw new Forbidden(`You are not authorized to complete ${rule} action.`);
  }

  /** The namespace when the caller may see it, else Glance's 404. */
  async readable(caller: MetadefCaller, name: string, trx?: Knex.Transaction): Promise<NamespaceRecord> {
    const ns = await this.store.getNamespace(name, trx);
    if (!ns || !MetadefGuard.visible(caller, ns)) throw MetadefGuard.notFound(name);
    return ns;
  }

  /**
   * The namespace, locked for the transaction, when the caller may see it (404) and holds the
   * admin rule `rule` (403); the catalog is then marked changed, with the write.
   */
  async writable(trx: Knex.Transaction, caller: MetadefCaller, name: string, rule: string): Promise<NamespaceRecord> {
    const ns = await this.store.lockNamespace(trx, name);
    if (!ns || !MetadefGuard.visible(caller, ns)) throw MetadefGuard.notFound(name);
    MetadefGuard.requireAdmin(caller, rule);
    await this.store.markChanged(trx);
    return ns;
  }
}

/** `work`, with a unique-name violation answered as Glance's 409 `message`. */
export async function conflictOnDuplicate<T>(work: Promise<T>, message: () => string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(message());
    throw err;
  }
}

/** Glance's 403 for a delete inside (or of) a protected namespace. */
export function refuseIfProtected(ns: NamespaceRecord, what: string): void {
  if (ns.protected) throw new Forbidden(`Metadata definition ${what} is protected and cannot be deleted.`);
}
