/**
 * The metadefs catalog Snapstack seeds: a handful of Glance's standard namespaces
 * (glance/etc/metadefs, Apache-2.0, kept as data in metadef-catalog/), made public and owned by
 * 'admin' as glance-manage db_load_metadefs loads them, and the resource types Glance seeds.
 */
import hypervisor from './metadef-catalog/compute-hypervisor.json';
import libvirt from './metadef-catalog/compute-libvirt.json';
import libvirtImage from './metadef-catalog/compute-libvirt-image.json';
import watchdog from './metadef-catalog/compute-watchdog.json';
import quota from './metadef-catalog/compute-quota.json';
import randomgen from './metadef-catalog/compute-randomgen.json';
import operatingSystem from './metadef-catalog/operating-system.json';
import commonImageProperties from './metadef-catalog/glance-common-image-props.json';
import type { MetadefCatalogEntry, PropertyDefinition } from './metadef-types';

/** Property definitions by name (TypeScript types a JSON array's objects with each other's keys, as undefined). */
type Definitions = Record<string, PropertyDefinition | undefined>;

const defined = (d: Definitions): Record<string, PropertyDefinition> =>
  Object.fromEntries(Object.entries(d).filter((e): e is [string, PropertyDefinition] => e[1] !== undefined));

/** A file of glance/etc/metadefs, as far as the seed reads it. */
interface CatalogFile {
  namespace: string;
  display_name?: string;
  description?: string;
  protected?: boolean;
  resource_type_associations?: Array<{ name: string; prefix?: string; properties_target?: string }>;
  properties?: Definitions;
  objects?: Array<{ name: string; description?: string; required?: string[]; properties?: Definitions }>;
  tags?: Array<{ name: string }>;
}

const FILES: CatalogFile[] = [hypervisor, libvirt, libvirtImage, watchdog, quota, randomgen, operatingSystem, commonImageProperties];

/** The resource types Glance's migrations seed (OS::Nova::Instance renamed OS::Nova::Server in Mitaka). */
const RESOURCE_TYPES = ['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server'];

function entry(f: CatalogFile): MetadefCatalogEntry {
  return {
    namespace: { namespace: f.namespace, displayName: f.display_name ?? null, description: f.description ?? null, visibility: 'public', protected: f.protected ?? true },
    associations: (f.resource_type_associations ?? []).map((a) => ({ name: a.name, prefix: a.prefix ?? null, propertiesTarget: a.properties_target ?? null })),
    properties: defined(f.properties ?? {}),
    objects: (f.objects ?? []).map((o) => ({ name: o.name, description: o.description ?? null, required: o.required ?? null, properties: o.properties ? defined(o.properties) : null })),
    tags: (f.tags ?? []).map((t) => t.name),
  };
}

export function metadefCatalog(): { resourceTypes: string[]; namespaces: MetadefCatalogEntry[] } {
  const associated = FILES.flatMap((f) => (f.resource_type_associations ?? []).map((a) => a.name));
  return { resourceTypes: [...new Set([...RESOURCE_TYPES, ...associated])], namespaces: FILES.map(entry) };
}
