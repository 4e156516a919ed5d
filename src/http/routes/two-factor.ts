import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import { ADMIN_ROLE } from '../../core/roles.js';
import { auditRequest } from '../audit.js';
import { signedIn, type RouteContext } from '../plugin.js';
import { AUTH_BODY_LIMIT, IdParams, TwoFactorCodeBody, TwoFactorDisableBody } from '../schemas.js';

/**
 * `/two-factor`: a signed-in user turns TOTP sign-in on (start, then confirm
 * with a code) or off (with their password); `DELETE
 * /admin/users/:id/two-factor` lets an admin reset it for a user who lost
 * their phone and their recovery codes.
 */
export function registerTwoFactorRoutes(app: FastifyInstance, { core, guards }: RouteContext): void {
  const twoFactor = core.twoFactor;
  if (!twoFactor) return;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  // The person, not a token acting for them, manages their second factor.
  const preValidation = guards.requireSession();
  const tags = ['account'];

  routes.get(
    '/two-factor',
    { preValidation, schema: { tags, summary: 'Whether two-factor sign-in is on, and recovery codes left' } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return twoFactor.status(signedIn(request).user.id);
    },
  );

  routes.post(
    '/two-factor',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Start enrolling: a new TOTP secret and its otpauth:// URI',
        'x-success': [201, 'The secret and URI, for the authenticator app'],
        'x-problems': ['Problem409'],
      },
    },
    async (request, reply) => {
      const { user } = signedIn(request);
      const { secret, uri } = await twoFactor.beginEnrollment(user);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ secret, uri });
    },
  );

  routes.post(
    '/two-factor/confirm',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Confirm the enrolment with a code; returns the recovery codes, once',
        body: TwoFactorCodeBody,
        'x-problems': ['Problem409'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const { user } = signedIn(request);
      const { recoveryCodes } = await twoFactor.confirmEnrollment(user.id, request.body.code);
      await auditRequest(core, request, { type: 'two_factor.enable', userId: user.id });
      reply.header('cache-control', 'no-store');
      return { enabled: true, recoveryCodes };
    },
  );

  routes.post(
    '/two-factor/disable',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Turn two-factor sign-in off (the current password is asked again)',
        body: TwoFactorDisableBody,
        'x-success': [204, 'Off'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const { user } = signedIn(request);
      await core.users.confirmPassword(user.id, request.body.password);
      if (await twoFactor.disable(user.id))
        await auditRequest(core, request, { type: 'two_factor.disable', userId: user.id, detail: { by: 'self' } });
      return reply.code(204).send();
    },
  );

  routes.delete(
    '/admin/users/:id/two-factor',
    {
      preValidation: guards.requireRole(ADMIN_ROLE),
      schema: {
        tags: ['admin'],
        summary: "Reset a user's two-factor sign-in",
        params: IdParams,
        'x-success': [204, 'Reset'],
        'x-problems': ['Problem404'],
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await core.users.findUserById(id))) throw new GatehouseError('ERR_USER_NOT_FOUND');
      if (await twoFactor.disable(id))
        await auditRequest(core, request, { type: 'two_factor.disable', userId: id, detail: { by: 'admin' } });
      return reply.code(204).send();
    },
  );
}
