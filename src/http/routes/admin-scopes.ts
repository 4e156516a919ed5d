import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import { actorOf } from '../actor.js';
import type { RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, ScopeCreateBody, ScopeNameParams } from '../schemas.js';

/**
 * `/admin/scopes`: the scope registry, for role `admin`. Credentials are
 * granted only scopes that exist here and that their holder may hold.
 */
export function registerAdminScopeRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = guards.requireRole(ADMIN_ROLE);
  const tags = ['admin'];

  routes.get(
    '/admin/scopes',
    { preValidation, schema: { tags, summary: 'Every scope, reserved ones included' } },
    async () => ({
      scopes: await core.scopes.list(),
    }),
  );

  routes.post(
    '/admin/scopes',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Add a scope; with roles, only users with one of them may hold it',
        'x-success': [201, 'The new scope'],
        'x-problems': ['Problem409'],
        body: ScopeCreateBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => reply.code(201).send(await core.scopes.create(request.body, actorOf(request))),
  );

  routes.delete(
    '/admin/scopes/:name',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Remove a scope: credentials that carry it stop holding it at once',
        'x-success': [204, 'Removed'],
        'x-problems': ['Problem404'],
        params: ScopeNameParams,
      },
    },
    async (request, reply) => {
      await core.scopes.remove(request.params.name, actorOf(request));
      return reply.code(204).send();
    },
  );
}
