import type { Microversion } from '../http/microversion';
import type { FlavorRow } from './flavor-store';
import { links } from './compute-links';

function atLeast(mv: Microversion | null, v: string): boolean {
  return mv ? mv.atLeast(v) : false;
}

/** GET /flavors item: id, name, links (+ description from 2.55). */
export function flavorSummary(f: FlavorRow, serviceUrl: string, mv: Microversion | null) {
  return {
    id: f.id,
    name: f.name,
    ...(atLeast(mv, '2.55') ? { description: f.description } : {}),
    links: links(serviceUrl, 'flavors', f.id),
  };
}

/** Flavor detail, shaped by microversion: swap "" before 2.75, description 2.55, extra_specs 2.61. */
export function flavorView(f: FlavorRow, serviceUrl: string, mv: Microversion | null) {
  return {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    vcpus: f.vcpus,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    swap: f.swap === 0 && !atLeast(mv, '2.75') ? '' : f.swap,
    'OS-FLV-DISABLED:disabled': f.disabled,
    'os-flavor-access:is_public': f.is_public,
    rxtx_factor: f.rxtx_factor,
    ...(atLeast(mv, '2.55') ? { description: f.description } : {}),
    ...(atLeast(mv, '2.61') ? { extra_specs: f.extra_specs } : {}),
    links: links(serviceUrl, 'flavors', f.id),
  };
}
