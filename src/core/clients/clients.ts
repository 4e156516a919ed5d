import { createClientAuthentication } from './client-authentication.js';
import { createClientRegistration } from './client-registration.js';
import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../shared/index.js';
import type { ScopeRegistry } from '../scopes/index.js';
import type { ClientStore, RevocationStore } from '../store/index.js';

export {
  certificateThumbprint,
  DEFAULT_ID_TOKEN_ALGORITHM,
  GRANT_TYPES,
  normalizeSubject,
  type Client,
  type GrantType,
} from './client-records.js';
export { CLIENT_ASSERTION_ALGORITHMS, CLIENT_ASSERTION_TYPE } from './client-authentication.js';

/** The client operations; see {@link createClientService}. */
export type ClientService = ReturnType<typeof createClientService>;

/**
 * Service clients of the token endpoint and apps of the authorization
 * endpoint: their registration (client-registration.ts) and how they
 * authenticate (client-authentication.ts), as one service.
 */
export function createClientService(deps: {
  store: ClientStore & Pick<RevocationStore, 'revokeTokenId'>;
  clock: Clock;
  scopes: ScopeRegistry;
  audit: AuditLog;
}) {
  return { ...createClientRegistration(deps), ...createClientAuthentication(deps) };
}
