import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { checkFailureError } from '../../core/sign-in/index.js';
import { sameSiteOnly } from '../csrf.js';
import type { RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT, LoginBody, TwoFactorLoginBody } from '../schemas.js';
import { completeSignIn, signIn, signOut } from '../sign-in.js';
import { sessionView, userView } from '../json-views.js';
import { BY_ADDRESS } from '../rate-limit.js';

/** `POST /login` and `POST /logout`. */
export function registerLoginRoutes(app: FastifyInstance, context: RouteContext): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const sameSite = sameSiteOnly(context.origins);

  // Form-encoded (what the seed lesson's client and HTML forms send) or JSON.
  routes.post(
    '/login',
    {
      config: { rateLimit: BY_ADDRESS },
      onRequest: sameSite,
      schema: {
        tags: ['sign-in'],
        summary:
          'Sign in with a username and password; sets the session cookie (202 with a challenge when a second factor is needed)',
        body: LoginBody,
        'x-problems': ['Problem401', 'Problem503'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const outcome = await signIn(context, request, reply, request.body);
      if (outcome.status !== 'signed-in' && outcome.status !== 'two-factor') throw checkFailureError(outcome);
      if (outcome.status === 'two-factor') {
        // 202: the password was right, and the sign-in is not complete; no session exists yet.
        const expiresIn = Math.round((outcome.expiresAt - context.core.clock.now()) / 1000);
        return reply
          .code(202)
          .send({ status: 'two-factor', challenge: outcome.challenge, expiresIn, methods: outcome.methods });
      }
      return { user: userView(outcome.user), session: sessionView(outcome.session, outcome.session.id) };
    },
  );

  routes.post(
    '/login/two-factor',
    {
      config: { rateLimit: BY_ADDRESS },
      onRequest: sameSite,
      schema: {
        tags: ['sign-in'],
        summary: 'Complete a sign-in with a TOTP or recovery code; sets the session cookie',
        body: TwoFactorLoginBody,
        'x-problems': ['Problem401', 'Problem503'],
      },
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      const outcome = await completeSignIn(context, request, reply, request.body);
      if (outcome.status !== 'signed-in') throw checkFailureError(outcome, 'The code is not valid.');
      const { session, user } = outcome;
      return { user: userView(user), session: sessionView(session, session.id) };
    },
  );

  routes.post(
    '/logout',
    {
      schema: {
        tags: ['sign-in'],
        summary: 'Sign out: ends the session and clears the cookie',
        'x-problems': ['Problem403'],
        'x-success': [204, 'Signed out (also when there was no session)'],
      },
      onRequest: sameSite,
      bodyLimit: AUTH_BODY_LIMIT,
    },
    async (request, reply) => {
      await signOut(context, request, reply);
      return reply.code(204).send();
    },
  );
}
