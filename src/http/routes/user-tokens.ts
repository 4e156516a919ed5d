import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { parseScopes } from '../../core/scopes.js';
import { signedIn, type RouteContext } from '../plugin.js';
import { AUTH_BODY_LIMIT, UserTokenBody } from '../schemas.js';
import { USER_CLIENT_ID } from './oauth.js';
import { auditRequest } from '../audit.js';

/**
 * `POST /token`: a signed-in user (session cookie) gets an access token and
 * a refresh token bound to that session, for calling APIs from code. With
 * `scope`, the access token is limited to those scopes.
 */
export function registerUserTokenRoutes(app: FastifyInstance, { core, guards, rateLimit }: RouteContext): void {
  const tokens = core.tokens!;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    '/token',
    {
      config: { rateLimit },
      // An empty POST is the common case: validate it as an empty object.
      preValidation: [guards.requireSession(), async (request) => void (request.body ??= {})],
      schema: { tags: ['account'], summary: 'An access token and refresh token for this session', body: UserTokenBody },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const { user, session } = signedIn(request);
      const requested = request.body.scope;
      const scopes = requested === undefined || requested.trim() === '' ? null : parseScopes(requested);
      const { token, expiresIn } = await tokens.accessTokens.issueAccessToken({
        sub: user.id,
        clientId: USER_CLIENT_ID,
        scopes,
        roles: user.roles,
        sid: session.id,
      });
      const refreshToken = await core.refreshTokens.issueRefreshToken({
        userId: user.id,
        sessionId: session.id,
        scope: scopes === null ? null : scopes.join(' '),
        // A refresh token never outlives the session it came from.
        expiresAt: session.absoluteExpiresAt,
      });
      await auditRequest(core, request, {
        type: 'token.issue',
        userId: user.id,
        detail: { grant: 'session', sessionId: session.id, scope: scopes === null ? null : scopes.join(' ') },
      });
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return {
        access_token: token,
        token_type: 'Bearer',
        expires_in: expiresIn,
        refresh_token: refreshToken,
        ...(scopes !== null && { scope: scopes.join(' ') }),
      };
    },
  );
}
