import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthCore } from '../../core/index.js';
import { signedIn } from '../route-context.js';
import { redirectToPage, sendPage } from './send.js';
import { appsSection } from './oidc-views.js';
import { passkeySection } from './passkey-views.js';
import { RECENT_SIGN_IN_SECONDS } from '../../core/passkeys/index.js';
import { twoFactorSection } from './two-factor-views.js';
import { accountPage, type AccountNotice } from './html-views.js';

/** Messages a redirect may ask the account page to show: fixed words, never text from the request. */
export const ACCOUNT_NOTICES = {
  password: 'Your password is changed; your other sessions are signed out.',
  'key-revoked': 'The API key is revoked.',
  'session-revoked': 'The session is signed out.',
  'sessions-revoked': 'Every other session is signed out.',
  'two-factor-off': 'Two-factor sign-in is off.',
  'passkey-added': 'The passkey is added; signing in with your password now asks for it too.',
  'passkey-renamed': 'The passkey is renamed.',
  'passkey-removed': 'The passkey is removed.',
  'app-revoked': 'The app no longer has access; its refresh tokens have ended.',
} as const;

/** Goes back to the account page after a form post (303: the browser follows with GET), optionally with a notice. */
export function backHome(reply: FastifyReply, done?: keyof typeof ACCOUNT_NOTICES): FastifyReply {
  return redirectToPage(reply, done ? `?done=${done}` : '');
}

/** The notice a `?done=` asks for, if it is one of {@link ACCOUNT_NOTICES}. */
export function accountNotice(query: unknown): string | undefined {
  const done = (query as Record<string, unknown> | undefined)?.done;
  return typeof done === 'string' && Object.hasOwn(ACCOUNT_NOTICES, done)
    ? ACCOUNT_NOTICES[done as keyof typeof ACCOUNT_NOTICES]
    : undefined;
}

/** The account page of the signed-in request, with a message. */
export async function renderAccount(
  core: AuthCore,
  request: FastifyRequest,
  reply: FastifyReply,
  { status, message }: { status: number; message: AccountNotice },
): Promise<FastifyReply> {
  const { user, session } = signedIn(request);
  const [sessions, apiKeys, twoFactor, apps, passkeys] = await Promise.all([
    core.sessions.listSessions({ userId: user.id }),
    core.apiKeys.listApiKeys(user.id),
    core.twoFactor?.status(user.id),
    core.openId ? core.consents.listForUser(user.id) : undefined,
    core.passkeys?.list(user.id),
  ]);
  return sendPage(
    reply,
    status,
    accountPage({
      user,
      sessions,
      currentId: session.id,
      apiKeys,
      message,
      twoFactor: twoFactor && twoFactorSection(twoFactor),
      apps: apps && appsSection(apps),
      passkeys:
        passkeys &&
        passkeySection({
          passkeys,
          needsPassword: core.clock.now() - session.authenticatedAt > RECENT_SIGN_IN_SECONDS * 1000,
          required: core.passkeys!.isRequiredFor(user.roles),
        }),
      passwordMinLength: core.passwordPolicy.minLength,
    }),
  );
}
