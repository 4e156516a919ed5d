import type { CheckFailure, LoginResult } from './login-results.js';
import { startSession } from './login-session.js';
import { throttled, throttleKeys, where, type LoginContext } from './login-throttled-check.js';
import type { SessionOrigin } from '../sessions/index.js';
import type { UserRecord } from '../store/index.js';

/**
 * Signs in without a password: `check` verifies a passkey assertion of
 * `record`'s user, throttled like a password (counted before it is
 * checked) but on counters of its own: password failures never block it.
 */
export async function signInWithPasskey(
  context: LoginContext,
  record: UserRecord,
  origin: SessionOrigin,
  check: () => Promise<{ right: boolean; reason?: string }>,
): Promise<(LoginResult & { status: 'signed-in' }) | CheckFailure> {
  const { audit } = context;
  if (record.disabled) return { status: 'refused' };
  const checked = await throttled(
    context,
    throttleKeys(context, record.usernameKey, origin, { kind: 'passkey' }),
    { ...origin, userId: record.id },
    async () => {
      const { right, reason } = await check();
      if (!right) {
        await audit.record({
          type: 'login.failure',
          userId: record.id,
          ...where(origin),
          detail: { reason: reason ?? 'wrong_passkey', username: record.username, method: 'passkey' },
        });
      }
      return { outcome: right ? 'right' : 'wrong', value: null };
    },
  );
  if (checked.status !== 'checked') return checked;
  if (!checked.right) return { status: 'refused' };
  return startSession(context, record, origin, { passwordless: true });
}
