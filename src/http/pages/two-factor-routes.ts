import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors/index.js';
import { accountActorOf } from '../actor.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../route-context.js';
import { AUTH_BODY_LIMIT } from '../schemas.js';
import { completeSignIn } from '../sign-in.js';
import { backHome, renderAccount } from './account-page.js';
import { CodeForm, CurrentPasswordForm, TwoFactorSignInForm } from './forms.js';
import { formTargetsFor, signInReturn } from './return-to.js';
import { sendPage, sendReauthenticationFailure, sendWaitPage } from './send.js';
import { recoveryCodesPage, twoFactorEnrollPage, twoFactorSignInPage } from './two-factor-views.js';
import { signInPage } from './html-views.js';
import { BY_ADDRESS } from '../rate-limit.js';

/**
 * The pages of two-factor sign-in: the code step of signing in, and
 * enrolment (after the password: QR code, confirming code, recovery codes
 * shown once) and turning it off from the account page. Registered when the
 * deployment has two-factor sign-in (a master key).
 */
export function registerTwoFactorPageRoutes(app: FastifyInstance, context: RouteContext): void {
  const { core, guards, origins } = context;
  const twoFactor = core.twoFactor!;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();
  const session = { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT };
  const accountError = (request: FastifyRequest, reply: FastifyReply) => (status: number, message: string) =>
    renderAccount(core, request, reply, { status, message: { error: message } });

  routes.post(
    '/ui/sign-in/two-factor',
    {
      config: { rateLimit: BY_ADDRESS },
      onRequest: sameSiteOnly(origins),
      bodyLimit: AUTH_BODY_LIMIT,
      schema: { body: TwoFactorSignInForm },
    },
    async (request, reply) => {
      const { challenge, code } = request.body;
      const back = signInReturn(request.body, origins, reply);
      const formTargets = await formTargetsFor(back, core, reply);
      const outcome = await completeSignIn(context, request, reply, { challenge, code });
      switch (outcome.status) {
        case 'signed-in':
          return back ? reply.code(303).header('location', back).send() : backHome(reply);
        case 'throttled':
        case 'busy':
          return sendWaitPage(
            reply,
            outcome,
            (message) => twoFactorSignInPage({ challenge, error: message, returnTo: back }),
            formTargets,
          );
        case 'expired':
          return sendPage(
            reply,
            200,
            signInPage({
              error: 'That sign-in expired; sign in again.',
              returnTo: back,
              passkeys: core.passkeys !== null,
            }),
            {
              formTargets,
            },
          );
        default:
          return sendPage(
            reply,
            200,
            twoFactorSignInPage({ challenge, error: 'The code is not valid.', returnTo: back }),
            { formTargets },
          );
      }
    },
  );

  /** The enrolment page: the QR code and the key of an enrolment begun, with a message after a mistyped code. */
  async function enrollPage(
    request: FastifyRequest,
    reply: FastifyReply,
    enrolment: { secret: string; uri: string },
    error?: string,
  ): Promise<FastifyReply> {
    const { user } = signedIn(request);
    // Loaded when someone enrols, not at every start.
    const { default: QRCode } = await import('qrcode');
    const qrSvg = await QRCode.toString(enrolment.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    reply.header('cache-control', 'no-store');
    return sendPage(reply, 200, twoFactorEnrollPage(user, { secret: enrolment.secret, qrSvg }, error));
  }

  routes.post('/ui/two-factor', { ...session, schema: { body: CurrentPasswordForm } }, async (request, reply) => {
    let started;
    try {
      // Turning it on needs the current password: a stolen session must not enrol its own authenticator.
      started = await core.account.beginTwoFactor(accountActorOf(request), request.body.password);
    } catch (error) {
      if (isGatehouseError(error, 'ERR_TWO_FACTOR_ENABLED') || isGatehouseError(error, 'ERR_VALIDATION'))
        return accountError(request, reply)(200, error.message);
      throw error;
    }
    if (started.status !== 'started') return sendReauthenticationFailure(reply, started, accountError(request, reply));
    return enrollPage(request, reply, started);
  });

  routes.post('/ui/two-factor/confirm', { ...session, schema: { body: CodeForm } }, async (request, reply) => {
    const { user } = signedIn(request);
    try {
      const { recoveryCodes } = await core.account.confirmTwoFactor(accountActorOf(request), request.body.code);
      reply.header('cache-control', 'no-store');
      return sendPage(reply, 200, recoveryCodesPage(user, recoveryCodes));
    } catch (error) {
      const pending = isGatehouseError(error, 'ERR_INVALID_CODE') ? await twoFactor.pendingEnrollment(user) : null;
      if (pending)
        return enrollPage(request, reply, pending, 'That code is not valid; enter the code the app shows now.');
      if (isGatehouseError(error, 'ERR_TWO_FACTOR_NOT_PENDING') || isGatehouseError(error, 'ERR_INVALID_CODE'))
        return accountError(request, reply)(200, error.message);
      throw error;
    }
  });

  routes.post(
    '/ui/two-factor/disable',
    { ...session, schema: { body: CurrentPasswordForm } },
    async (request, reply) => {
      let disabled;
      try {
        disabled = await core.account.disableTwoFactor(accountActorOf(request), request.body.password);
      } catch (error) {
        if (isGatehouseError(error, 'ERR_VALIDATION')) return accountError(request, reply)(200, error.message);
        throw error;
      }
      if (disabled.status !== 'disabled')
        return sendReauthenticationFailure(reply, disabled, accountError(request, reply));
      return backHome(reply, 'two-factor-off');
    },
  );
}
