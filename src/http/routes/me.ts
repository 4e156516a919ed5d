import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors/index.js';
import { signedIn, type RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, IdParams, PasswordChangeBody } from '../schemas.js';
import { sessionView, userView } from '../json-views.js';
import { reauthenticationError } from '../../core/accounts/index.js';
import { accountActorOf, actorOf } from '../actor.js';

/** The signed-in user's own routes: who am I, my sessions, my password. */
export function registerMeRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  // Account management needs the person, not a token or key acting for them.
  const preValidation = guards.requireSession();

  routes.get(
    '/session',
    { preValidation, schema: { tags: ['account'], summary: 'The signed-in user and this session' } },
    async (request, reply) => {
      const { user, session } = signedIn(request);
      reply.header('cache-control', 'no-store');
      return { user: userView(user), session: sessionView(session, session.id) };
    },
  );

  routes.get(
    '/sessions',
    { preValidation, schema: { tags: ['account'], summary: "The user's sessions" } },
    async (request, reply) => {
      const { user, session } = signedIn(request);
      const sessions = await core.sessions.listSessions({ userId: user.id });
      reply.header('cache-control', 'no-store');
      return { sessions: sessions.map((item) => sessionView(item, session.id)) };
    },
  );

  routes.delete(
    '/sessions/:id',
    {
      preValidation,
      schema: {
        tags: ['account'],
        summary: "Revoke one of the user's sessions",
        'x-success': [204, 'Revoked'],
        'x-problems': ['Problem404'],
        params: IdParams,
      },
    },
    async (request, reply) => {
      // Someone else's session id answers exactly like one that does not exist.
      const ownerId = signedIn(request).user.id;
      if (!(await core.sessions.revokeSession(request.params.id, { ownerId, actor: actorOf(request) }))) {
        throw new GatehouseError('ERR_SESSION_NOT_FOUND');
      }
      return reply.code(204).send();
    },
  );

  routes.post(
    '/password',
    {
      preValidation,
      schema: {
        tags: ['account'],
        summary: 'Change the password (other sessions end)',
        'x-success': [204, 'Changed'],
        body: PasswordChangeBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const changed = await core.account.changePassword(accountActorOf(request), {
        current: request.body.currentPassword,
        next: request.body.newPassword,
      });
      if (changed.status !== 'changed') throw reauthenticationError(changed);
      return reply.code(204).send();
    },
  );
}
