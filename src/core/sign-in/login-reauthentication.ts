import type { ReauthenticationResult } from './login-results.js';
import { throttled, throttleKeys, where, type LoginContext } from './login-throttled-check.js';
import { checkPasswordSize } from '../passwords/index.js';
import type { SessionOrigin } from '../sessions/index.js';

/**
 * Asks a signed-in user for their password again before a sensitive
 * change (a new password, two-factor sign-in on or off): checked and
 * throttled like a sign-in, so a stolen session cannot guess its way to
 * the password. The guesses of the session asking (`sessionId`) count
 * against its own allowance, so a lockout of the account by others does not
 * stop it; the wrong password that uses it up ends the session (audited), so
 * a session gets the policy's number of guesses once, not after every block.
 */
export async function reauthenticate(
  context: LoginContext,
  userId: string,
  password: string,
  { origin, sessionId }: { origin: SessionOrigin; sessionId: string | undefined },
): Promise<ReauthenticationResult> {
  const { hasher, store, audit, sessions } = context;
  checkPasswordSize(password);
  if (hasher.saturated?.()) return { status: 'busy', retryAfterSeconds: 1 };
  const record = await store.findUserById(userId);
  if (!record || record.disabled) return { status: 'refused' };
  const device = sessionId === undefined ? null : `session:${sessionId}`;
  const keys = throttleKeys(context, record.usernameKey, origin, { device });
  let checkedWrong = false;
  const checked = await throttled(context, keys, { ...origin, userId }, async () => {
    const right = await hasher.verify(record.passwordHash, password);
    if (!right) {
      checkedWrong = true;
      await audit.record({
        type: 'login.failure',
        userId,
        ...where(origin),
        detail: { reason: 'wrong_current_password', username: record.username },
      });
    }
    return { outcome: right ? 'right' : 'wrong', value: null };
  });
  if (checked.status === 'throttled' && checkedWrong && sessionId !== undefined) {
    // This wrong password started the block: the session that guessed it ends.
    if (await sessions.revokeSession(sessionId, { ownerId: userId })) {
      await audit.record({
        type: 'session.revoke',
        userId,
        ...where(origin),
        detail: { sessionId, reason: 'reauthentication_failures' },
      });
    }
  }
  if (checked.status !== 'checked') return checked;
  return checked.right ? { status: 'confirmed', user: record } : { status: 'refused' };
}
