import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { GatehouseError } from './errors.js';
import { busyError } from './hash-queue.js';
import { checkPasswordSize, type PasswordHasher } from './passwords.js';
import { createSecret } from './secrets.js';
import type { SessionOrigin, SessionService, Session } from './sessions.js';
import type { Store } from './store.js';
import type { LoginThrottle } from './throttle.js';
import { tryUsernameKey } from './usernames.js';
import { toUser, type User } from './users.js';

function throttled(retryAfterSeconds: number): GatehouseError {
  return new GatehouseError('ERR_THROTTLED', { details: { retryAfterSeconds } });
}

/** The sign-in operation; see {@link createLogin}. */
export type Login = ReturnType<typeof createLogin>;

/**
 * Password sign-in.
 *
 * Every failure (unknown user, wrong password, disabled user, a name that
 * could never exist) is the same `ERR_INVALID_CREDENTIALS` and costs the same
 * Argon2id verification: an unknown user is checked against a dummy hash made
 * with the live parameters, so neither the answer nor its timing tells an
 * attacker which accounts exist (OWASP Authentication Cheat Sheet).
 */
export function createLogin({
  store,
  hasher,
  clock,
  sessions,
  throttle,
  audit,
}: {
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  sessions: SessionService;
  throttle: LoginThrottle;
  audit: AuditLog;
}) {
  // Made lazily once, from a random password nobody knows, with the current parameters.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hasher.hash(createSecret()));

  return {
    /** Makes the dummy hash now, so the first failed login is not cheaper or dearer than the rest. */
    async warmUp(): Promise<void> {
      await getDummyHash();
    },

    /**
     * Checks a username and password and, when they are right, starts a new session.
     * @throws {GatehouseError} `ERR_INVALID_CREDENTIALS` for every kind of wrong; `ERR_VALIDATION` for a password over the size limit.
     */
    async login(
      credentials: { username: string; password: string },
      origin: SessionOrigin = {},
    ): Promise<{ token: string; session: Session; user: User }> {
      checkPasswordSize(credentials.password);
      // Refuse a sign-in the hasher could not take before any other work
      // (throttle, database), so that a flood costs as little as possible;
      // the same for every user, so it says nothing about who exists.
      if (hasher.saturated?.()) throw busyError();
      const key = tryUsernameKey(credentials.username);
      // A name that can never exist is counted under a stand-in key, so that it
      // is throttled exactly like a real or unknown account.
      const keys = { account: key ?? `invalid:${credentials.username.slice(0, 256).toLowerCase()}`, ip: origin.ip ?? 'unknown' };
      const where = { ip: origin.ip ?? null, userAgent: origin.userAgent ?? null };
      const { retryAfterSeconds, delayMs } = await throttle.check(keys);
      // Throttled: refused before any password check, even the right one.
      if (retryAfterSeconds > 0) {
        await audit.record({ type: 'login.throttled', ...where, detail: { retryAfterSeconds } });
        throw throttled(retryAfterSeconds);
      }
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const record = key === null ? null : await store.findUserByKey(key);
      const passwordHash = record?.passwordHash ?? (await getDummyHash());
      const passwordMatches = await hasher.verify(passwordHash, credentials.password);
      if (!record || !passwordMatches || record.disabled) {
        // The reason stays in the audit log; the caller gets one answer for all of them.
        const reason = key === null ? 'invalid_name' : !record ? 'unknown_user' : !passwordMatches ? 'wrong_password' : 'disabled';
        // Only an existing account's name is recorded: an unknown "name" is often a password typed in the wrong field.
        await audit.record({ type: 'login.failure', userId: record?.id ?? null, ...where, detail: { reason, ...(record && { username: record.username }) } });
        const blockedFor = await throttle.recordFailure(keys);
        if (blockedFor > 0) throw throttled(blockedFor);
        throw new GatehouseError('ERR_INVALID_CREDENTIALS');
      }
      await throttle.recordSuccess(keys);
      if (hasher.needsRehash(record.passwordHash)) {
        // The parameters were raised since this hash was made: upgrade it now
        // that the password is known (OWASP Password Storage Cheat Sheet).
        await store.updateUser(record.id, { passwordHash: await hasher.hash(credentials.password), updatedAt: clock.now() });
      }
      const { token, session } = await sessions.createSession(record.id, origin);
      await audit.record({ type: 'login.success', actor: record.id, userId: record.id, ...where, detail: { sessionId: session.id } });
      return { token, session, user: toUser(record) };
    },
  };
}
