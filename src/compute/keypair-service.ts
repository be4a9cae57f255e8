import type { AuthContext } from '../http/context';
import { BadRequest, Conflict, Forbidden, NotFound } from '../http/faults';
import type { Logger } from '../logger';
import { generateSshKey, generateX509Key, sshFingerprint, x509Fingerprint } from './keypair-crypto';
import type { KeypairRow, KeypairStore } from './keypair-store';

/** Nova's default key_pairs quota (per user). */
export const KEYPAIR_QUOTA = 100;

export interface KeypairInput {
  name: string;
  type: 'ssh' | 'x509';
  /** Absent: a key pair is generated and its private key returned once (below 2.92). */
  publicKey?: string;
  /** Another user's (admins only, 2.10). */
  userId?: string;
}

/** Nova's os-keypairs (nova/compute/api.py KeypairAPI): a user's own, an admin's for any user. No HTTP, no SQL. */
export class KeypairService {
  constructor(private readonly store: KeypairStore, private readonly log: Logger) {}

  /** nova/policies/keypairs.py: `ADMIN or user_id:%(user_id)s`. */
  private owner(auth: AuthContext, action: string, userId: string | undefined): string {
    const user = userId ?? auth.userId;
    if (user !== auth.userId && !auth.isAdmin) throw new Forbidden(`Policy doesn't allow os_compute_api:os-keypairs:${action} to be performed.`);
    return user;
  }

  async create(auth: AuthContext, input: KeypairInput): Promise<{ keypair: KeypairRow; privateKey?: string }> {
    const userId = this.owner(auth, 'create', input.userId);
    if (await this.store.count(userId) >= KEYPAIR_QUOTA) throw new Forbidden('Quota exceeded, too many key pairs.');
    let generated: { privateKey: string; publicKey: string; fingerprint: string } | undefined;
    let publicKey: string;
    let fingerprint: string;
    if (input.publicKey !== undefined) {
      publicKey = input.publicKey;
      fingerprint = input.type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
    } else {
      generated = input.type === 'x509' ? await generateX509Key(userId) : await generateSshKey();
      ({ publicKey, fingerprint } = generated);
    }
    const keypair = await this.store.insert({ user_id: userId, name: input.name, type: input.type, public_key: publicKey, fingerprint });
    if (!keypair) throw new Conflict(`Key pair '${input.name}' already exists.`);
    this.log.info({ user_id: userId, keypair: input.name, type: input.type, generated: Boolean(generated) }, 'keypair created');
    return { keypair, privateKey: generated?.privateKey };
  }

  /** A page of the user's key pairs; Nova's 400 for a marker that is not one of them. */
  async list(auth: AuthContext, q: { userId?: string; limit?: number; marker?: string }): Promise<KeypairRow[]> {
    const rows = await this.store.list(this.owner(auth, 'index', q.userId), q);
    if (!rows) throw new BadRequest(`Marker ${q.marker} could not be found.`);
    return rows;
  }

  async get(auth: AuthContext, name: string, userId?: string): Promise<KeypairRow> {
    const user = this.owner(auth, 'show', userId);
    const row = await this.store.get(user, name);
    if (!row) throw notFound(name, user);
    return row;
  }

  async delete(auth: AuthContext, name: string, userId?: string): Promise<void> {
    const user = this.owner(auth, 'delete', userId);
    if (!(await this.store.delete(user, name))) throw notFound(name, user);
    this.log.info({ user_id: user, keypair: name }, 'keypair deleted');
  }

  /** The caller's key pair of that name for a server (create, rebuild); Nova's 400 otherwise. */
  async forServer(userId: string, name: string): Promise<KeypairRow> {
    const row = await this.store.get(userId, name);
    if (!row) throw new BadRequest('Invalid key_name provided.');
    return row;
  }
}

function notFound(name: string, userId: string): NotFound {
  return new NotFound(`Keypair ${name} not found for user ${userId}`);
}
