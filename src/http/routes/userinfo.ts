import type { FastifyInstance, FastifyRequest } from 'fastify';
import { userClaims } from '../../core/oidc/index.js';
import { OPENID_SCOPE } from '../../core/scopes/index.js';
import { anyOrigin, answerPreflights } from '../cors.js';
import type { RouteContext } from '../route-context.js';

/**
 * `/oauth/userinfo` (OpenID Connect Core §5.3), GET and POST: the claims an
 * app's access token with the `openid` scope may read, by its scopes (the
 * same claims as the ID token). Any other credential is refused by the
 * guard, with RFC 6750's challenge.
 */
export function registerUserInfoRoutes(app: FastifyInstance, { guards }: RouteContext): void {
  const options = {
    onRequest: anyOrigin,
    preValidation: guards.requireScope(OPENID_SCOPE),
    schema: {
      tags: ['openid'],
      summary: "The signed-in user's claims, by the token's scopes (OpenID Connect UserInfo)",
      security: [{ bearer: [] }],
    },
  };
  const answer = async (request: FastifyRequest) => {
    const principal = request.auth!;
    return userClaims(principal.user!, principal.scopes);
  };
  app.get('/oauth/userinfo', options, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return answer(request);
  });
  app.post('/oauth/userinfo', options, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return answer(request);
  });
  answerPreflights(app, ['/oauth/userinfo']);
}
