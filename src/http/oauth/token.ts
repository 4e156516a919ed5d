import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { GrantResult } from '../../core/grants/index.js';
import { useStrictBodyParsers } from '../body-parsers.js';
import { authenticateClient, type ClientAuthParameters } from './client-auth.js';
import { anyOrigin, answerPreflights } from '../cors.js';
import { handleOAuthError, OAuthError } from './errors.js';
import { BY_CLIENT } from '../rate-limit.js';
import type { RouteContext } from '../route-context.js';
import type { RouteDocs } from '../openapi.js';
import { AUTH_BODY_LIMIT } from '../schemas.js';

export { USER_CLIENT_ID } from '../../core/grants/index.js';

const Param = Type.String({ minLength: 1, maxLength: 8192 });
// RFC 6749 §3.2: parameters sent without a value are treated as omitted; unknown ones are ignored.
const TokenBody = Type.Object({
  grant_type: Param,
  scope: Type.Optional(Type.String({ maxLength: 4096 })),
  refresh_token: Type.Optional(Param),
  code: Type.Optional(Param),
  redirect_uri: Type.Optional(Param),
  code_verifier: Type.Optional(Param),
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

/** The RFC 6749 §5.1 answer of a grant, or its §5.2 error. */
function sendGrant(reply: FastifyReply, result: GrantResult): FastifyReply {
  if (!result.ok) throw new OAuthError(result.error, result.description);
  return noStore(reply).send({
    access_token: result.accessToken,
    token_type: 'Bearer',
    expires_in: result.expiresIn,
    ...(result.refreshToken !== undefined && { refresh_token: result.refreshToken }),
    ...(result.idToken !== undefined && { id_token: result.idToken }),
    scope: result.scopes.join(' '),
  });
}

/**
 * `/oauth/token` (RFC 6749), `/oauth/revoke` (RFC 7009), `/oauth/introspect`
 * (RFC 7662). Form bodies only. Each authenticates the client, calls the
 * core's grant and answers its value as RFC 6749 JSON.
 */
export function registerOAuthRoutes(app: FastifyInstance, { core, rateLimits }: RouteContext): void {
  const grants = core.grants!;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(handleOAuthError);
  // RFC 6749 §3.2: the token endpoint takes application/x-www-form-urlencoded.
  useStrictBodyParsers(app, { json: false });
  // Browser apps (code + PKCE) redeem codes and refresh from their own origin.
  answerPreflights(app, ['/oauth/token', '/oauth/revoke']);

  // Charged to the address until the client authenticates, then to the client (issue #15).
  const authenticated = async (request: FastifyRequest, body: ClientAuthParameters) => {
    const client = await authenticateClient(request, body, core);
    if (client) await rateLimits.chargeClient(request, client.id);
    return client;
  };

  routes.post(
    '/oauth/token',
    {
      config: { rateLimit: BY_CLIENT },
      onRequest: anyOrigin,
      schema: {
        ...OAUTH_DOCS,
        summary: 'Issue tokens: client_credentials, authorization_code with PKCE, refresh_token (RFC 6749)',
        body: TokenBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const body = request.body;
      if (body.grant_type === 'client_credentials') {
        const client = await authenticated(request, body);
        if (!client) throw new OAuthError('invalid_client', 'Client authentication failed.');
        return sendGrant(reply, await grants.clientCredentials(client, body.scope, { ip: request.ip }));
      }
      if (body.grant_type === 'authorization_code') {
        const caller = { client: await authenticated(request, body), clientId: body.client_id };
        const input = { code: body.code, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier };
        return sendGrant(reply, await grants.authorizationCode(caller, input, { ip: request.ip }));
      }
      if (body.grant_type === 'refresh_token') {
        if (body.refresh_token === undefined) throw new OAuthError('invalid_request', 'refresh_token is required.');
        const caller = { client: await authenticated(request, body), clientId: body.client_id };
        return sendGrant(reply, await grants.refresh(body.refresh_token, caller, { ip: request.ip }));
      }
      throw new OAuthError(
        'unsupported_grant_type',
        'grant_type must be client_credentials, authorization_code or refresh_token.',
      );
    },
  );

  routes.post(
    '/oauth/revoke',
    {
      config: { rateLimit: BY_CLIENT },
      onRequest: anyOrigin,
      schema: {
        ...OAUTH_DOCS,
        summary: 'Revoke a refresh token or access token (RFC 7009)',
        'x-success': [200, 'Revoked, or not a token of this client: the answer is the same (RFC 7009 §2.2)'],
        body: TokenParamBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const caller = {
        client: await authenticated(request, request.body),
        clientId: request.body.client_id,
      };
      const revoked = await grants.revoke(request.body.token, caller, { ip: request.ip });
      if (!revoked.ok) throw new OAuthError(revoked.error, revoked.description);
      // RFC 7009 §2.2: an unknown or already invalid token is answered 200 too.
      return noStore(reply).code(200).send();
    },
  );

  routes.post(
    '/oauth/introspect',
    {
      config: { rateLimit: BY_CLIENT },
      schema: {
        ...OAUTH_DOCS,
        summary: 'Is a token active, and for whom (RFC 7662; clients with the introspect scope)',
        security: [{ client: [] }],
        body: TokenParamBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const client = await authenticated(request, request.body);
      if (!client) throw new OAuthError('invalid_client', 'Client authentication failed.');
      const answer = await grants.introspect(request.body.token, client);
      // RFC 7662 §2.3: a client not allowed to introspect is refused; 403 with the scope it lacks (RFC 6750 §3.1).
      if (answer === null) throw new OAuthError('insufficient_scope', 'Introspection needs the introspect scope.');
      return noStore(reply).send(answer);
    },
  );
}
