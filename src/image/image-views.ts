import { isoSecondsZ } from '../shared/time-format';
import type { ImageRecord } from './image-api';
import type { MemberRow } from './image-store';

/** Glance's image object: bare, core fields always present, extra properties top-level strings. */
export function imageView(i: ImageRecord): Record<string, unknown> {
  const core = {
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: i.visibility,
    protected: i.protected,
    os_hidden: i.osHidden,
    owner: i.owner,
    size: i.size,
    virtual_size: i.virtualSize,
    min_disk: i.minDisk,
    min_ram: i.minRam,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    checksum: i.checksum,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    tags: i.tags,
    created_at: isoSecondsZ(i.createdAt),
    updated_at: isoSecondsZ(i.updatedAt),
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
  const extra = Object.keys(i.properties);
  if (extra.length === 0) return core;
  // The properties first, then the core fields over them: `{ ...i.properties, id, ... }`, but
  // built by assignment. V8 makes every object spread from a parsed JSON object and then given
  // 22 more keys a slow one-off shape: ~10x the cost of the view, then of its JSON.
  const out: Record<string, unknown> = {};
  for (const k of extra) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: i.properties[k], enumerable: true, writable: true, configurable: true });
    else out[k] = i.properties[k];
  }
  return Object.assign(out, core);
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
