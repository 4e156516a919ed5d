import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import { ADMIN_ROLE } from '../../core/roles.js';
import type { RouteContext } from '../plugin.js';
import { AUTH_BODY_LIMIT, CreateUserBody, IdParams, UpdateUserBody } from '../schemas.js';
import { sessionView, userView } from '../views.js';
import { auditRequest } from '../audit.js';

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
      const user = await core.users.createUser(request.body);
      await auditRequest(core, request, {
        type: 'user.create',
        userId: user.id,
        detail: { username: user.username, roles: user.roles },
      });
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
        summary: 'Change roles, reset the password, disable or enable',
        'x-problems': ['Problem404'],
        params: IdParams,
        body: UpdateUserBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request) => {
      const { id } = request.params;
      const { disabled, roles, password } = request.body;
      let user = await requireUser(id);
      if (roles !== undefined) user = await core.users.setRoles(id, roles);
      if (password !== undefined) user = await core.users.setPassword(id, password);
      if (disabled !== undefined) user = await core.users.setDisabled(id, disabled);
      await auditRequest(core, request, {
        type:
          password !== undefined && roles === undefined && disabled === undefined ? 'password.change' : 'user.update',
        userId: id,
        detail: {
          ...(roles !== undefined && { roles: user.roles }),
          ...(disabled !== undefined && { disabled }),
          ...(password !== undefined && { password: 'reset' }),
        },
      });
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
      await core.users.deleteUser(request.params.id);
      await auditRequest(core, request, { type: 'user.delete', userId: request.params.id });
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
      const revoked = await core.sessions.revokeUserSessions(request.params.id);
      await auditRequest(core, request, {
        type: 'session.revoke',
        userId: request.params.id,
        detail: { count: revoked },
      });
      return { revoked };
    },
  );
}
