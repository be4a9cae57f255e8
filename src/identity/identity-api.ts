/**
 * The identity module's port: what other modules may know of Keystone here. The HTTP layer
 * authenticates through IdentityApi.validate (wired by the composition root).
 */
import type { AuthContext } from '../http/context';
import type { ModuleReset } from '../shared/module-reset';

export { DEFAULT_DOMAIN, ROLE_NAMES } from './identity-service';

export interface IdentityApi {
  /** The token's facts, or Keystone's 401 when it is unknown, expired or revoked. */
  validate(token: string): Promise<AuthContext>;
}

/**
 * What reset (src/snapstack) asks of identity, last: every project, user, role and token but
 * the seed's goes; the seed's keep their ids, so their tokens stay valid.
 */
export type IdentityResetApi = ModuleReset;
