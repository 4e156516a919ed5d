import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import type { TwoFactor } from '../../core/two-factor.js';
import { accountActorOf } from '../audit.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../plugin.js';
import { returnTo } from '../routes/forward-auth.js';
import { AUTH_BODY_LIMIT } from '../schemas.js';
import { completeSignIn } from '../sign-in.js';
import { sendPage, sendReauthenticationFailure, sendWaitPage } from './send.js';
import { recoveryCodesPage, twoFactorEnrollPage, twoFactorSignInPage } from './two-factor-views.js';
import type { AccountNotice } from './views.js';
import { signInPage } from './views.js';

/** What the account pages lend these routes. */
interface PageHelpers {
  twoFactor: TwoFactor;
  renderAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    message: AccountNotice,
  ): Promise<FastifyReply>;
  backHome(reply: FastifyReply, done?: 'two-factor-off'): FastifyReply;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const form = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;

/**
 * The pages of two-factor sign-in: the code step of signing in, and
 * enrolment (QR code, confirming code, recovery codes shown once) and
 * turning it off from the account page.
 */
export function registerTwoFactorPageRoutes(
  app: FastifyInstance,
  context: RouteContext,
  { twoFactor, renderAccount, backHome }: PageHelpers,
): void {
  const { core, guards, origins, rateLimit } = context;
  const session = { preValidation: guards.requireSession(), bodyLimit: AUTH_BODY_LIMIT };

  app.post(
    '/ui/sign-in/two-factor',
    { config: { rateLimit }, onRequest: sameSiteOnly(origins), bodyLimit: AUTH_BODY_LIMIT },
    async (request, reply) => {
      const body = form(request);
      const challenge = text(body.challenge);
      const back = returnTo(body, origins);
      const outcome = await completeSignIn(context, request, reply, { challenge, code: text(body.code) });
      switch (outcome.status) {
        case 'signed-in':
          return back ? reply.code(303).header('location', back).send() : backHome(reply);
        case 'throttled':
        case 'busy':
          return sendWaitPage(reply, outcome, (message) =>
            twoFactorSignInPage({ challenge, error: message, returnTo: back }),
          );
        case 'expired':
          return sendPage(reply, 200, signInPage({ error: 'That sign-in expired; sign in again.', returnTo: back }));
        default:
          return sendPage(
            reply,
            200,
            twoFactorSignInPage({ challenge, error: 'The code is not valid.', returnTo: back }),
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

  const accountError = (request: FastifyRequest, reply: FastifyReply) => (status: number, message: string) =>
    renderAccount(request, reply, status, { error: message });

  app.post('/ui/two-factor', session, async (request, reply) => {
    let started;
    try {
      // Turning it on needs the current password: a stolen session must not enrol its own authenticator.
      started = await core.account.beginTwoFactor(accountActorOf(request), text(form(request).password));
    } catch (error) {
      if (isGatehouseError(error, 'ERR_TWO_FACTOR_ENABLED') || isGatehouseError(error, 'ERR_VALIDATION'))
        return renderAccount(request, reply, 200, { error: error.message });
      throw error;
    }
    if (started.status !== 'started') return sendReauthenticationFailure(reply, started, accountError(request, reply));
    return enrollPage(request, reply, started);
  });

  app.post('/ui/two-factor/confirm', session, async (request, reply) => {
    const { user } = signedIn(request);
    try {
      const { recoveryCodes } = await core.account.confirmTwoFactor(accountActorOf(request), text(form(request).code));
      reply.header('cache-control', 'no-store');
      return sendPage(reply, 200, recoveryCodesPage(user, recoveryCodes));
    } catch (error) {
      const pending = isGatehouseError(error, 'ERR_INVALID_CODE') ? await twoFactor.pendingEnrollment(user) : null;
      if (pending)
        return enrollPage(request, reply, pending, 'That code is not valid; enter the code the app shows now.');
      if (isGatehouseError(error, 'ERR_TWO_FACTOR_NOT_PENDING') || isGatehouseError(error, 'ERR_INVALID_CODE'))
        return renderAccount(request, reply, 200, { error: error.message });
      throw error;
    }
  });

  app.post('/ui/two-factor/disable', session, async (request, reply) => {
    let disabled;
    try {
      disabled = await core.account.disableTwoFactor(accountActorOf(request), text(form(request).password));
    } catch (error) {
      if (isGatehouseError(error, 'ERR_VALIDATION'))
        return renderAccount(request, reply, 200, { error: error.message });
      throw error;
    }
    if (disabled.status !== 'disabled')
      return sendReauthenticationFailure(reply, disabled, accountError(request, reply));
    return backHome(reply, 'two-factor-off');
  });
}
