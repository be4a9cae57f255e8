/**
 * The identity module's port: what other modules may know of Keystone here. The HTTP layer
 * authenticates through IdentityApi.validate (wired by the composition root); reset keeps
 * what the seed made, by the names below.
 */
import type { AuthContext } from '../http/context';

export { DEFAULT_DOMAIN, ROLE_NAMES } from './identity-service';

export interface IdentityApi {
  /** The token's facts, or Keystone's 401 when it is unknown, expired or revoked. */
  validate(token: string): Promise<AuthContext>;
}
