import type { AuthContext } from '../http/context';
import { BadRequest, NotFound } from '../http/faults';
import type { ResourceLocks } from '../shared/resource-locks';
import { checkState, type StateRule } from './server-states';
import type { ServerRow } from './server-store';
import type { ServerTagStore } from './server-tag-store';

/** nova/objects/instance.py MAX_TAG_COUNT and nova/objects/tag.py MAX_TAG_LENGTH. */
export const MAX_TAGS = 50;
export const MAX_TAG_LENGTH = 60;
/** ServerTagsController._check_instance_in_valid_state: the vm_state only. */
const TAG_STATES: StateRule = { vmStates: ['active', 'paused', 'suspended', 'stopped'], taskStates: 'any' };

/** parameter_types.tag, with the message Nova's PUT /tags/{tag} gives (the URL's tag is checked by hand there). */
function checkTag(tag: string): void {
  const err = tag.length === 0 ? "'' is too short" : tag.length > MAX_TAG_LENGTH ? `'${tag}' is too long` : /[,/]/.test(tag) ? `'${tag}' does not match '^[^,/]*$'` : null;
  if (err) throw new BadRequest(`Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${err}`);
}

export interface ServerTagDeps {
  /** The server if the caller may see it, 404 otherwise (ServerService.get). */
  server(auth: AuthContext, id: string): Promise<ServerRow>;
  tags: ServerTagStore;
  locks: ResourceLocks;
}

/** Nova's server tags (2.26, nova/api/openstack/compute/server_tags.py): changes under the server's lock. No HTTP, no SQL. */
export class ServerTags {
  constructor(private readonly d: ServerTagDeps) {}

  async list(auth: AuthContext, id: string): Promise<string[]> {
    return (await this.d.server(auth, id)).tags ?? [];
  }

  async check(auth: AuthContext, id: string, tag: string): Promise<void> {
    if (!(await this.list(auth, id)).includes(tag)) throw new NotFound(`Server ${id} has no tag '${tag}'`);
  }

  /** true when the tag is new (201), false when the server had it (204). */
  async add(auth: AuthContext, id: string, tag: string): Promise<boolean> {
    return this.change(auth, id, 'update tag', async (server) => {
      checkTag(tag);
      const current = server.tags ?? [];
      if (current.length >= MAX_TAGS) throw new BadRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
      if (current.includes(tag)) return false;
      return this.d.tags.add(id, tag);
    });
  }

  async replace(auth: AuthContext, id: string, tags: string[]): Promise<string[]> {
    return this.change(auth, id, 'update tags', async () => {
      await this.d.tags.transaction((trx) => this.d.tags.replace(id, tags, trx));
      return this.d.tags.list(id);
    });
  }

  async delete(auth: AuthContext, id: string, tag: string): Promise<void> {
    await this.change(auth, id, 'delete tag', async () => {
      if (!(await this.d.tags.delete(id, tag))) throw new NotFound(`Instance ${id} has no tag '${tag}'`);
    });
  }

  async clear(auth: AuthContext, id: string): Promise<void> {
    await this.change(auth, id, 'delete tags', (server) => this.d.tags.clear(server.id));
  }

  private change<T>(auth: AuthContext, id: string, action: string, fn: (server: ServerRow) => Promise<T>): Promise<T> {
    return this.d.locks.withLock(id, async () => {
      const server = await this.d.server(auth, id);
      checkState(server, action, TAG_STATES);
      return fn(server);
    });
  }
}
