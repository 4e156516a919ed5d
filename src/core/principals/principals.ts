import { type AccessTokenClaims, type AccessTokens, type ApiKeys, USER_CLIENT_ID } from '../tokens/index.js';
import type { Authorizable, CredentialKind, PresentedCredential } from '../authorization/index.js';
import { DEFAULT_BASIC_AUTH_MODE, type BasicAuth, type BasicAuthMode, checkFailureError } from '../sign-in/index.js';
import { holdableScopes, type ScopeHolder, type ScopeRegistry } from '../scopes/index.js';
import type { SessionService, Session, SessionOrigin } from '../sessions/index.js';
import type { ClientStore, ConsentStore, RevocationStore, UserStore } from '../store/index.js';
import { toUser, type User } from '../users/index.js';
import { certificateBindingHolds, isServiceClientToken } from '../jwt/index.js';

/** Who a request acts for, whatever credential it carried. */
export interface Principal extends Authorizable {
  /** The credential that authenticated it (see {@link CredentialKind}). */
  credential: CredentialKind;
  /** The user, or `null` for a service client acting as itself. */
  user: User | null;
  /** The OAuth client the credential was issued to or is, if any. */
  clientId: string | null;
  /**
   * The scopes the credential holds now: for a person (session, Basic
   * password) every scope they may hold; for an API key or token what it
   * carries, less what its holder may no longer hold; for a service client,
   * what it carries within its registration. Never "everything".
   */
  scopes: string[];
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

/** Where a request came from and over what, for credentials that need it. */
export interface ResolveContext {
  /** Who may use HTTP Basic. Default `clients`. */
  basicAuth?: BasicAuthMode;
  connection?: PresentedConnection;
  /** For throttling and auditing a user's Basic password. */
  origin?: SessionOrigin;
}

/** The credential resolver; see {@link createPrincipalResolver}. */
export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;

/**
 * Turns a presented credential into a {@link Principal}: a session token
 * (cookie), an access token or API key (`Authorization: Bearer`), or Basic
 * credentials. Every failure is `null`: the caller answers them all alike.
 * The scopes of every principal are computed here, once, from the scope
 * registry and the holder's roles now.
 */
export function createPrincipalResolver(deps: {
  store: Pick<UserStore, 'findUserById'> &
    Pick<RevocationStore, 'isTokenIdRevoked'> &
    Pick<ClientStore, 'findClientById'> &
    Pick<ConsentStore, 'findConsent'>;
  sessions: SessionService;
  accessTokens: AccessTokens | null;
  apiKeys: ApiKeys;
  basicAuth: BasicAuth;
  scopes: ScopeRegistry;
}) {
  const { store, sessions, accessTokens, apiKeys, basicAuth } = deps;

  /**
   * The scopes `holder` may hold now; with `carried`, only those of them it carries, and with
   * `issuedAt` (ms) only those that existed then: a scope removed and added again is not the one it carries.
   */
  async function effectiveScopes(
    holder: ScopeHolder,
    carried?: readonly string[],
    issuedAt?: number,
  ): Promise<string[]> {
    const holdable = holdableScopes(await deps.scopes.list(), holder, { issuedAt });
    return carried === undefined ? holdable : holdable.filter((scope) => carried.includes(scope));
  }

  async function asPerson(
    credential: 'session' | 'basic_user',
    user: User,
    session: Session | null,
  ): Promise<Principal> {
    const scopes = await effectiveScopes({ kind: 'user', roles: user.roles });
    return { credential, user, clientId: null, scopes, roles: user.roles, session };
  }

  async function asClient(
    credential: 'client_token' | 'basic_client',
    client: { id: string; scopes: readonly string[] },
    carried: readonly string[],
    issuedAt?: number,
  ): Promise<Omit<Principal, 'token'>> {
    const registered = carried.filter((scope) => client.scopes.includes(scope));
    const scopes = await effectiveScopes({ kind: 'client' }, registered, issuedAt);
    return { credential, user: null, clientId: client.id, scopes, roles: [], session: null };
  }

  async function fromAccessToken(token: string, connection: PresentedConnection): Promise<Principal | null> {
    if (!accessTokens) return null;
    const claims = await accessTokens.verifyAccessToken(token);
    if (!claims) return null;
    // RFC 8705 §3: a certificate-bound token is good only on a connection with that certificate.
    if (!connection.anyConnection && !certificateBindingHolds(claims, () => connection.certificateThumbprint?.())) {
      return null;
    }
    if (await store.isTokenIdRevoked(claims.jti)) return null;
    if (isServiceClientToken(claims)) {
      // A service client's own token: no user, only scopes within its registration now.
      const client = await store.findClientById(claims.client_id);
      if (!client) return null;
      return { ...(await asClient('client_token', client, claims.scopes, claims.iat * 1000)), token: claims };
    }
    // A user's token: its session must still stand (Gatehouse's own guard
    // sees revocation at once; offline verifiers only at expiry). An app's
    // token stands on the user's consent too, and only on the grant it came
    // from (`gid`: a grant ended, or a consent revoked and given again, is
    // not the token's); with offline_access, on that alone (it has no session).
    const app = claims.client_id !== USER_CLIENT_ID;
    if (!app && claims.sid === undefined) return null;
    const session = claims.sid === undefined ? null : await sessions.findSession(claims.sid);
    if (claims.sid !== undefined && (!session || session.userId !== claims.sub)) return null;
    const consent = app ? await store.findConsent(claims.sub, claims.client_id) : null;
    if (app && (!consent || claims.gid === undefined || claims.gid !== consent.grantId)) return null;
    const record = await store.findUserById(claims.sub);
    if (!record || record.disabled) return null;
    const user = toUser(record);
    // Never beyond the consent it came from, whatever it carries.
    const carried = consent ? claims.scopes.filter((scope) => consent.scopes.includes(scope)) : claims.scopes;
    const holder: ScopeHolder = { kind: app ? 'app' : 'user', roles: user.roles };
    const scopes = await effectiveScopes(holder, carried, claims.iat * 1000);
    return {
      credential: 'user_token',
      user,
      clientId: claims.client_id,
      scopes,
      roles: user.roles,
      session,
      token: claims,
    };
  }

  async function fromSessionToken(token: string): Promise<Principal | null> {
    const result = await sessions.validateSessionToken(token);
    return result && asPerson('session', result.user, result.session);
  }

  async function fromBearer(credential: string, connection: PresentedConnection = {}): Promise<Principal | null> {
    if (!apiKeys.isApiKey(credential)) return fromAccessToken(credential, connection);
    const result = await apiKeys.verifyApiKey(credential);
    if (!result) return null;
    const { user, apiKey } = result;
    const scopes = await effectiveScopes({ kind: 'user', roles: user.roles }, apiKey.scopes, apiKey.createdAt);
    return { credential: 'api_key', user, clientId: null, scopes, roles: user.roles, session: null };
  }

  /**
   * The principal of Basic credentials.
   * @throws {GatehouseError} `ERR_THROTTLED`, `ERR_BUSY` for a user's password, as a sign-in would answer.
   */
  async function fromBasic(
    mode: BasicAuthMode,
    credentials: { username: string; password: string },
    origin: SessionOrigin = {},
  ): Promise<Principal | null> {
    const subject = await basicAuth.authenticate(mode, credentials, origin);
    if ('kind' in subject) {
      if (subject.kind === 'client') return asClient('basic_client', subject.client, subject.client.scopes);
      return asPerson('basic_user', toUser(subject.record), null);
    }
    // Every kind of wrong is one 401; throttling and a full hash queue answer as themselves.
    if (subject.status === 'refused') return null;
    throw checkFailureError(subject);
  }

  return {
    fromSessionToken,
    fromBearer,
    fromBasic,

    /**
     * The principal of whatever credential a request presented, or `null`.
     * @throws {GatehouseError} `ERR_THROTTLED`, `ERR_BUSY` (a user's Basic password), `ERR_UNAVAILABLE` (the database).
     */
    resolve(presented: PresentedCredential, context: ResolveContext = {}): Promise<Principal | null> {
      switch (presented.kind) {
        case 'cookie':
          return fromSessionToken(presented.token);
        case 'bearer':
          return fromBearer(presented.token, context.connection);
        case 'basic':
          return fromBasic(context.basicAuth ?? DEFAULT_BASIC_AUTH_MODE, presented, context.origin);
        default:
          return Promise.resolve(null);
      }
    },
  };
}
