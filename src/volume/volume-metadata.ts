/** Cinder's metadata endpoints, the same for volumes and snapshots (/metadata and /metadata/{key}). */
import { BadRequest } from '../http/faults';
import type { Caller } from './volume-quotas';

type Metadata = Record<string, string>;

export class MetadataOps {
  constructor(
    private readonly read: (caller: Caller, id: string) => Promise<Metadata>,
    private readonly write: (caller: Caller, id: string, metadata: Metadata) => Promise<Metadata>,
    private readonly missingKey: (id: string, key: string) => Error,
  ) {}

  list(caller: Caller, id: string): Promise<Metadata> {
    return this.read(caller, id);
  }

  /** POST: merged into what is there; answers all of it. */
  async merge(caller: Caller, id: string, metadata: Metadata): Promise<Metadata> {
    return this.write(caller, id, { ...(await this.read(caller, id)), ...metadata });
  }

  /** PUT: replaces all of it. */
  async replace(caller: Caller, id: string, metadata: Metadata): Promise<Metadata> {
    await this.read(caller, id);
    return this.write(caller, id, metadata);
  }

  async show(caller: Caller, id: string, key: string): Promise<Metadata> {
    const all = await this.read(caller, id);
    if (!Object.prototype.hasOwnProperty.call(all, key)) throw this.missingKey(id, key);
    return { [key]: all[key] };
  }

  /** PUT /metadata/{key} with {"meta": {key: value}}; Cinder checks the body before the resource. */
  async setItem(caller: Caller, id: string, key: string, meta: Metadata): Promise<Metadata> {
    if (!Object.prototype.hasOwnProperty.call(meta, key)) throw new BadRequest('Request body and URI mismatch');
    if (Object.keys(meta).length > 1) throw new BadRequest('Request body contains too many items');
    await this.merge(caller, id, meta);
    return { [key]: meta[key] };
  }

  async deleteItem(caller: Caller, id: string, key: string): Promise<void> {
    const all = await this.read(caller, id);
    if (!Object.prototype.hasOwnProperty.call(all, key)) throw this.missingKey(id, key);
    const { [key]: _removed, ...rest } = all;
    await this.write(caller, id, rest);
  }
}
