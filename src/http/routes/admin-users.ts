import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors/index.js';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import type { RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, CreateUserBody, IdParams, UpdateUserBody } from '../schemas.js';
import { sessionView, userView } from '../json-views.js';
import { actorOf } from '../actor.js';

/** `/admin/users…`: user management for role `admin`. */
export function registerAdminUserRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const preValidation = guards.requireRole(ADMIN_ROLE);

  async function requireUser(id: string) {
    const user = await core.users.findUserById(id);
    if (!user) throw new GatehouseError('ERR_USER_NOT_FOUND');
    return user;
  }

  routes.get('/admin/users', { preValidation, schema: { tags: ['admin'], summary: 'All users' } }, async () => ({
    users: (await core.users.listUsers()).map(userView),
  }));

  routes.post(
    '/admin/users',
    {
      preValidation,
      schema: {
        tags: ['admin'],
        summary: 'Create a user',
        'x-success': [201, 'The new user'],
        'x-problems': ['Problem409'],
        body: CreateUserBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const user = await core.users.createUser(request.body, actorOf(request));
      return reply.code(201).send(userView(user));
    },
  );

  routes.get(
    '/admin/users/:id',
    { preValidation, schema: { tags: ['admin'], summary: 'One user', 'x-problems': ['Problem404'], params: IdParams } },
    async (request) => userView(await requireUser(request.params.id)),
  );

  routes.patch(
    '/admin/users/:id',
    {
      preValidation,
      schema: {
        tags: ['admin'],
        summary:
          "Change another user's roles, reset their password (ending their sessions, tokens and API keys), disable or enable them",
        'x-problems': ['Problem404'],
        params: IdParams,
        body: UpdateUserBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request) => {
      const { id } = request.params;
      const { disabled, roles, password } = request.body;
      const actor = actorOf(request);
      let user = await requireUser(id);
      // Each operation refuses an administrator's own account before it changes anything.
      if (roles !== undefined) user = await core.users.setRoles(id, roles, actor);
      if (password !== undefined) user = await core.users.resetPassword(id, password, actor);
      if (disabled !== undefined) user = await core.users.setDisabled(id, disabled, actor);
      return userView(user);
    },
  );

  routes.delete(
    '/admin/users/:id',
    {
      preValidation,
      schema: {
        tags: ['admin'],
        summary: 'Delete a user',
        'x-success': [204, "Deleted, with the user's sessions, tokens and keys"],
        'x-problems': ['Problem404'],
        params: IdParams,
      },
    },
    async (request, reply) => {
      await core.users.deleteUser(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );

  routes.get(
    '/admin/users/:id/sessions',
    {
      preValidation,
      schema: { tags: ['admin'], summary: "A user's sessions", 'x-problems': ['Problem404'], params: IdParams },
    },
    async (request) => {
      await requireUser(request.params.id);
      const sessions = await core.sessions.listSessions({ userId: request.params.id });
      return { sessions: sessions.map((session) => sessionView(session, request.auth!.session?.id)) };
    },
  );

  routes.delete(
    '/admin/users/:id/sessions',
    {
      preValidation,
      schema: {
        tags: ['admin'],
        summary: 'Sign a user out everywhere',
        'x-problems': ['Problem404'],
        params: IdParams,
      },
    },
    async (request) => {
      await requireUser(request.params.id);
      const revoked = await core.users.signOutEverywhere(request.params.id, actorOf(request));
      return { revoked };
    },
  );
}
