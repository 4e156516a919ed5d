import type { AccessTokenClaims, AccessTokens } from './access-tokens.js';
import type { ApiKeys } from './api-keys.js';
import type { SessionService, Session } from './sessions.js';
import type { Store } from './store.js';
import { toUser, type User } from './users.js';

/** Who a request acts for, whatever credential it carried. */
export interface Principal {
  /** The credential that authenticated it. */
  kind: 'session' | 'access_token' | 'api_key' | 'basic';
  /** The user, or `null` for a service client's own token. */
  user: User | null;
  /** The OAuth client the credential was issued to, if any. */
  clientId: string | null;
  /** Granted scopes; `null` means not restricted by scope (a signed-in user). */
  scopes: string[] | null;
  /** The user's roles now (read from the store, not trusted from a token). */
  roles: string[];
  /** The session behind a cookie or a user's access token. */
  session: Session | null;
  /** The verified claims, for an access token. */
  token?: AccessTokenClaims;
}

/**
 * What the TLS connection of a request proved, read only when a token is
 * certificate-bound: the client certificate's SHA-256 thumbprint (base64url).
 * `anyConnection`: skip the binding check (introspection reports `cnf` instead).
 */
export interface PresentedConnection {
  certificateThumbprint?: () => string | undefined;
  anyConnection?: boolean;
}

/** The credential resolver; see {@link createPrincipalResolver}. */
export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;

/**
 * Turns a credential into a {@link Principal}: a session token (cookie), an
 * access token (JWT) or an API key (both as `Authorization: Bearer`). Every
 * failure is `null`: the caller answers them all alike.
 */
export function createPrincipalResolver(deps: {
  store: Store;
  sessions: SessionService;
  accessTokens: AccessTokens | null;
  apiKeys: ApiKeys;
}) {
  const { store, sessions, accessTokens, apiKeys } = deps;

  async function fromAccessToken(token: string, connection: PresentedConnection): Promise<Principal | null> {
    if (!accessTokens) return null;
    const claims = await accessTokens.verifyAccessToken(token);
    if (!claims) return null;
    // RFC 8705 §3: a certificate-bound token is good only on a connection with that certificate.
    if (
      claims.certificateThumbprint !== undefined &&
      !connection.anyConnection &&
      claims.certificateThumbprint !== connection.certificateThumbprint?.()
    )
      return null;
    if (await store.isTokenIdRevoked(claims.jti)) return null;
    if (claims.sid === undefined) {
      // A service client's own token: no user, only its granted scopes.
      if (claims.sub !== claims.client_id || !(await store.findClientById(claims.client_id))) return null;
      return {
        kind: 'access_token',
        user: null,
        clientId: claims.client_id,
        scopes: claims.scopes ?? [],
        roles: [],
        session: null,
        token: claims,
      };
    }
    // A user's token: its session must still stand (Gatehouse's own guard
    // sees revocation at once; offline verifiers only at expiry).
    const session = await sessions.findSession(claims.sid);
    if (!session || session.userId !== claims.sub) return null;
    const record = await store.findUserById(claims.sub);
    if (!record || record.disabled) return null;
    const user = toUser(record);
    return {
      kind: 'access_token',
      user,
      clientId: claims.client_id,
      scopes: claims.scopes,
      roles: user.roles,
      session,
      token: claims,
    };
  }

  return {
    /** The principal of a session token from a cookie, or `null`. */
    async fromSessionToken(token: string): Promise<Principal | null> {
      const result = await sessions.validateSessionToken(token);
      if (!result) return null;
      return {
        kind: 'session',
        user: result.user,
        clientId: null,
        scopes: null,
        roles: result.user.roles,
        session: result.session,
      };
    },

    /** The principal of a bearer credential (API key or access token), or `null`. */
    async fromBearer(credential: string, connection: PresentedConnection = {}): Promise<Principal | null> {
      if (apiKeys.isApiKey(credential)) {
        const result = await apiKeys.verifyApiKey(credential);
        if (!result) return null;
        return {
          kind: 'api_key',
          user: result.user,
          clientId: null,
          scopes: result.apiKey.scopes,
          roles: result.user.roles,
          session: null,
        };
      }
      return fromAccessToken(credential, connection);
    },
  };
}
