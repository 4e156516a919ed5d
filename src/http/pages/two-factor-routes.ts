import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isGatehouseError } from '../../core/errors.js';
import type { TwoFactor } from '../../core/two-factor.js';
import { auditRequest } from '../audit.js';
import { sameSiteOnly } from '../csrf.js';
import { signedIn, type RouteContext } from '../plugin.js';
import { returnTo } from '../routes/forward-auth.js';
import { AUTH_BODY_LIMIT } from '../schemas.js';
import { completeSignIn } from '../sign-in.js';
import { sendPage, sendWaitPage } from './send.js';
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
      try {
        await completeSignIn(context, request, reply, { challenge, code: text(body.code) });
        return back ? reply.code(303).header('location', back).send() : backHome(reply);
      } catch (error) {
        const waiting = sendWaitPage(reply, error, (message) =>
          twoFactorSignInPage({ challenge, error: message, returnTo: back }),
        );
        if (waiting) return waiting;
        if (isGatehouseError(error, 'ERR_INVALID_CREDENTIALS'))
          return sendPage(
            reply,
            200,
            twoFactorSignInPage({ challenge, error: 'The code is not valid.', returnTo: back }),
          );
        if (isGatehouseError(error, 'ERR_TWO_FACTOR_CHALLENGE'))
          return sendPage(reply, 200, signInPage({ error: 'That sign-in expired; sign in again.', returnTo: back }));
        throw error;
      }
    },
  );

  /** The enrolment page: a new secret, or (after a mistyped code) the one the app already has. */
  async function enrollPage(request: FastifyRequest, reply: FastifyReply, error?: string): Promise<FastifyReply> {
    const { user } = signedIn(request);
    const { secret, uri } =
      (error === undefined ? null : await twoFactor.pendingEnrollment(user)) ?? (await twoFactor.beginEnrollment(user));
    // Loaded when someone enrols, not at every start.
    const { default: QRCode } = await import('qrcode');
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    reply.header('cache-control', 'no-store');
    return sendPage(reply, 200, twoFactorEnrollPage(user, { secret, qrSvg }, error));
  }

  app.post('/ui/two-factor', session, async (request, reply) => {
    try {
      return await enrollPage(request, reply);
    } catch (error) {
      if (isGatehouseError(error, 'ERR_TWO_FACTOR_ENABLED'))
        return renderAccount(request, reply, 200, { error: error.message });
      throw error;
    }
  });

  app.post('/ui/two-factor/confirm', session, async (request, reply) => {
    const { user } = signedIn(request);
    try {
      const { recoveryCodes } = await twoFactor.confirmEnrollment(user.id, text(form(request).code));
      await auditRequest(core, request, { type: 'two_factor.enable', userId: user.id });
      reply.header('cache-control', 'no-store');
      return sendPage(reply, 200, recoveryCodesPage(user, recoveryCodes));
    } catch (error) {
      if (isGatehouseError(error, 'ERR_INVALID_CODE'))
        return enrollPage(request, reply, 'That code is not valid; enter the code the app shows now.');
      if (isGatehouseError(error, 'ERR_TWO_FACTOR_NOT_PENDING'))
        return renderAccount(request, reply, 200, { error: error.message });
      throw error;
    }
  });

  app.post('/ui/two-factor/disable', session, async (request, reply) => {
    const { user } = signedIn(request);
    try {
      await core.users.confirmPassword(user.id, text(form(request).password));
    } catch (error) {
      if (isGatehouseError(error, 'ERR_CURRENT_PASSWORD'))
        return renderAccount(request, reply, 200, { error: 'The password is not correct.' });
      throw error;
    }
    if (await twoFactor.disable(user.id))
      await auditRequest(core, request, { type: 'two_factor.disable', userId: user.id, detail: { by: 'self' } });
    return backHome(reply, 'two-factor-off');
  });
}
