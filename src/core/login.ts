import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { GatehouseError } from './errors.js';
import { busyError } from './hash-queue.js';
import { checkPasswordSize, type PasswordHasher } from './passwords.js';
import { createSecret, hashSecret } from './secrets.js';
import type { SessionOrigin, SessionService, Session } from './sessions.js';
import type { Store, UserRecord } from './store.js';
import type { LoginThrottle } from './throttle.js';
import type { SecondFactor, TwoFactor } from './two-factor.js';
import { tryUsernameKey } from './usernames.js';
import { toUser, type User } from './users.js';

function throttled(retryAfterSeconds: number): GatehouseError {
  return new GatehouseError('ERR_THROTTLED', { details: { retryAfterSeconds } });
}

/** How long a sign-in waits for its second factor. */
export const TWO_FACTOR_CHALLENGE_SECONDS = 300;

/**
 * The outcome of a right password: a session, or (for a user with
 * two-factor sign-in) a challenge to answer with a code. No session exists
 * until the second factor is given.
 */
export type LoginResult =
  | { status: 'signed-in'; token: string; session: Session; user: User; secondFactor?: SecondFactor }
  | { status: 'two-factor'; challenge: string; expiresAt: number; user: User };

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
  twoFactor,
}: {
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  sessions: SessionService;
  throttle: LoginThrottle;
  audit: AuditLog;
  /** Absent when no master key was given: then a user with two-factor sign-in cannot sign in at all. */
  twoFactor: TwoFactor | null;
}) {
  // Made lazily once, from a random password nobody knows, with the current parameters.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hasher.hash(createSecret()));

  /**
   * The password check every sign-in shares: the user record when the
   * credentials are right, else one failure for every kind of wrong (audited
   * with its reason, counted by the throttle).
   */
  async function checkPassword(
    credentials: { username: string; password: string },
    origin: SessionOrigin,
  ): Promise<{ record: UserRecord; keys: { account: string; ip: string } }> {
    checkPasswordSize(credentials.password);
    // Refuse a sign-in the hasher could not take before any other work
    // (throttle, database), so that a flood costs as little as possible;
    // the same for every user, so it says nothing about who exists.
    if (hasher.saturated?.()) throw busyError();
    const key = tryUsernameKey(credentials.username);
    // A name that can never exist is counted under a stand-in key, so that it
    // is throttled exactly like a real or unknown account.
    const keys = {
      account: key ?? `invalid:${credentials.username.slice(0, 256).toLowerCase()}`,
      ip: origin.ip ?? 'unknown',
    };
    const where = { ip: origin.ip ?? null, userAgent: origin.userAgent ?? null };
    await admit(keys, where);
    const record = key === null ? null : await store.findUserByKey(key);
    const passwordHash = record?.passwordHash ?? (await getDummyHash());
    const passwordMatches = await hasher.verify(passwordHash, credentials.password);
    if (!record || !passwordMatches || record.disabled) {
      // The reason stays in the audit log; the caller gets one answer for all of them.
      const reason =
        key === null ? 'invalid_name' : !record ? 'unknown_user' : !passwordMatches ? 'wrong_password' : 'disabled';
      // Only an existing account's name is recorded: an unknown "name" is often a password typed in the wrong field.
      await audit.record({
        type: 'login.failure',
        userId: record?.id ?? null,
        ...where,
        detail: { reason, ...(record && { username: record.username }) },
      });
      const blockedFor = await throttle.recordFailure(keys);
      if (blockedFor > 0) throw throttled(blockedFor);
      throw new GatehouseError('ERR_INVALID_CREDENTIALS');
    }
    return { record, keys };
  }

  /**
   * Throttled: refused before any check, even of the right password or code;
   * else slowed down after a few failures.
   */
  async function admit(
    keys: { account: string; ip: string },
    where: { ip: string | null; userAgent: string | null },
    userId?: string,
  ): Promise<void> {
    const { retryAfterSeconds, delayMs } = await throttle.check(keys);
    if (retryAfterSeconds > 0) {
      await audit.record({
        type: 'login.throttled',
        ...(userId && { userId }),
        ...where,
        detail: { retryAfterSeconds },
      });
      throw throttled(retryAfterSeconds);
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }

  async function needsSecondFactor(userId: string): Promise<boolean> {
    if (twoFactor) return twoFactor.isRequired(userId);
    // No key to check codes with: refuse rather than let a password alone in.
    if ((await store.findTwoFactor(userId))?.confirmedAt != null) {
      throw new GatehouseError('ERR_CONFIG', {
        message: 'invalid configuration: this user has two-factor sign-in, and no master key was given to check codes',
      });
    }
    return false;
  }

  /** Starts the session of a user whose credentials were just checked (`record` as read for that check). */
  async function startSession(
    record: UserRecord,
    origin: SessionOrigin,
    secondFactor?: SecondFactor,
  ): Promise<LoginResult & { status: 'signed-in' }> {
    const { token, session } = await sessions.createSession(record.id, origin);
    await audit.record({
      type: 'login.success',
      actor: record.id,
      userId: record.id,
      ip: origin.ip ?? null,
      userAgent: origin.userAgent ?? null,
      detail: { sessionId: session.id, ...(secondFactor && { secondFactor }) },
    });
    return { status: 'signed-in', token, session, user: toUser(record), ...(secondFactor && { secondFactor }) };
  }

  return {
    /** Makes the dummy hash now, so the first failed login is not cheaper or dearer than the rest. */
    async warmUp(): Promise<void> {
      await getDummyHash();
    },

    /**
     * Checks a username and password and, when they are right, starts a new
     * session, or asks for the second factor (see {@link LoginResult}).
     * @throws {GatehouseError} `ERR_INVALID_CREDENTIALS` for every kind of wrong; `ERR_VALIDATION` for a password over the size limit.
     */
    async login(credentials: { username: string; password: string }, origin: SessionOrigin = {}): Promise<LoginResult> {
      const { record, keys } = await checkPassword(credentials, origin);
      if (hasher.needsRehash(record.passwordHash)) {
        // The parameters were raised since this hash was made: upgrade it now
        // that the password is known (OWASP Password Storage Cheat Sheet).
        await store.updateUser(record.id, {
          passwordHash: await hasher.hash(credentials.password),
          updatedAt: clock.now(),
        });
      }
      if (await needsSecondFactor(record.id)) {
        // The throttle's failure count stands until the second factor is right:
        // a right password alone must not reset what guessing codes adds up.
        const challenge = createSecret();
        const expiresAt = clock.now() + TWO_FACTOR_CHALLENGE_SECONDS * 1000;
        await store.createLoginChallenge({
          tokenHash: hashSecret(challenge),
          userId: record.id,
          createdAt: clock.now(),
          expiresAt,
        });
        await audit.record({
          type: 'login.two_factor_required',
          actor: record.id,
          userId: record.id,
          ip: origin.ip ?? null,
          userAgent: origin.userAgent ?? null,
        });
        return { status: 'two-factor', challenge, expiresAt, user: toUser(record) };
      }
      await throttle.recordSuccess(keys);
      return startSession(record, origin);
    },

    /**
     * A username and password checked exactly as {@link login} checks them
     * (throttle, the same failure for every kind of wrong, audit), for
     * credentials sent with every request (HTTP Basic); no session. `null`
     * for a user with two-factor sign-in: a password alone never suffices.
     * @throws {GatehouseError} as {@link login} does.
     */
    async verifyPassword(
      credentials: { username: string; password: string },
      origin: SessionOrigin = {},
    ): Promise<UserRecord | null> {
      const { record, keys } = await checkPassword(credentials, origin);
      if (await needsSecondFactor(record.id)) return null;
      await throttle.recordSuccess(keys);
      return record;
    },

    /**
     * Completes a sign-in that asked for a second factor: the challenge from
     * {@link login} and a TOTP or recovery code. Wrong codes count against
     * the account and the address exactly like wrong passwords.
     * @throws {GatehouseError} `ERR_TWO_FACTOR_CHALLENGE` (expired, unknown or used), `ERR_INVALID_CREDENTIALS` (wrong code), `ERR_THROTTLED`.
     */
    async completeTwoFactor(
      challenge: string,
      code: string,
      origin: SessionOrigin = {},
    ): Promise<LoginResult & { status: 'signed-in' }> {
      const tokenHash = hashSecret(challenge);
      const pending = await store.findLoginChallenge(tokenHash, clock.now());
      const record = pending && (await store.findUserById(pending.userId));
      if (!pending || !record || record.disabled) throw new GatehouseError('ERR_TWO_FACTOR_CHALLENGE');
      const keys = { account: record.usernameKey, ip: origin.ip ?? 'unknown' };
      const where = { ip: origin.ip ?? null, userAgent: origin.userAgent ?? null };
      await admit(keys, where, record.id);
      const used = twoFactor ? await twoFactor.useCode(record.id, code) : null;
      if (!used) {
        await audit.record({
          type: 'login.failure',
          userId: record.id,
          ...where,
          detail: { reason: 'wrong_code', username: record.username },
        });
        const blockedFor = await throttle.recordFailure(keys);
        if (blockedFor > 0) throw throttled(blockedFor);
        throw new GatehouseError('ERR_INVALID_CREDENTIALS', { message: 'The code is not valid.' });
      }
      // One session per challenge, even when two right codes race.
      if (!(await store.deleteLoginChallenge(tokenHash))) throw new GatehouseError('ERR_TWO_FACTOR_CHALLENGE');
      await throttle.recordSuccess(keys);
      return startSession(record, origin, used);
    },
  };
}
