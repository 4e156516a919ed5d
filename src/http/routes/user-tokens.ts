import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors/index.js';
import { actorOf } from '../actor.js';
import { signedIn, type RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, UserTokenBody } from '../schemas.js';
import { BY_ADDRESS } from '../rate-limit.js';

/**
 * `POST /token`: a signed-in user (session cookie) gets an access token and
 * a refresh token bound to that session, for calling APIs from code. The
 * token holds the scopes asked for with `scope` (each one the user may
 * hold), and none when none are asked for.
 */
export function registerUserTokenRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const grants = core.grants!;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.post(
    '/token',
    {
      config: { rateLimit: BY_ADDRESS },
      // An empty POST is the common case: validate it as an empty object.
      preValidation: [guards.requireSession(), async (request) => void (request.body ??= {})],
      schema: {
        tags: ['account'],
        summary: 'An access token and refresh token for this session, with the scopes asked for',
        body: UserTokenBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const issued = await grants.issueSessionTokens(signedIn(request), request.body.scope, actorOf(request));
      if (!issued.ok) throw new GatehouseError('ERR_INVALID_SCOPE', { message: issued.description });
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return {
        access_token: issued.accessToken,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        refresh_token: issued.refreshToken,
        scope: issued.scopes.join(' '),
      };
    },
  );
}
