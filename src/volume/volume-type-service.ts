/**
 * Cinder's volume types (cinder/volume/volume_types.py, the types_manage, types_extra_specs and
 * volume_type_access extensions): rules only; the handlers map requests here, the store holds
 * the rows. Admin-only operations are refused by the policy table before they reach this.
 */
import { randomUUID } from 'crypto';
import { BadRequest, Conflict, NotFound } from '../http/faults';
import { isUniqueViolation } from '../db/pg-errors';
import type { Logger } from '../logger';
import { blankName, isUuidLike } from './volume-faults';
import type { Caller } from './volume-quotas';
import { DEFAULT_VOLUME_TYPE_ID, VolumeTypeRecord } from './volume-type-registry';
import { TypeViewer, VolumeTypeRow, VolumeTypeStore } from './volume-type-store';

/** cinder/policies/type_extra_specs.py: what a non-admin may read of a type's extra specs. */
const USER_VISIBLE_EXTRA_SPECS = ['RESKEY:availability_zones', 'multiattach', 'replication_enabled'];

export const volumeTypeNotFound = (id: string) => new NotFound(`Volume type ${id} could not be found.`);
const volumeTypeNotFoundByName = (name: string) => new NotFound(`Volume type with name ${name} could not be found.`);
const volumeTypeExists = (name: string) => new Conflict(`Volume Type ${name} already exists.`);
const typeInUse = () => new BadRequest('Volume Type is currently in use.');

export interface CreateVolumeTypeInput {
  name: string;
  description?: string | null;
  extraSpecs?: Record<string, string>;
  isPublic: boolean;
}

export interface UpdateVolumeTypeInput {
  name?: string | null;
  description?: string | null;
  isPublic?: boolean;
}

function viewerOf(caller: Caller): TypeViewer {
  return caller.isAdmin ? { admin: true } : { projectId: caller.projectId };
}

/** Cinder's format 'name': not blank. */
function checkName(name: string): void {
  if (name.trim().length === 0) throw blankName();
}

export function toVolumeTypeRecord(row: VolumeTypeRow): VolumeTypeRecord {
  return { id: row.id, name: row.name, description: row.description, isPublic: row.is_public, extraSpecs: row.extra_specs };
}

export class VolumeTypeService {
  constructor(private readonly store: VolumeTypeStore, private readonly log: Logger) {}

  /** GET /types: non-admins get public types and private ones shared with them (Cinder ignores their is_public). */
  async list(caller: Caller, isPublic: boolean | null): Promise<VolumeTypeRecord[]> {
    // A non-admin's view is already public or shared with the project (the store's visibility rule).
    const rows = await this.store.list(viewerOf(caller), caller.isAdmin ? isPublic : null, caller.projectId);
    return rows.map((r) => this.visibleSpecs(caller, toVolumeTypeRecord(r)));
  }

  /** GET /types/{id}: an id the caller may see, or `default`. */
  async show(caller: Caller, id: string): Promise<VolumeTypeRecord> {
    const row = id === 'default' ? await this.store.get({ admin: true }, DEFAULT_VOLUME_TYPE_ID) : await this.store.get(viewerOf(caller), id);
    if (!row) throw id === 'default' ? new NotFound('Default volume type can not be found.') : volumeTypeNotFound(id);
    return this.visibleSpecs(caller, toVolumeTypeRecord(row));
  }

  /** The type a new volume gets: Cinder's get_by_name_or_id (a private type the caller may not use is not found), else the default. */
  async forNewVolume(caller: Caller, nameOrId: string | null | undefined): Promise<VolumeTypeRecord> {
    if (nameOrId === null || nameOrId === undefined || nameOrId === '') return this.defaultType();
    return toVolumeTypeRecord(await this.byNameOrId(viewerOf(caller), nameOrId));
  }

  async defaultType(): Promise<VolumeTypeRecord> {
    const row = await this.store.get({ admin: true }, DEFAULT_VOLUME_TYPE_ID);
    if (!row) throw volumeTypeNotFound(DEFAULT_VOLUME_TYPE_ID);
    return toVolumeTypeRecord(row);
  }

  /** A volume's type by the name the volume keeps (every type, whoever asks: the volume is already visible). */
  async ofVolume(name: string): Promise<VolumeTypeRecord | undefined> {
    const row = await this.store.getByName({ admin: true }, name);
    return row ? toVolumeTypeRecord(row) : undefined;
  }

  async byNameOrId(viewer: TypeViewer, nameOrId: string): Promise<VolumeTypeRow> {
    if (isUuidLike(nameOrId)) {
      const row = (await this.store.get(viewer, nameOrId)) ?? (await this.store.getByName(viewer, nameOrId));
      if (!row) throw volumeTypeNotFound(nameOrId);
      return row;
    }
    const row = await this.store.getByName(viewer, nameOrId);
    if (!row) throw volumeTypeNotFoundByName(nameOrId);
    return row;
  }

  async create(input: CreateVolumeTypeInput): Promise<VolumeTypeRecord> {
    checkName(input.name);
    const now = new Date();
    const row: VolumeTypeRow = {
      id: randomUUID(), name: input.name, description: input.description ?? null, is_public: input.isPublic,
      extra_specs: input.extraSpecs ?? {}, created_at: now, updated_at: now,
    };
    await this.store.transaction(async (trx) => {
      const store = this.store.on(trx);
      if (await store.nameTaken(input.name)) throw volumeTypeExists(input.name);
      await store.insert(row);
    }).catch((err: unknown) => {
      // Two creates of one name at once: the unique index decides.
      if (isUniqueViolation(err)) throw volumeTypeExists(input.name);
      throw err;
    });
    this.log.info({ volume_type_id: row.id, name: row.name, is_public: row.is_public }, 'volume type created');
    return toVolumeTypeRecord(row);
  }

  /** Cinder's types_manage update: name, description, is_public, or a combination; a rename follows into the volumes of the type. */
  async update(id: string, input: UpdateVolumeTypeInput): Promise<VolumeTypeRecord> {
    if (input.name !== undefined && input.name !== null && input.name.trim().length === 0) throw new BadRequest('Volume type name can not be empty.');
    if ((input.name ?? null) === null && (input.description ?? null) === null && input.isPublic === undefined) {
      throw new BadRequest('Specify volume type name, description, is_public or a combination thereof.');
    }
    const row = await this.store.transaction(async (trx) => {
      const store = this.store.on(trx);
      const old = await store.get({ admin: true }, id, { forUpdate: true });
      if (!old) throw volumeTypeNotFound(id);
      const patch: Parameters<VolumeTypeStore['update']>[1] = {};
      if (input.name !== undefined && input.name !== null) {
        if (await store.nameTaken(input.name, id)) throw volumeTypeExists(input.name);
        patch.name = input.name;
      }
      if (input.description !== undefined && input.description !== null) patch.description = input.description;
      if (input.isPublic !== undefined) patch.is_public = input.isPublic;
      const updated = await store.update(id, patch);
      if (!updated) throw volumeTypeNotFound(id);
      if (patch.name && patch.name !== old.name) await store.renameInVolumes(old.name, patch.name);
      return updated;
    });
    this.log.info({ volume_type_id: id }, 'volume type updated');
    return toVolumeTypeRecord(row);
  }

  /** Cinder's destroy: never the default type, never while a volume has it. */
  async delete(id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const store = this.store.on(trx);
      const row = await store.get({ admin: true }, id, { forUpdate: true });
      if (!row) throw volumeTypeNotFound(id);
      if (row.id === DEFAULT_VOLUME_TYPE_ID) throw new BadRequest(`The volume type ${id} is a default volume type and cannot be deleted.`);
      if (await store.inUse(row.name)) throw new BadRequest('Target volume type is still in use.');
      await store.delete(id);
    });
    this.log.info({ volume_type_id: id }, 'volume type deleted');
  }

  // ---- extra specs (types_extra_specs) ----

  async extraSpecs(caller: Caller, typeId: string): Promise<Record<string, string>> {
    return this.visibleSpecs(caller, toVolumeTypeRecord(await this.requireType(caller, typeId))).extraSpecs;
  }

  async extraSpec(caller: Caller, typeId: string, key: string): Promise<string> {
    const specs = await this.extraSpecs(caller, typeId);
    if (!Object.hasOwn(specs, key)) throw new NotFound(`Volume Type ${typeId} has no extra specs with key ${key}.`);
    return specs[key];
  }

  /** Sets or replaces `specs`; Cinder refuses any change while a volume has the type. */
  async setExtraSpecs(typeId: string, specs: Record<string, string | null>): Promise<void> {
    await this.changeSpecs(typeId, (current) => ({ ...current, ...Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, v ?? ''])) }));
  }

  async deleteExtraSpec(typeId: string, key: string): Promise<void> {
    await this.changeSpecs(typeId, (current) => {
      if (!Object.hasOwn(current, key)) throw new NotFound(`Volume Type ${typeId} has no extra specs with key ${key}.`);
      const { [key]: _gone, ...rest } = current;
      return rest;
    });
  }

  private async changeSpecs(typeId: string, change: (current: Record<string, string>) => Record<string, string>): Promise<void> {
    await this.store.transaction(async (trx) => {
      const store = this.store.on(trx);
      const row = await store.get({ admin: true }, typeId, { forUpdate: true });
      if (!row) throw volumeTypeNotFound(typeId);
      if (await store.inUse(row.name)) throw typeInUse();
      await store.update(typeId, { extra_specs: change(row.extra_specs) });
    });
  }

  // ---- access (os-volume-type-access) ----

  async access(typeId: string): Promise<Array<{ volumeTypeId: string; projectId: string }>> {
    const row = await this.store.get({ admin: true }, typeId);
    if (!row) throw volumeTypeNotFound(typeId);
    if (row.is_public) throw new NotFound('Access list not available for public volume types.');
    return (await this.store.projects(typeId)).map((projectId) => ({ volumeTypeId: typeId, projectId }));
  }

  async addAccess(typeId: string, projectId: string): Promise<void> {
    await this.requireType({ projectId, userId: null, isAdmin: true }, typeId);
    if (!(await this.store.addProject(typeId, projectId))) {
      throw new Conflict(`Volume type access for ${typeId} / ${projectId} combination already exists.`);
    }
    this.log.info({ volume_type_id: typeId, project_id: projectId }, 'volume type access added');
  }

  async removeAccess(typeId: string, projectId: string): Promise<void> {
    await this.requireType({ projectId, userId: null, isAdmin: true }, typeId);
    if (!(await this.store.removeProject(typeId, projectId))) {
      throw new NotFound(`Volume type access not found for ${typeId} / ${projectId} combination.`);
    }
    this.log.info({ volume_type_id: typeId, project_id: projectId }, 'volume type access removed');
  }

  private async requireType(caller: Caller, id: string): Promise<VolumeTypeRow> {
    const row = await this.store.get(viewerOf(caller), id);
    if (!row) throw volumeTypeNotFound(id);
    return row;
  }

  /** Non-admins read only the user-visible extra specs (read_sensitive is admin-only). */
  private visibleSpecs(caller: Caller, t: VolumeTypeRecord): VolumeTypeRecord {
    if (caller.isAdmin) return t;
    return { ...t, extraSpecs: Object.fromEntries(Object.entries(t.extraSpecs).filter(([k]) => USER_VISIBLE_EXTRA_SPECS.includes(k))) };
  }
}
