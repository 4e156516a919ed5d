import type { AccessTokenClaims, AccessTokens } from './access-tokens.js';
import type { Actor, AuditLog } from './audit.js';
import type { Client } from './clients.js';
import { GatehouseError } from './errors.js';
import type { PrincipalResolver } from './principals.js';
import type { RefreshTokens } from './refresh-tokens.js';
import { checkRequestedScopes, holdableScopes, INTROSPECT_SCOPE, type ScopeRegistry } from './scope-registry.js';
import type { Session, SessionService } from './sessions.js';
import type { RevocationStore } from './store/index.js';
import type { User, UserService } from './users.js';

/** The `client_id` of tokens issued to signed-in users (a public client: it has no secret). */
export const USER_CLIENT_ID = 'gatehouse';

/** Tokens a grant issued. */
export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  /** The granted scopes (RFC 6749 §5.1 `scope`). */
  scopes: string[];
}

/** A grant refused, with its RFC 6749 §5.2 error. */
export interface GrantRefusal {
  error: 'invalid_grant' | 'invalid_scope' | 'unauthorized_client';
  description: string;
}

/** The outcome of a grant: tokens, or a refusal. */
export type GrantResult = ({ ok: true } & IssuedTokens) | ({ ok: false } & GrantRefusal);

/** The RFC 7662 answer of introspection. */
export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>);

/** A client that authenticated, and the certificate its tokens are bound to when it used one (RFC 8705). */
export type AuthenticatedClient = Client & { boundCertificate?: string };

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
  store: Pick<RevocationStore, 'revokeTokenId'>;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  sessions: SessionService;
  users: UserService;
  scopes: ScopeRegistry;
  principals: PrincipalResolver;
  audit: AuditLog;
  issuer: () => string;
  audience: () => string;
}) {
  const { accessTokens, refreshTokens, sessions, users, scopes, audit } = deps;

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
      const refreshToken = await refreshTokens.issueRefreshToken({
        userId: user.id,
        sessionId: session.id,
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
     * RFC 6749 §6 with rotation (RFC 9700 §4.14): the next refresh token and
     * a new access token, with the scopes first granted that the user may
     * still hold. The refresh counts as activity of its session.
     */
    async refresh(refreshToken: string, origin: { ip?: string | null }): Promise<GrantResult> {
      const grant = await refreshTokens.rotateRefreshToken(
        refreshToken,
        async (id) => (await sessions.findSession(id)) !== null,
      );
      const user = grant ? await users.findUserById(grant.userId) : null;
      const session = grant ? await sessions.findSession(grant.sessionId) : null;
      if (!grant || !user || user.disabled || !session) {
        await audit.record({ type: 'token.refresh_denied', userId: grant?.userId ?? null, ip: origin.ip ?? null });
        return { ok: false, error: 'invalid_grant', description: 'The refresh token is not valid.' };
      }
      await sessions.recordActivity(session.id);
      const holdable = holdableScopes(await scopes.list(), { kind: 'user', roles: user.roles });
      const granted = (grant.scope ?? '').split(' ').filter((scope) => scope !== '' && holdable.includes(scope));
      const { token, expiresIn, jti } = await issueForUser(user, session, granted);
      await audit.record({
        type: 'token.issue',
        actor: user.id,
        userId: user.id,
        ip: origin.ip ?? null,
        detail: { grant: 'refresh_token', sessionId: session.id, jti },
      });
      return { ok: true, accessToken: token, expiresIn, refreshToken: grant.refreshToken, scopes: granted };
    },

    /**
     * RFC 7009: ends a refresh token's family, or an access token by its
     * `jti`. A user token's holder may revoke it; a service client's token
     * only that client. An unknown or invalid token is no error (§2.2).
     */
    async revoke(
      token: string,
      client: AuthenticatedClient | null,
      origin: { ip?: string | null },
    ): Promise<{ ok: true } | ({ ok: false } & GrantRefusal)> {
      if (await refreshTokens.revokeRefreshToken(token)) {
        await audit.record({
          type: 'token.revoke',
          actor: client?.id ?? null,
          ip: origin.ip ?? null,
          detail: { kind: 'refresh_token' },
        });
        return { ok: true };
      }
      const claims = await accessTokens.verifyAccessToken(token);
      if (!claims) return { ok: true };
      if (claims.client_id !== USER_CLIENT_ID && claims.client_id !== client?.id) {
        return { ok: false, error: 'unauthorized_client', description: 'The token was not issued to this client.' };
      }
      await deps.store.revokeTokenId(claims.jti, claims.exp * 1000);
      await audit.record({
        type: 'token.revoke',
        actor: client?.id ?? claims.sub,
        userId: claims.sid ? claims.sub : null,
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
