/** The metadata definitions catalog's records and inputs (Glance's metadefs), in the module's terms. */

export type MetadefVisibility = 'public' | 'private';

/** A property definition: a JSON schema fragment (type, title, enum, default...), without its name. */
export type PropertyDefinition = Record<string, unknown>;

export interface NamespaceRecord {
  id: number;
  namespace: string;
  displayName: string | null;
  description: string | null;
  visibility: MetadefVisibility;
  protected: boolean;
  owner: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AssociationRecord {
  name: string;
  prefix: string | null;
  propertiesTarget: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ResourceTypeRecord {
  name: string;
  protected: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ObjectRecord {
  id: number;
  name: string;
  description: string | null;
  required: string[] | null;
  properties: Record<string, PropertyDefinition> | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PropertyRecord {
  id: number;
  name: string;
  schema: PropertyDefinition;
  createdAt: Date;
  updatedAt: Date;
}

export interface TagRecord {
  id: number;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A namespace as shown: its row and, on show, what it holds. */
export interface NamespaceDetail {
  namespace: NamespaceRecord;
  associations: AssociationRecord[];
  properties?: Record<string, PropertyDefinition>;
  objects?: ObjectRecord[];
  tags?: TagRecord[];
}

export interface NewNamespace {
  namespace: string;
  displayName?: string | null;
  description?: string | null;
  visibility: MetadefVisibility;
  protected: boolean;
  owner: string | null;
}

export interface NewAssociation {
  name: string;
  prefix?: string | null;
  propertiesTarget?: string | null;
}

export interface NewObject {
  name: string;
  description?: string | null;
  required?: string[] | null;
  properties?: Record<string, PropertyDefinition> | null;
}

/** A namespace create: the namespace's own attributes (owner: the caller's project when absent) and its content. */
export interface NamespaceInput {
  namespace: string;
  displayName?: string;
  description?: string;
  visibility?: MetadefVisibility;
  protected?: boolean;
  owner?: string;
  associations?: NewAssociation[];
  properties?: Record<string, PropertyDefinition>;
  objects?: NewObject[];
  tags?: string[];
}

export interface NamespaceListFilter {
  limit: number;
  marker?: string;
  sortKey: string;
  sortDir: 'asc' | 'desc';
  visibility?: MetadefVisibility;
  resourceTypes?: string[];
}

export interface NamespacePage {
  namespaces: NamespaceDetail[];
  /** The last namespace's name when the page was full (Glance's `next` marker). */
  nextMarker?: string;
}

/** One namespace of the seeded catalog (glance/etc/metadefs). */
export interface MetadefCatalogEntry {
  namespace: Omit<NewNamespace, 'owner'>;
  associations: NewAssociation[];
  properties: Record<string, PropertyDefinition>;
  objects: NewObject[];
  tags: string[];
}

/** Who asks: the project of the token and whether it carries the admin role. */
export interface MetadefCaller {
  projectId: string | null;
  isAdmin: boolean;
}
