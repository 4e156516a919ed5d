import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { reauthenticationError } from '../../core/accounts/index.js';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import { accountActorOf, actorOf } from '../actor.js';
import { signedIn, type RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, IdParams, TwoFactorCodeBody, PasswordBody } from '../schemas.js';

/**
 * `/two-factor`: a signed-in user turns TOTP sign-in on (start with their
 * password, then confirm with a code) or off (with their password); `DELETE
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
        summary: 'Start enrolling (the current password is asked again): a new TOTP secret and its otpauth:// URI',
        'x-success': [201, 'The secret and URI, for the authenticator app'],
        'x-problems': ['Problem409'],
        body: PasswordBody,
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const started = await core.account.beginTwoFactor(accountActorOf(request), request.body.password);
      if (started.status !== 'started') throw reauthenticationError(started);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ secret: started.secret, uri: started.uri });
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
      const { recoveryCodes } = await core.account.confirmTwoFactor(accountActorOf(request), request.body.code);
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
        body: PasswordBody,
        'x-success': [204, 'Off'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const disabled = await core.account.disableTwoFactor(accountActorOf(request), request.body.password);
      if (disabled.status !== 'disabled') throw reauthenticationError(disabled);
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
      await core.users.resetTwoFactor(request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );
}
