import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { grantScopes } from '../../core/scopes.js';
import { useStrictBodyParsers } from '../body-parsers.js';
import { authenticateClient } from '../client-auth.js';
import { handleOAuthError, OAuthError } from '../oauth-errors.js';
import type { RouteContext } from '../plugin.js';
import type { RouteDocs } from '../openapi.js';
import { AUTH_BODY_LIMIT } from '../schemas.js';

/** The `client_id` of tokens issued to signed-in users (a public client: it has no secret). */
export const USER_CLIENT_ID = 'gatehouse';

const Param = Type.String({ minLength: 1, maxLength: 8192 });
// RFC 6749 §3.2: parameters sent without a value are treated as omitted; unknown ones are ignored.
const TokenBody = Type.Object({
  grant_type: Param,
  scope: Type.Optional(Type.String({ maxLength: 4096 })),
  refresh_token: Type.Optional(Param),
  client_id: Type.Optional(Param),
  client_secret: Type.Optional(Param),
  client_assertion: Type.Optional(Param),
  client_assertion_type: Type.Optional(Param),
});
const TokenParamBody = Type.Object({
  token: Param,
  token_type_hint: Type.Optional(Param),
  client_id: Type.Optional(Param),
  client_secret: Type.Optional(Param),
  client_assertion: Type.Optional(Param),
  client_assertion_type: Type.Optional(Param),
});

/** OpenAPI: form bodies, client authentication (or none: a public client, a refresh token), RFC 6749 errors. */
const OAUTH_DOCS = {
  tags: ['oauth'],
  consumes: ['application/x-www-form-urlencoded'],
  security: [{ client: [] }, {}] as Record<string, string[]>[],
  'x-problems': ['OAuthError400', 'OAuthError401'],
} satisfies RouteDocs & Record<string, unknown>;

function noStore(reply: FastifyReply): FastifyReply {
  // RFC 6749 §5.1: token responses must not be cached.
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** `/oauth/token` (RFC 6749), `/oauth/revoke` (RFC 7009), `/oauth/introspect` (RFC 7662). Form bodies only. */
export function registerOAuthRoutes(app: FastifyInstance, { core, rateLimit }: RouteContext): void {
  const tokens = core.tokens!;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(handleOAuthError);
  // RFC 6749 §3.2: the token endpoint takes application/x-www-form-urlencoded.
  useStrictBodyParsers(app, { json: false });

  routes.post(
    '/oauth/token',
    {
      config: { rateLimit },
      schema: { ...OAUTH_DOCS, summary: 'Issue tokens: client_credentials, refresh_token (RFC 6749)', body: TokenBody },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const body = request.body;
      if (body.grant_type === 'client_credentials') {
        const client = await authenticateClient(request, body, core);
        if (!client) throw new OAuthError('invalid_client', 'Client authentication failed.');
        const scopes = grantScopes(body.scope, client.scopes);
        // RFC 8705 §3: a client that authenticated with its certificate gets tokens bound to it.
        const { token, expiresIn, jti } = await tokens.accessTokens.issueAccessToken({
          sub: client.id,
          clientId: client.id,
          scopes,
          certificateThumbprint: client.boundCertificate,
        });
        await core.audit.record({
          type: 'token.issue',
          actor: client.id,
          ip: request.ip,
          detail: {
            grant: 'client_credentials',
            clientId: client.id,
            jti,
            scope: scopes.join(' '),
            ...(client.boundCertificate && { boundToCertificate: true }),
          },
        });
        return noStore(reply).send({
          access_token: token,
          token_type: 'Bearer',
          expires_in: expiresIn,
          scope: scopes.join(' '),
        });
      }
      if (body.grant_type === 'refresh_token') {
        if (body.refresh_token === undefined) throw new OAuthError('invalid_request', 'refresh_token is required.');
        // Refresh tokens belong to the public user client; a service client's credentials have no business here.
        if (
          (body.client_id !== undefined && body.client_id !== USER_CLIENT_ID) ||
          (await authenticateClient(request, body, core))
        ) {
          throw new OAuthError('invalid_grant', 'The refresh token is not valid.');
        }
        const grant = await core.refreshTokens.rotateRefreshToken(
          body.refresh_token,
          async (id) => (await core.sessions.findSession(id)) !== null,
        );
        const user = grant ? await core.users.findUserById(grant.userId) : null;
        if (!grant || !user || user.disabled) {
          await core.audit.record({ type: 'token.refresh_denied', userId: grant?.userId ?? null, ip: request.ip });
          throw new OAuthError('invalid_grant', 'The refresh token is not valid.');
        }
        const scopes = grant.scope === null ? null : grant.scope.split(' ').filter(Boolean);
        const { token, expiresIn, jti } = await tokens.accessTokens.issueAccessToken({
          sub: user.id,
          clientId: USER_CLIENT_ID,
          scopes,
          roles: user.roles,
          sid: grant.sessionId,
        });
        await core.audit.record({
          type: 'token.issue',
          actor: user.id,
          userId: user.id,
          ip: request.ip,
          detail: { grant: 'refresh_token', sessionId: grant.sessionId, jti },
        });
        return noStore(reply).send({
          access_token: token,
          token_type: 'Bearer',
          expires_in: expiresIn,
          refresh_token: grant.refreshToken,
          ...(scopes !== null && { scope: scopes.join(' ') }),
        });
      }
      throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials or refresh_token.');
    },
  );

  routes.post(
    '/oauth/revoke',
    {
      config: { rateLimit },
      schema: {
        ...OAUTH_DOCS,
        summary: 'Revoke a refresh token (RFC 7009)',
        'x-success': [200, 'Revoked, or not a token of this client: the answer is the same (RFC 7009 §2.2)'],
        body: TokenParamBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const client = await authenticateClient(request, request.body, core);
      const { token } = request.body;
      if (await core.refreshTokens.revokeRefreshToken(token)) {
        await core.audit.record({
          type: 'token.revoke',
          actor: client?.id ?? null,
          ip: request.ip,
          detail: { kind: 'refresh_token' },
        });
        return noStore(reply).code(200).send();
      }
      const claims = await tokens.accessTokens.verifyAccessToken(token);
      if (claims) {
        // A user token's holder may revoke it; a service client's token only that client.
        if (claims.client_id !== USER_CLIENT_ID && claims.client_id !== client?.id) {
          throw new OAuthError('unauthorized_client', 'The token was not issued to this client.');
        }
        await core.store.revokeTokenId(claims.jti, claims.exp * 1000);
        await core.audit.record({
          type: 'token.revoke',
          actor: client?.id ?? claims.sub,
          userId: claims.sid ? claims.sub : null,
          ip: request.ip,
          detail: { kind: 'access_token', jti: claims.jti },
        });
      }
      // RFC 7009 §2.2: an unknown or already invalid token is answered 200 too.
      return noStore(reply).code(200).send();
    },
  );

  routes.post(
    '/oauth/introspect',
    {
      config: { rateLimit },
      schema: {
        ...OAUTH_DOCS,
        summary: 'Is a token active, and for whom (RFC 7662)',
        security: [{ client: [] }],
        body: TokenParamBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const client = await authenticateClient(request, request.body, core);
      if (!client) throw new OAuthError('invalid_client', 'Client authentication failed.');
      // The resource server asking holds the connection, not us: report the binding (RFC 8705 §3.2) rather than check it.
      const principal = await core.principals.fromBearer(request.body.token, { anyConnection: true });
      noStore(reply);
      if (!principal) return { active: false };
      const common = {
        active: true,
        token_type: principal.kind === 'api_key' ? 'api_key' : 'Bearer',
        sub: principal.user?.id ?? principal.clientId,
        ...(principal.user && { username: principal.user.username, roles: principal.roles }),
        ...(principal.scopes !== null && { scope: principal.scopes.join(' ') }),
      };
      if (principal.token) {
        const claims = principal.token;
        return {
          ...common,
          client_id: claims.client_id,
          exp: claims.exp,
          iat: claims.iat,
          jti: claims.jti,
          iss: tokens.issuer(),
          aud: tokens.audience(),
          ...(claims.certificateThumbprint && { cnf: { 'x5t#S256': claims.certificateThumbprint } }),
        };
      }
      return common;
    },
  );
}
