import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../core/sessions.js';
import type { User } from '../core/users.js';
import { auditRequest } from './audit.js';
import type { RouteContext } from './plugin.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './session-cookie.js';

/** A sign-in's outcome over HTTP: signed in (the cookie is set), or a second factor is needed. */
export type SignInOutcome =
  | { status: 'signed-in'; session: Session; user: User }
  | { status: 'two-factor'; challenge: string; expiresAt: number };

type SignInContext = Pick<RouteContext, 'core' | 'cookie' | 'guards'>;

const originOf = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null });

/**
 * Checks the credentials and starts a session in the cookie, or returns the
 * challenge that the second factor must answer: what `POST /login` and the
 * sign-in page share.
 * @throws {GatehouseError} as `core.login` does.
 */
export async function signIn(
  context: SignInContext,
  request: FastifyRequest,
  reply: FastifyReply,
  credentials: { username: string; password: string },
): Promise<SignInOutcome> {
  const result = await context.core.login(credentials, originOf(request));
  reply.header('cache-control', 'no-store');
  if (result.status === 'two-factor')
    return { status: 'two-factor', challenge: result.challenge, expiresAt: result.expiresAt };
  return startCookieSession(context, request, reply, result);
}

/**
 * Answers a sign-in's challenge with a TOTP or recovery code and starts the session.
 * @throws {GatehouseError} as `core.completeTwoFactor` does.
 */
export async function completeSignIn(
  context: SignInContext,
  request: FastifyRequest,
  reply: FastifyReply,
  answer: { challenge: string; code: string },
): Promise<SignInOutcome & { status: 'signed-in' }> {
  const result = await context.core.completeTwoFactor(answer.challenge, answer.code, originOf(request));
  reply.header('cache-control', 'no-store');
  return startCookieSession(context, request, reply, result);
}

async function startCookieSession(
  { core, cookie, guards }: SignInContext,
  request: FastifyRequest,
  reply: FastifyReply,
  { token, session, user }: { token: string; session: Session; user: User },
): Promise<SignInOutcome & { status: 'signed-in' }> {
  // Session fixation (OWASP): a session the browser already had, planted or
  // not, is never carried across a sign-in; it ends here.
  const previous = await guards.resolve(request);
  if (previous?.kind === 'session') await core.sessions.revokeSession(previous.session!.id);
  setSessionCookie(reply, token, cookie);
  return { status: 'signed-in', session, user };
}

/** Ends the cookie's session, if any, and tells the browser to drop the cookie: what `POST /logout` and the pages share. */
export async function signOut(
  { core, cookie, guards }: Pick<RouteContext, 'core' | 'cookie' | 'guards'>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const principal = await guards.resolve(request);
  if (principal?.kind === 'session') {
    await core.sessions.revokeSession(principal.session!.id);
    request.auth = principal;
    await auditRequest(core, request, {
      type: 'logout',
      userId: principal.user!.id,
      detail: { sessionId: principal.session!.id },
    });
  }
  if (readSessionCookie(request, cookie) !== undefined) clearSessionCookie(reply, cookie);
}
