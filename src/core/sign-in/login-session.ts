import { deviceBinding } from './device-cookies.js';
import { type LoginContext, where } from './login-throttled-check.js';
import type { LoginResult, SecondFactorMethod } from './login-results.js';
import type { AuthMethod, SessionOrigin } from '../sessions/index.js';
import type { UserRecord } from '../store/index.js';
import { toUser } from '../users/index.js';

/** RFC 8176 `amr` of a sign-in: a second factor makes it multi-factor; a passkey is a hardware key checked with the user. */
export function authMethodsOf(how: { secondFactor?: SecondFactorMethod; passwordless?: boolean }): AuthMethod[] {
  if (how.passwordless) return ['hwk', 'user'];
  if (how.secondFactor === 'passkey') return ['pwd', 'hwk', 'user', 'mfa'];
  return how.secondFactor ? ['pwd', 'otp', 'mfa'] : ['pwd'];
}

/** Starts the session of a user whose credentials were just checked, or continues the browser's own. */
export async function startSession(
  { sessions, audit, deviceCookies }: LoginContext,
  record: UserRecord,
  origin: SessionOrigin,
  how: { secondFactor?: SecondFactorMethod; passwordless?: boolean } = {},
): Promise<LoginResult & { status: 'signed-in' }> {
  const { secondFactor } = how;
  const { token, session } = await sessions.startSignedInSession(record.id, origin, authMethodsOf(how));
  await audit.record({
    type: 'login.success',
    actor: record.id,
    userId: record.id,
    ...where(origin),
    detail: {
      sessionId: session.id,
      ...(secondFactor && { secondFactor }),
      ...((how.passwordless || secondFactor === 'passkey') && { method: 'passkey' }),
    },
  });
  const deviceCookie = deviceCookies?.issue(deviceBinding(record));
  const signedIn = { status: 'signed-in' as const, token, session, user: toUser(record) };
  return { ...signedIn, ...(secondFactor && { secondFactor }), ...(deviceCookie && { deviceCookie }) };
}
