import type { AuthContext } from '../http/context';
import { BadRequest, Conflict, Forbidden, NotFound } from '../http/faults';
import { randomUUID } from 'crypto';
import { Keyset, withIdTieBreaker } from '../db/keyset';
import type { FlavorRow, FlavorStore } from './flavor-store';
import { pageLimit } from './compute-links';

/**
 * DevStack's default flavors, plus one zero-disk flavor for volume-backed servers
 * (id '0', name 'm1.zero': Nova allows flavors with disk 0 only for boot-from-volume).
 */
export const DEFAULT_FLAVORS: Array<Pick<FlavorRow, 'id' | 'name' | 'ram' | 'disk' | 'vcpus'> & { description?: string }> = [
  { id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 },
  { id: '2', name: 'm1.small', ram: 2048, disk: 20, vcpus: 1 },
  { id: '3', name: 'm1.medium', ram: 4096, disk: 40, vcpus: 2 },
  { id: '4', name: 'm1.large', ram: 8192, disk: 80, vcpus: 4 },
  { id: '5', name: 'm1.xlarge', ram: 16384, disk: 160, vcpus: 8 },
  { id: '0', name: 'm1.zero', ram: 512, disk: 0, vcpus: 1, description: 'Zero root disk: for volume-backed servers only' },
];

export interface FlavorListQuery {
  isPublic?: string;
  minDisk?: string;
  minRam?: string;
  sortKey?: string;
  sortDir?: string;
  limit?: string;
  marker?: string;
}

export interface NewFlavor {
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  id?: string | null;
  ephemeral?: number;
  swap?: number;
  rxtxFactor?: number;
  isPublic?: boolean;
  description?: string | null;
}

const SORT_KEYS = ['created_at', 'description', 'disk', 'ephemeral_gb', 'flavorid', 'id', 'is_public', 'memory_mb', 'name', 'root_gb', 'rxtx_factor', 'swap', 'vcpu_weight', 'vcpus'];
const SORT_COLUMN: Record<string, keyof FlavorRow & string> = {
  flavorid: 'id', id: 'id', memory_mb: 'ram', root_gb: 'disk', disk: 'disk', ephemeral_gb: 'ephemeral', name: 'name', vcpus: 'vcpus',
  swap: 'swap', rxtx_factor: 'rxtx_factor', is_public: 'is_public', created_at: 'created_at', description: 'description', vcpu_weight: 'id',
};

function nonNegativeInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new BadRequest(`Invalid ${name} filter [${raw}]`);
  return Number(raw);
}

/** Nova flavor rules: visibility (is_public), filters, admin-only management. */
export class FlavorService {
  constructor(private readonly store: FlavorStore) {}

  async seed(): Promise<void> {
    await this.store.seedOnce(DEFAULT_FLAVORS.map((f) => ({
      ...f, ephemeral: 0, swap: 0, rxtx_factor: 1.0, is_public: true, disabled: false, description: f.description ?? null, extra_specs: {},
    })));
  }

  /** Reset: the flavors an admin made go, a default one deleted comes back. */
  async resetToSeed(): Promise<Record<string, number>> {
    const rows = await this.store.removeAllBut(DEFAULT_FLAVORS.map((f) => f.id));
    await this.seed();
    return rows;
  }

  async list(auth: AuthContext, q: FlavorListQuery): Promise<{ flavors: FlavorRow[]; more: boolean }> {
    let isPublic: boolean | null = true;
    if (auth.isAdmin) {
      const raw = q.isPublic;
      if (raw === undefined) isPublic = true;
      else if (raw.toLowerCase() === 'none') isPublic = null;
      else if (['true', 't', '1', 'yes', 'y', 'on'].includes(raw.toLowerCase())) isPublic = true;
      else if (['false', 'f', '0', 'no', 'n', 'off'].includes(raw.toLowerCase())) isPublic = false;
      else throw new BadRequest(`Invalid is_public filter [${raw}]`);
    }
    const filter = { isPublic, minDisk: nonNegativeInt('minDisk', q.minDisk), minRam: nonNegativeInt('minRam', q.minRam) };
    const key = q.sortKey ?? 'flavorid';
    if (!SORT_KEYS.includes(key)) throw new BadRequest(`Invalid input for query parameters sort_key. Value: ${key}.`);
    const dir = q.sortDir ?? 'asc';
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`Invalid input for query parameters sort_dir. Value: ${dir}.`);
    const keyset: Keyset = { keys: withIdTieBreaker([{ column: SORT_COLUMN[key], dir, nullable: key === 'description' }]), nulls: 'low' };
    const limit = pageLimit(q.limit);
    const page = await this.store.list(filter, { keyset, limit, marker: q.marker });
    // Nova links a next page whenever the page is full.
    return { flavors: page, more: page.length > 0 && page.length === limit };
  }

  /** Private flavors are visible to admins only (no flavor-access lists). */
  async get(auth: AuthContext | null, id: string): Promise<FlavorRow> {
    const f = await this.store.get(id);
    if (!f || (auth && !auth.isAdmin && !f.is_public)) throw new NotFound(`Flavor ${id} could not be found.`);
    return f;
  }

  async create(auth: AuthContext, input: NewFlavor): Promise<FlavorRow> {
    if (!auth.isAdmin) throw new Forbidden('Policy doesn\'t allow os_compute_api:os-flavor-manage:create to be performed.');
    const id = input.id ?? randomUUID();
    if (await this.store.findByName(input.name)) throw new Conflict(`Flavor with name ${input.name} already exists.`);
    if (await this.store.get(id)) throw new Conflict(`Flavor with ID ${id} already exists.`);
    return this.store.insert({
      id, name: input.name, ram: input.ram, vcpus: input.vcpus, disk: input.disk, ephemeral: input.ephemeral ?? 0, swap: input.swap ?? 0,
      rxtx_factor: input.rxtxFactor ?? 1.0, is_public: input.isPublic ?? true, disabled: false, description: input.description ?? null, extra_specs: {},
    });
  }

  /** 2.55: the description, the one field that can change. */
  async updateDescription(auth: AuthContext, id: string, description: string | null): Promise<FlavorRow> {
    if (!auth.isAdmin) throw new Forbidden('Policy doesn\'t allow os_compute_api:os-flavor-manage:update to be performed.');
    const f = await this.store.updateDescription(id, description);
    if (!f) throw new NotFound(`Flavor ${id} could not be found.`);
    return f;
  }

  async delete(auth: AuthContext, id: string): Promise<void> {
    if (!auth.isAdmin) throw new Forbidden('Policy doesn\'t allow os_compute_api:os-flavor-manage:delete to be performed.');
    if (!(await this.store.delete(id))) throw new NotFound(`Flavor ${id} could not be found.`);
  }
}
