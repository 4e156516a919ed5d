import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors/index.js';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import type { RouteContext } from '../route-context.js';
import { IdParams, UserConsentParams } from '../schemas.js';
import { consentView } from '../json-views.js';
import { actorOf } from '../actor.js';

/** `/admin/users/:id/consents…`: the apps a user let in, listed and revoked by role `admin`. */
export function registerAdminConsentRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = guards.requireRole(ADMIN_ROLE);

  async function requireUser(id: string) {
    if (!(await core.users.findUserById(id))) throw new GatehouseError('ERR_USER_NOT_FOUND');
  }

  routes.get(
    '/admin/users/:id/consents',
    {
      preValidation,
      schema: {
        tags: ['admin'],
        summary: 'The apps a user let in, with the scopes agreed to',
        'x-problems': ['Problem404'],
        params: IdParams,
      },
    },
    async (request) => {
      await requireUser(request.params.id);
      return { consents: (await core.consents.listForUser(request.params.id)).map(consentView) };
    },
  );

  routes.delete(
    '/admin/users/:id/consents/:clientId',
    {
      preValidation,
      schema: {
        tags: ['admin'],
        summary: "Revoke a user's consent to an app: every token of that grant ends at once",
        'x-success': [204, 'Revoked'],
        'x-problems': ['Problem404'],
        params: UserConsentParams,
      },
    },
    async (request, reply) => {
      await requireUser(request.params.id);
      await core.consents.revoke(request.params.id, request.params.clientId, actorOf(request));
      return reply.code(204).send();
    },
  );
}
