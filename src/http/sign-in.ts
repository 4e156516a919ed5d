import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CheckFailure, SecondFactorMethod } from '../core/sign-in/index.js';
import type { AuthenticationResponseJSON } from '../core/passkeys/index.js';
import type { Session, SessionOrigin } from '../core/sessions/index.js';
import type { User } from '../core/users/index.js';
import { actorOf, originOf } from './actor.js';
import type { RouteContext } from './route-context.js';
import {
  clearSessionCookie,
  readDeviceCookie,
  readSessionCookie,
  setDeviceCookie,
  setSessionCookie,
} from './session-cookie.js';

/** A sign-in's outcome over HTTP: signed in (the cookie is set), a second factor is needed, or a failure value. */
export type SignInOutcome =
  | { status: 'signed-in'; session: Session; user: User }
  | { status: 'two-factor'; challenge: string; expiresAt: number; methods: SecondFactorMethod[] }
  | CheckFailure
  | { status: 'expired' };

type SignInContext = Pick<RouteContext, 'core' | 'cookie' | 'guards'>;

/**
 * Checks the credentials and starts a session in the cookie, or returns the
 * challenge that the second factor must answer, or why not: what `POST
 * /login` and the sign-in page share.
 * @throws {GatehouseError} `ERR_VALIDATION` for a password over the size limit.
 */
export async function signIn(
  context: SignInContext,
  request: FastifyRequest,
  reply: FastifyReply,
  credentials: { username: string; password: string },
): Promise<SignInOutcome> {
  const deviceCookie = readDeviceCookie(request, context.cookie);
  const result = await context.core.login({ ...credentials, deviceCookie }, signInOrigin(context, request));
  reply.header('cache-control', 'no-store');
  rememberDevice(context, reply, result);
  if (result.status !== 'signed-in') return result;
  return startCookieSession(context, reply, result);
}

/** Answers a sign-in's challenge with a TOTP or recovery code and starts the session, or says why not. */
export async function completeSignIn(
  context: SignInContext,
  request: FastifyRequest,
  reply: FastifyReply,
  answer: { challenge: string; code: string },
): Promise<Exclude<SignInOutcome, { status: 'two-factor' }>> {
  const result = await context.core.completeTwoFactor(answer.challenge, answer.code, signInOrigin(context, request));
  reply.header('cache-control', 'no-store');
  rememberDevice(context, reply, result);
  if (result.status !== 'signed-in') return result;
  return startCookieSession(context, reply, result);
}

/**
 * Signs in with a passkey and starts the session in the cookie: alone (a
 * passwordless sign-in), or as the second step of a password sign-in when
 * `challenge` is that sign-in's. What `POST /login/passkey` and the pages share.
 */
export async function signInWithPasskey(
  context: SignInContext,
  request: FastifyRequest,
  reply: FastifyReply,
  answer: { response: AuthenticationResponseJSON; challenge?: string },
): Promise<Exclude<SignInOutcome, { status: 'two-factor' }>> {
  const passkeys = context.core.passkeys!;
  const result =
    answer.challenge === undefined
      ? await passkeys.signIn(answer.response, signInOrigin(context, request))
      : await passkeys.completeSignIn(answer.challenge, answer.response, signInOrigin(context, request));
  reply.header('cache-control', 'no-store');
  rememberDevice(context, reply, result);
  if (result.status !== 'signed-in') return result;
  return startCookieSession(context, reply, result);
}

/**
 * Where a sign-in comes from, with the session the browser presented: the
 * core continues it (same user) or ends it (another), so that no token
 * outlives a sign-in (session fixation) and no app loses its tokens to one.
 */
function signInOrigin({ cookie }: SignInContext, request: FastifyRequest): SessionOrigin {
  return { ...originOf(request), sessionToken: readSessionCookie(request, cookie) ?? null };
}

function startCookieSession(
  { cookie }: SignInContext,
  reply: FastifyReply,
  { token, session, user }: { token: string; session: Session; user: User },
): SignInOutcome & { status: 'signed-in' } {
  setSessionCookie(reply, token, cookie);
  return { status: 'signed-in', session, user };
}

/** Ends the cookie's session, if any, and tells the browser to drop the cookie: what `POST /logout` and the pages share. */
export async function signOut(
  { core, cookie, guards }: Pick<RouteContext, 'core' | 'cookie' | 'guards'>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const principal = await guards.resolve(request).catch(() => null);
  if (principal?.credential === 'session') {
    request.auth = principal;
    await core.sessions.revokeSession(principal.session!.id, { actor: actorOf(request), logout: true });
  }
  if (readSessionCookie(request, cookie) !== undefined) clearSessionCookie(reply, cookie);
}

/** Gives a browser that just signed in the device cookie core issued with its session (see core/sign-in/device-cookies.ts). */
function rememberDevice(
  { cookie }: SignInContext,
  reply: FastifyReply,
  result: { status: string; deviceCookie?: string },
) {
  if (result.status === 'signed-in' && result.deviceCookie !== undefined)
    setDeviceCookie(reply, result.deviceCookie, cookie);
}
