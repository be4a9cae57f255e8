import { isoSecondsZ } from '../shared/time-format';
import type { ImageRecord } from './image-api';
import type { MemberRow } from './image-store';

/**
 * Glance's image object: bare, core fields always present, extra properties top-level strings.
 * As Glance builds it (`dict(image.extra_properties)`, then each core field set over it): the
 * properties first, each core field after them or in the place of a property of its name.
 */
export function imageView(i: ImageRecord): Record<string, unknown> {
  const props = i.properties;
  const out: Record<string, unknown> = {};
  for (const k in props) {
    if (!Object.prototype.hasOwnProperty.call(props, k)) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: props[k], enumerable: true, writable: true, configurable: true });
    else out[k] = props[k];
  }
  // Named stores, one per field (not a spread or Object.assign): V8 then keeps the view a
  // fast object that shares its shape with every image of the same property names. Keyed
  // stores of 20-odd new keys turn it into a hash table, ~2 KiB of garbage per image and a
  // slower JSON.stringify.
  out.id = i.id;
  out.name = i.name;
  out.status = i.status;
  out.visibility = i.visibility;
  out.protected = i.protected;
  out.os_hidden = i.osHidden;
  out.owner = i.owner;
  out.size = i.size;
  out.virtual_size = i.virtualSize;
  out.min_disk = i.minDisk;
  out.min_ram = i.minRam;
  out.disk_format = i.diskFormat;
  out.container_format = i.containerFormat;
  out.checksum = i.checksum;
  out.os_hash_algo = i.osHashAlgo;
  out.os_hash_value = i.osHashValue;
  out.tags = i.tags;
  out.created_at = isoSecondsZ(i.createdAt);
  out.updated_at = isoSecondsZ(i.updatedAt);
  out.self = `/v2/images/${i.id}`;
  out.file = `/v2/images/${i.id}/file`;
  out.schema = '/v2/schemas/image';
  return out;
}

/**
 * Glance's paging links for a list at `base`: `first` is the query without its marker, `next`
 * (only when the page was full) the same query with the page's last item as marker.
 */
export function pageLinks(base: string, query: Record<string, string | string[]>, nextMarker?: string): { first: string; next?: string } {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k === 'marker') continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  }
  const q = params.toString();
  const links: { first: string; next?: string } = { first: q ? `${base}?${q}` : base };
  if (nextMarker) {
    params.set('marker', nextMarker);
    links.next = `${base}?${params.toString()}`;
  }
  return links;
}

/** GET /v2/images body: `first` and `schema` always, `next` only when the page was full. */
export function imageListView(images: ImageRecord[], query: Record<string, string | string[]>, nextMarker?: string) {
  const { first, next } = pageLinks('/v2/images', query, nextMarker);
  const body: Record<string, unknown> = { images: images.map(imageView), first, schema: '/v2/schemas/images' };
  if (next) body.next = next;
  return body;
}

export function memberView(m: MemberRow) {
  return {
    created_at: isoSecondsZ(new Date(m.created_at)),
    image_id: m.image_id,
    member_id: m.member_id,
    schema: '/v2/schemas/member',
    status: m.status,
    updated_at: isoSecondsZ(new Date(m.updated_at)),
  };
}
