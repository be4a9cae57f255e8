import type { Microversion } from '../http/microversion';
import { isoMicros } from '../shared/time-format';
import type { KeypairRow } from './keypair-store';

const typed = (mv: Microversion | null) => mv?.atLeast('2.2') ?? false;

/** A list item's key pair: name, public_key, fingerprint (and type from 2.2). */
export function keypairSummary(k: KeypairRow, mv: Microversion | null) {
  return { name: k.name, public_key: k.public_key, fingerprint: k.fingerprint, ...(typed(mv) ? { type: k.type } : {}) };
}

/** POST /os-keypairs: with user_id, and the private key once when Nova generated the pair. */
export function createdKeypairView(k: KeypairRow, privateKey: string | undefined, mv: Microversion | null) {
  return { ...keypairSummary(k, mv), user_id: k.user_id, ...(privateKey !== undefined ? { private_key: privateKey } : {}) };
}

/** GET /os-keypairs/{name}: Nova's row, with its soft-delete fields never set. */
export function keypairDetail(k: KeypairRow, mv: Microversion | null) {
  return {
    ...keypairSummary(k, mv), user_id: k.user_id, created_at: isoMicros(new Date(k.created_at)), deleted: false, deleted_at: null, id: k.id, updated_at: null,
  };
}
