import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { signedIn, type RouteContext } from '../route-context.js';
import { ApiKeyCreateBody, AUTH_BODY_LIMIT, IdParams } from '../schemas.js';
import { apiKeyView } from '../json-views.js';
import { actorOf } from '../actor.js';

/** `/api-keys`: a signed-in user's personal API keys. Session only: a key cannot mint keys. */
export function registerApiKeyRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = guards.requireSession();

  routes.post(
    '/api-keys',
    {
      preValidation,
      schema: {
        tags: ['account'],
        summary: 'Create a personal API key (shown once)',
        'x-success': [201, 'The key and its description; the key is not shown again'],
        body: ApiKeyCreateBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const { user } = signedIn(request);
      const { name, scopes, expiresInSeconds } = request.body;
      const expiresAt = expiresInSeconds === undefined ? null : core.clock.now() + expiresInSeconds * 1000;
      const { key, apiKey } = await core.apiKeys.createApiKey(user, { name, scopes, expiresAt }, actorOf(request));
      // The key is shown this once; only its hash is kept.
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ ...apiKeyView(apiKey), key });
    },
  );

  routes.get(
    '/api-keys',
    { preValidation, schema: { tags: ['account'], summary: "The user's API keys (never the keys themselves)" } },
    async (request) => ({
      apiKeys: (await core.apiKeys.listApiKeys(signedIn(request).user.id)).map(apiKeyView),
    }),
  );

  routes.delete(
    '/api-keys/:id',
    {
      preValidation,
      schema: {
        tags: ['account'],
        summary: 'Revoke an API key',
        'x-success': [204, 'Revoked'],
        'x-problems': ['Problem404'],
        params: IdParams,
      },
    },
    async (request, reply) => {
      await core.apiKeys.revokeApiKey(signedIn(request).user.id, request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );
}
