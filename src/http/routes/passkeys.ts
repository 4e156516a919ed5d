import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { reauthenticationError } from '../../core/accounts/index.js';
import { checkFailureError } from '../../core/sign-in/index.js';
import { ADMIN_ROLE } from '../../core/scopes/index.js';
import { accountActorOf, actorOf } from '../actor.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../route-context.js';
import {
  AUTH_BODY_LIMIT,
  IdParams,
  PasskeyLoginBody,
  PasskeyLoginOptionsBody,
  PasskeyOptionsBody,
  PasskeyRegistrationBody,
  PasskeyRenameBody,
} from '../schemas.js';
import { signInWithPasskey } from '../sign-in.js';
import { passkeyView, sessionView, userView } from '../json-views.js';
import { BY_ADDRESS } from '../rate-limit.js';

/**
 * Passkeys (WebAuthn) over JSON: a signed-in user adds (options, then the
 * authenticator's answer), lists, renames and removes theirs; anyone signs
 * in with one (options, then the assertion), alone or as the second step
 * after a password; an admin removes a user's passkeys. Registered when the
 * core has passkeys.
 */
export function registerPasskeyRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards, origins } = context;
  const passkeys = core.passkeys!;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  // The person, not a token acting for them, manages their passkeys.
  const preValidation = guards.requireSession();
  const tags = ['account'];
  const sameSite = sameSiteOnly(origins);

  routes.post(
    '/passkeys/registration/options',
    {
      preValidation,
      schema: {
        tags,
        summary:
          'Start adding a passkey: options for navigator.credentials.create() (the current password unless signed in within 5 minutes)',
        body: PasskeyOptionsBody,
        'x-problems': ['Problem403'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const started = await passkeys.beginRegistration(accountActorOf(request), {
        password: request.body?.password,
      });
      if (started.status !== 'started') throw reauthenticationError(started);
      reply.header('cache-control', 'no-store');
      return started.options;
    },
  );

  routes.post(
    '/passkeys/registration',
    {
      preValidation,
      schema: {
        tags,
        summary: "Finish adding a passkey: the authenticator's answer and a name for it",
        body: PasskeyRegistrationBody,
        'x-success': [201, 'The passkey'],
        'x-problems': ['Problem409'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const { passkey, sessionsEnded } = await passkeys.finishRegistration(accountActorOf(request), request.body);
      return reply.code(201).send({ ...passkeyView(passkey), sessionsEnded });
    },
  );

  routes.get(
    '/passkeys',
    { preValidation, schema: { tags, summary: "The user's passkeys (never their keys)" } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { passkeys: (await passkeys.list(signedIn(request).user.id)).map(passkeyView) };
    },
  );

  routes.patch(
    '/passkeys/:id',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Rename a passkey',
        params: IdParams,
        body: PasskeyRenameBody,
        'x-problems': ['Problem404'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request) =>
      passkeyView(await passkeys.rename(accountActorOf(request), request.params.id, request.body.name)),
  );

  routes.delete(
    '/passkeys/:id',
    {
      preValidation,
      schema: {
        tags,
        summary: 'Remove a passkey (not the last one of an account whose role requires one)',
        params: IdParams,
        'x-success': [204, 'Removed'],
        'x-problems': ['Problem404', 'Problem409'],
      },
    },
    async (request, reply) => {
      await passkeys.remove(accountActorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  routes.post(
    '/login/passkey/options',
    {
      config: { rateLimit: BY_ADDRESS },
      onRequest: sameSite,
      schema: {
        tags: ['sign-in'],
        summary:
          "Options for navigator.credentials.get(): any passkey (passwordless), or with a sign-in's challenge that user's",
        body: PasskeyLoginOptionsBody,
        'x-problems': ['Problem401'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return passkeys.beginAuthentication({ challenge: request.body?.challenge });
    },
  );

  routes.post(
    '/login/passkey',
    {
      config: { rateLimit: BY_ADDRESS },
      onRequest: sameSite,
      schema: {
        tags: ['sign-in'],
        summary:
          "Sign in with a passkey's assertion, alone or as a sign-in's second step (with its challenge); sets the session cookie",
        body: PasskeyLoginBody,
        'x-problems': ['Problem401', 'Problem503'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const outcome = await signInWithPasskey(context, request, reply, request.body);
      if (outcome.status !== 'signed-in') throw checkFailureError(outcome, 'The passkey is not valid.');
      return { user: userView(outcome.user), session: sessionView(outcome.session, outcome.session.id) };
    },
  );

  routes.delete(
    '/admin/users/:id/passkeys',
    {
      preValidation: guards.requireRole(ADMIN_ROLE),
      schema: {
        tags: ['admin'],
        summary: 'Remove every passkey of a user (one who lost them); answers how many went',
        params: IdParams,
        'x-problems': ['Problem404'],
      },
    },
    async (request) => ({ removed: await passkeys.removeAll(request.params.id, actorOf(request)) }),
  );
}
