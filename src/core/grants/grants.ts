import {
  type AccessTokenClaims,
  type AccessTokens,
  type GrantRefusal,
  type GrantResult,
  type IssuedTokens,
  type RefreshTokens,
  USER_CLIENT_ID,
} from '../tokens/index.js';
import type { Actor, AuditLog } from '../audit/index.js';
import type { Client, ClientService } from '../clients/index.js';
import type { CodeGrant } from '../oidc/index.js';
import type { Consents } from '../consents/index.js';
import { GatehouseError } from '../errors/index.js';
import type { PrincipalResolver } from '../principals/index.js';
import { checkRequestedScopes, holdableScopes, INTROSPECT_SCOPE, type ScopeRegistry } from '../scopes/index.js';
import type { Session, SessionService } from '../sessions/index.js';
import type { ClientStore, RevocationStore } from '../store/index.js';
import type { User, UserService } from '../users/index.js';

export { USER_CLIENT_ID };
export type { GrantRefusal, GrantResult, IssuedTokens };

/** The RFC 7662 answer of introspection. */
export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>);

/** A client that authenticated, and the certificate its tokens are bound to when it used one (RFC 8705). */
export type AuthenticatedClient = Client & { boundCertificate?: string };

/**
 * Who calls the token endpoint: the client that authenticated, if any, and
 * the `client_id` parameter (how a public client, which has no credential,
 * names itself; absent or `gatehouse` for a user's own refresh token).
 */
export interface TokenCaller {
  client: AuthenticatedClient | null;
  clientId?: string;
}

/** The client a token request is made by: an app or service, or `null` for the user client `gatehouse`. */
type Requester = { ok: true; client: Client | null } | ({ ok: false } & GrantRefusal);

/** The token grants; see {@link createGrants}. */
export type Grants = ReturnType<typeof createGrants>;

const invalidScope = (error: unknown): GrantResult => ({
  ok: false,
  error: 'invalid_scope',
  description: error instanceof GatehouseError ? error.message : 'The scope is not valid.',
});

/**
 * Every way Gatehouse issues, refreshes, revokes and describes tokens, as
 * core operations that return values: the OAuth handlers only turn them
 * into RFC 6749 JSON. Scopes are granted only from the registry, to a
 * holder who may hold them (a token carries no more than it was granted,
 * and what it was granted still counts only while its holder may hold it).
 */
export function createGrants(deps: {
  store: Pick<RevocationStore, 'revokeTokenId'> & Pick<ClientStore, 'findClientById'>;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  sessions: SessionService;
  users: UserService;
  scopes: ScopeRegistry;
  principals: PrincipalResolver;
  clients: ClientService;
  consents: Consents;
  codeGrant: CodeGrant;
  audit: AuditLog;
  issuer: () => string;
  audience: () => string;
}) {
  const { accessTokens, refreshTokens, sessions, users, scopes, audit } = deps;

  /**
   * The client behind a token request: the one that authenticated; or a
   * public client named by `client_id` (it has no credential, RFC 6749
   * §2.1); or none (the user client). A confidential client that only names
   * itself has not authenticated: `invalid_client`.
   */
  async function identify(caller: TokenCaller): Promise<Requester> {
    if (caller.client) {
      if (caller.clientId !== undefined && caller.clientId !== caller.client.id) {
        return { ok: false, error: 'invalid_client', description: 'client_id is not the client that authenticated.' };
      }
      return { ok: true, client: caller.client };
    }
    if (caller.clientId === undefined || caller.clientId === USER_CLIENT_ID) return { ok: true, client: null };
    const record = caller.clientId.length <= 64 ? await deps.store.findClientById(caller.clientId) : null;
    if (record?.type !== 'public') {
      return { ok: false, error: 'invalid_client', description: 'Client authentication failed.' };
    }
    return { ok: true, client: (await deps.clients.findClient(record.id))! };
  }

  async function issueForUser(user: User, session: Session, granted: string[]) {
    return accessTokens.issueAccessToken({
      sub: user.id,
      clientId: USER_CLIENT_ID,
      scopes: granted,
      roles: user.roles,
      sid: session.id,
    });
  }

  return {
    /**
     * `POST /token`: a signed-in user's access token and refresh token, bound
     * to the session. The requested scopes must be ones the user may hold;
     * none requested, none granted (least privilege).
     */
    async issueSessionTokens(
      signedIn: { user: User; session: Session },
      requestedScope: string | undefined,
      actor: Actor,
    ): Promise<GrantResult> {
      const { user, session } = signedIn;
      let granted: string[];
      try {
        const holdable = holdableScopes(await scopes.list(), { kind: 'user', roles: user.roles });
        granted = checkRequestedScopes(requestedScope ?? '', holdable, 'user');
      } catch (error) {
        return invalidScope(error);
      }
      const { token, expiresIn, jti } = await issueForUser(user, session, granted);
      const { token: refreshToken } = await refreshTokens.issueRefreshToken({
        userId: user.id,
        sessionId: session.id,
        clientId: USER_CLIENT_ID,
        scope: granted.join(' '),
        // A refresh token never outlives the session it came from.
        expiresAt: session.absoluteExpiresAt,
      });
      await audit.record({
        type: 'token.issue',
        ...audit.from(actor),
        userId: user.id,
        detail: { grant: 'session', sessionId: session.id, jti, scope: granted.join(' ') },
      });
      return { ok: true, accessToken: token, expiresIn, refreshToken, scopes: granted };
    },

    /**
     * RFC 6749 §4.4: a service client's own token, with the requested scopes
     * (each registered to it) or all of its scopes; bound to its certificate
     * when it authenticated with one (RFC 8705 §3).
     */
    async clientCredentials(
      client: AuthenticatedClient,
      requestedScope: string | undefined,
      origin: { ip?: string | null },
    ): Promise<GrantResult> {
      if (!client.grantTypes.includes('client_credentials')) {
        return { ok: false, error: 'unauthorized_client', description: 'This client does not use client_credentials.' };
      }
      const available = holdableScopes(await scopes.list(), { kind: 'client' }).filter((scope) =>
        client.scopes.includes(scope),
      );
      let granted: string[];
      try {
        const none = requestedScope === undefined || requestedScope.trim() === '';
        granted = none ? available : checkRequestedScopes(requestedScope, available, 'client');
      } catch (error) {
        return invalidScope(error);
      }
      const { token, expiresIn, jti } = await accessTokens.issueAccessToken({
        sub: client.id,
        clientId: client.id,
        scopes: granted,
        certificateThumbprint: client.boundCertificate,
      });
      await audit.record({
        type: 'token.issue',
        actor: client.id,
        ip: origin.ip ?? null,
        detail: {
          grant: 'client_credentials',
          clientId: client.id,
          jti,
          scope: granted.join(' '),
          ...(client.boundCertificate && { boundToCertificate: true }),
        },
      });
      return { ok: true, accessToken: token, expiresIn, scopes: granted };
    },

    /**
     * RFC 6749 §4.1.3: an app's authorization code for tokens (see
     * {@link CodeGrant}); a public app names itself with `client_id`.
     */
    async authorizationCode(
      caller: TokenCaller,
      input: { code?: string; redirectUri?: string; codeVerifier?: string },
      origin: { ip?: string | null },
    ): Promise<GrantResult> {
      const requester = await identify(caller);
      if (!requester.ok) return requester;
      if (!requester.client) {
        return { ok: false, error: 'invalid_client', description: 'An authorization code is redeemed by its app.' };
      }
      return deps.codeGrant.redeem(
        requester.client,
        { code: input.code, redirectUri: input.redirectUri, codeVerifier: input.codeVerifier },
        origin,
      );
    },

    /**
     * RFC 6749 §6 with rotation (RFC 9700 §4.14): the next refresh token and
     * a new access token, with the scopes first granted that the user may
     * still hold. A refresh token is bound to its client: the user client
     * (`POST /token`) or the app it was issued to. Session-bound tokens
     * count as activity of their session and end with it; an app's
     * `offline_access` tokens stand on the user's consent instead.
     */
    async refresh(refreshToken: string, caller: TokenCaller, origin: { ip?: string | null }): Promise<GrantResult> {
      const requester = await identify(caller);
      if (!requester.ok) return requester;
      const app = requester.client;
      if (app && !app.grantTypes.includes('refresh_token')) {
        return { ok: false, error: 'unauthorized_client', description: 'This client does not use refresh tokens.' };
      }
      const grant = await refreshTokens.rotateRefreshToken(refreshToken, {
        clientId: app?.id ?? USER_CLIENT_ID,
        // An app's token stands on its grant: the consent it was issued under, not a later one.
        isLive: async (record) =>
          (app === null || (await deps.consents.find(record.userId, app.id))?.grantId === record.grantId) &&
          (record.sessionId === null ? app !== null : (await sessions.findSession(record.sessionId)) !== null),
      });
      const user = grant ? await users.findUserById(grant.userId) : null;
      const session = grant?.sessionId ? await sessions.findSession(grant.sessionId) : null;
      // Read again after the rotation: a grant that ended meanwhile has deleted its tokens, or will.
      const consent = grant && app ? await deps.consents.find(grant.userId, app.id) : null;
      const ended = app !== null && (!consent || consent.grantId !== grant?.grantId);
      if (!grant || !user || user.disabled || (grant.sessionId !== null && !session) || ended) {
        await audit.record({ type: 'token.refresh_denied', userId: grant?.userId ?? null, ip: origin.ip ?? null });
        return { ok: false, error: 'invalid_grant', description: 'The refresh token is not valid.' };
      }
      if (session) await sessions.recordActivity(session.id);
      const holdable = holdableScopes(await scopes.list(), { kind: app ? 'app' : 'user', roles: user.roles });
      const granted = (grant.scope ?? '')
        .split(' ')
        .filter((scope) => scope !== '' && holdable.includes(scope) && (!consent || consent.scopes.includes(scope)));
      const { token, expiresIn, jti } = await accessTokens.issueAccessToken({
        sub: user.id,
        clientId: app?.id ?? USER_CLIENT_ID,
        scopes: granted,
        roles: user.roles,
        sid: session?.id,
        ...(consent && { grantId: consent.grantId }),
      });
      await audit.record({
        type: 'token.issue',
        actor: app?.id ?? user.id,
        userId: user.id,
        ip: origin.ip ?? null,
        detail: { grant: 'refresh_token', sessionId: session?.id ?? null, jti, ...(app && { clientId: app.id }) },
      });
      return { ok: true, accessToken: token, expiresIn, refreshToken: grant.refreshToken, scopes: granted };
    },

    /**
     * RFC 7009: ends a refresh token's family, or an access token by its
     * `jti`. A user token's holder may revoke it; a client's (or an app's)
     * token only that client. An unknown or invalid token is no error (§2.2).
     */
    async revoke(
      token: string,
      caller: TokenCaller,
      origin: { ip?: string | null },
    ): Promise<{ ok: true } | ({ ok: false } & GrantRefusal)> {
      const requester = await identify(caller);
      if (!requester.ok) return requester;
      const requesterId = requester.client?.id ?? null;
      const mayRevoke = (clientId: string) => clientId === USER_CLIENT_ID || clientId === requesterId;
      const notTheirs: GrantRefusal = {
        error: 'unauthorized_client',
        description: 'The token was not issued to this client.',
      };
      const refreshClient = await refreshTokens.revokeRefreshToken(token, mayRevoke);
      if (refreshClient !== null) {
        if (!mayRevoke(refreshClient)) return { ok: false, ...notTheirs };
        await audit.record({
          type: 'token.revoke',
          actor: requesterId,
          ip: origin.ip ?? null,
          detail: { kind: 'refresh_token' },
        });
        return { ok: true };
      }
      const claims = await accessTokens.verifyAccessToken(token);
      if (!claims) return { ok: true };
      if (!mayRevoke(claims.client_id)) return { ok: false, ...notTheirs };
      await deps.store.revokeTokenId(claims.jti, claims.exp * 1000);
      await audit.record({
        type: 'token.revoke',
        actor: requesterId ?? claims.sub,
        userId: claims.sub !== claims.client_id ? claims.sub : null,
        ip: origin.ip ?? null,
        detail: { kind: 'access_token', jti: claims.jti },
      });
      return { ok: true };
    },

    /**
     * RFC 7662 for a client holding the `introspect` scope: whether a token
     * or API key is active, and for whom. A client without it is refused
     * (`null`): token holders' names and roles are not every client's business.
     */
    async introspect(token: string, client: AuthenticatedClient): Promise<Introspection | null> {
      const mayIntrospect = holdableScopes(await scopes.list(), { kind: 'client' }).includes(INTROSPECT_SCOPE);
      if (!mayIntrospect || !client.scopes.includes(INTROSPECT_SCOPE)) return null;
      // The resource server asking holds the connection, not us: report the binding (RFC 8705 §3.2) rather than check it.
      const principal = await deps.principals.fromBearer(token, { anyConnection: true });
      if (!principal) return { active: false };
      const common = {
        active: true as const,
        token_type: principal.credential === 'api_key' ? 'api_key' : 'Bearer',
        sub: principal.user?.id ?? principal.clientId,
        ...(principal.user && { username: principal.user.username, roles: principal.roles }),
        scope: principal.scopes.join(' '),
      };
      if (!principal.token) return common;
      const claims: AccessTokenClaims = principal.token;
      return {
        ...common,
        client_id: claims.client_id,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        iss: deps.issuer(),
        aud: deps.audience(),
        ...(claims.certificateThumbprint && { cnf: { 'x5t#S256': claims.certificateThumbprint } }),
      };
    },
  };
}
