import { BadRequest } from '../http/faults';
import type { ImageRecord } from '../image/image-api';

/** One block_device_mapping_v2 entry after parsing (Nova's BlockDeviceDict, the fields we use). */
export interface RequestedBdm {
  source_type: 'image' | 'volume' | 'snapshot' | 'blank';
  destination_type: 'volume' | 'local';
  uuid: string | null;
  /** null = not bootable (Nova's -1/None) */
  boot_index: number | null;
  volume_size: number | null;
  delete_on_termination: boolean;
  device_name: string | null;
  device_type: string | null;
  disk_bus: string | null;
  guest_format: string | null;
  volume_type: string | null;
  tag: string | null;
}

const invalid = (detail: string) => new BadRequest(`Block Device Mapping is Invalid: ${detail}`);

/** boot_index arrives as an integer or a numeric string ("0" from OSC); negative = not bootable. */
export function parseBootIndex(v: unknown): number | null {
  if (v === null || v === undefined || v === 'None' || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new BadRequest(`Invalid input for field/attribute boot_index. Value: ${String(v)}. '${String(v)}' is not of type 'integer'`);
  return n < 0 ? null : n;
}

function optionalInt(name: string, v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`Invalid input for field/attribute ${name}. Value: ${String(v)}. '${String(v)}' is not of type 'integer'`);
  return n;
}

/** parameter_types.boolean: JSON booleans and Nova's accepted strings (any case); anything else false. */
export function bool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['true', '1', 't', 'yes', 'y', 'on'].includes(v.toLowerCase());
  return false;
}

/** Device names are normalised to /dev/vdX (clients may send "vdb"). */
export function normaliseDevice(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return null;
  return name.startsWith('/dev/') ? name : `/dev/${name}`;
}

/** One block_device_mapping_v2 item as sent or as an image property holds it (checked field by field). */
type BdmItem = Record<string, unknown>;

/** One mapping with Nova's defaults, whether the request or an image's property sent it. */
function toRequestedBdm(item: BdmItem, source: string, destination: string, uuid: string | null): RequestedBdm {
  return {
    source_type: source,
    destination_type: destination,
    uuid,
    boot_index: parseBootIndex(item.boot_index),
    volume_size: optionalInt('volume_size', item.volume_size),
    delete_on_termination: bool(item.delete_on_termination),
    device_name: normaliseDevice(item.device_name),
    device_type: item.device_type ?? null,
    disk_bus: item.disk_bus ?? null,
    guest_format: item.guest_format ?? null,
    volume_type: item.volume_type ?? null,
    tag: item.tag ?? null,
  } as RequestedBdm;
}

/** block_device_mapping_v2 as sent -> parsed entries with Nova's defaults (delete_on_termination false). */
export function parseRequestedBdms(raw: unknown): RequestedBdm[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new BadRequest('Invalid input for field/attribute block_device_mapping_v2. Value must be a list.');
  return raw.map((item: BdmItem) => {
    const source = String(item.source_type ?? (item.uuid ? 'volume' : 'blank'));
    if (!['image', 'volume', 'snapshot', 'blank'].includes(source)) throw invalid(`Invalid source_type field: ${source}.`);
    const destination = String(item.destination_type ?? (source === 'volume' || source === 'snapshot' ? 'volume' : 'local'));
    if (!['volume', 'local'].includes(destination)) throw invalid(`Invalid destination_type field: ${destination}.`);
    if (source !== 'blank' && !item.uuid) throw invalid(`Missing device UUID.`);
    if ((source === 'volume' || source === 'snapshot') && destination === 'local') throw invalid(`Mapping image to local is not supported.`);
    return toRequestedBdm(item, source, destination, typeof item.uuid === 'string' ? item.uuid : null);
  });
}

const SOURCE_ID_KEY = { snapshot: 'snapshot_id', image: 'image_id', volume: 'volume_id' } as const;

/**
 * The BDMs an image defines through its `block_device_mapping` property (a JSON list, Nova's
 * _get_image_defined_bdms) when `bdm_v2` is truthy: what an instance snapshot records
 * (contract 3.3). An item with boot_index 0 makes the boot volume-backed. Legacy (v1)
 * mappings, `mappings` and `no_device` items are not expanded.
 */
export function imageDefinedBdms(image: ImageRecord): RequestedBdm[] {
  const raw = image.properties.block_device_mapping;
  if (!raw || !bool(image.properties.bdm_v2)) return [];
  let items: unknown;
  try {
    items = JSON.parse(raw);
  } catch {
    throw invalid(`Image ${image.id} has a block_device_mapping property that is not JSON.`);
  }
  if (!Array.isArray(items)) throw invalid(`Image ${image.id} has a block_device_mapping property that is not a list.`);
  return items
    .filter((item: unknown): item is BdmItem => !!item && typeof item === 'object' && !bool((item as BdmItem).no_device))
    .map((item) => {
      const source = String(item.source_type);
      if (!['image', 'volume', 'snapshot', 'blank'].includes(source)) throw invalid(`Invalid source_type field: ${String(source)}.`);
      const destination = String(item.destination_type ?? (source === 'image' ? 'local' : 'volume'));
      if (!['volume', 'local'].includes(destination)) throw invalid(`Invalid destination_type field: ${String(destination)}.`);
      const uuid = source === 'blank' ? null : item[SOURCE_ID_KEY[source as keyof typeof SOURCE_ID_KEY]] ?? null;
      if (source !== 'blank' && !uuid) throw invalid('Missing device UUID.');
      return toRequestedBdm(item, source, destination, uuid === null ? null : String(uuid));
    });
}

/**
 * Nova's merge (_check_and_transform_bdm, _merge_bdms_lists): request BDMs override image BDMs
 * with the same device name; when the image defines a root (boot_index 0), a request root of
 * source image is dropped (OSC's --boot-from-volume N puts one there). Unlike Nova, which loses
 * it, that dropped root's volume_size is kept when larger than the image root's recorded size.
 */
export function mergeBdms(fromImage: RequestedBdm[], fromRequest: RequestedBdm[]): RequestedBdm[] {
  if (!fromImage.length) return fromRequest;
  const imageRoot = fromImage.find((b) => b.boot_index === 0);
  const droppedRoot = (b: RequestedBdm) => Boolean(imageRoot) && b.boot_index === 0 && b.source_type === 'image';
  const request = fromRequest.filter((b) => !droppedRoot(b));
  const overridden = new Set(request.map((b) => b.device_name).filter(Boolean));
  const kept = fromImage.filter((b) => !b.device_name || !overridden.has(b.device_name)).map((b) => ({ ...b }));
  const dropped = fromRequest.find(droppedRoot);
  const root = kept.find((b) => b.boot_index === 0);
  if (dropped?.volume_size && root && root.volume_size !== null && dropped.volume_size > root.volume_size) root.volume_size = dropped.volume_size;
  return [...kept, ...request];
}

/** Checks Nova applies to the list as a whole (one root, sizes where Nova needs them). */
export function validateBdmList(bdms: RequestedBdm[]): void {
  const roots = bdms.filter((b) => b.boot_index === 0);
  const indexes = bdms.map((b) => b.boot_index).filter((i): i is number => i !== null).sort((a, b) => a - b);
  if (roots.length > 1 || indexes.some((i, n) => i !== n)) {
    throw invalid('Boot sequence for the instance and image/block device mapping combination is not valid.');
  }
  for (const b of bdms) {
    if (b.source_type === 'image' && b.destination_type === 'volume' && !b.volume_size) {
      throw invalid("Images with destination_type 'volume' need to have a non-zero size specified");
    }
    if (b.source_type === 'blank' && b.destination_type === 'volume' && !b.volume_size) {
      throw invalid("Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size");
    }
  }
  const devices = bdms.map((b) => b.device_name).filter(Boolean);
  if (new Set(devices).size !== devices.length) throw invalid('Duplicate device name in block device mapping.');
}

/** Root (boot_index 0) is /dev/vda; every other device without a name takes the next free /dev/vdX. */
export function assignDeviceNames<T extends { boot_index: number | null; device_name: string | null; destination_type: string }>(bdms: T[], rootDevice = '/dev/vda'): T[] {
  const used = new Set(bdms.map((b) => b.device_name).filter((d): d is string => Boolean(d)));
  for (const b of bdms) if (b.boot_index === 0 && !b.device_name) { b.device_name = rootDevice; used.add(rootDevice); }
  for (const b of bdms) {
    if (b.device_name || b.destination_type !== 'volume') continue;
    b.device_name = nextDevice(used);
    used.add(b.device_name);
  }
  return bdms;
}

export function nextDevice(used: Set<string>): string {
  for (let c = 'b'.charCodeAt(0); c <= 'z'.charCodeAt(0); c++) {
    const d = `/dev/vd${String.fromCharCode(c)}`;
    if (!used.has(d)) return d;
  }
  throw new BadRequest('No free device name left for the server.');
}
