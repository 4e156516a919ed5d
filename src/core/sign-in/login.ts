import { attemptKeys, type AttemptKind } from './attempt-keys.js';
import type { AuditLog } from '../audit/index.js';
import { type Clock, createSecret, hashSecret } from '../shared/index.js';
import { deviceBinding, type DeviceCookies } from './device-cookies.js';
import { GatehouseError } from '../errors/index.js';
import { checkPasswordSize, type PasswordHasher } from '../passwords/index.js';
import type { AuthMethod, SessionOrigin, SessionService, Session } from '../sessions/index.js';
import type { PasskeyStore, TwoFactorStore, UserRecord, UserStore } from '../store/index.js';
import type { LoginThrottle, ThrottleKeys } from './throttle.js';
import type { SecondFactor, TwoFactor } from './two-factor.js';
import { tryUsernameKey, toUser, type User } from '../users/index.js';

/** How long a sign-in waits for its second factor. */
export const TWO_FACTOR_CHALLENGE_SECONDS = 300;

/**
 * Why a password or code was not accepted, as a value: every kind of wrong
 * is one `refused` (the audit log keeps the reason); `throttled` and `busy`
 * say when to try again.
 */
export type CheckFailure =
  | { status: 'refused' }
  | { status: 'throttled'; retryAfterSeconds: number }
  | { status: 'busy'; retryAfterSeconds: number };

/** What may answer a sign-in's second step: a TOTP code, a recovery code, or a passkey. */
export type SecondFactorMethod = SecondFactor | 'passkey';

/**
 * The outcome of a sign-in: a session; or, for a user with two-factor
 * sign-in or a passkey, a challenge to answer with one of `methods` (no
 * session exists until then); or a {@link CheckFailure}.
 */
export type LoginResult =
  | {
      status: 'signed-in';
      token: string;
      session: Session;
      user: User;
      secondFactor?: SecondFactorMethod;
      /** The browser's new device cookie (see device-cookies.ts); absent without device cookies. */
      deviceCookie?: string;
    }
  | { status: 'two-factor'; challenge: string; expiresAt: number; user: User; methods: SecondFactorMethod[] }
  | CheckFailure;

/** The outcome of answering a sign-in's challenge: also `expired` when the challenge is unknown, used or too old. */
export type SecondFactorResult = (LoginResult & { status: 'signed-in' }) | CheckFailure | { status: 'expired' };

/** The outcome of asking a signed-in user for their password again. */
export type ReauthenticationResult = { status: 'confirmed'; user: UserRecord } | CheckFailure;

/**
 * The error a failed check answers with, where the caller answers with
 * errors (HTTP problems); `refused` may say what was wrong (`The code is not valid.`).
 */
export function checkFailureError(
  failure: CheckFailure | { status: 'expired' },
  refusedMessage?: string,
): GatehouseError {
  switch (failure.status) {
    case 'refused':
      return new GatehouseError(
        'ERR_INVALID_CREDENTIALS',
        refusedMessage === undefined ? {} : { message: refusedMessage },
      );
    case 'expired':
      return new GatehouseError('ERR_TWO_FACTOR_CHALLENGE');
    case 'throttled':
      return new GatehouseError('ERR_THROTTLED', { details: { retryAfterSeconds: failure.retryAfterSeconds } });
    case 'busy':
      return new GatehouseError('ERR_BUSY', { details: { retryAfterSeconds: failure.retryAfterSeconds } });
  }
}

/** A username and password, and the browser's device cookie if it sent one (see device-cookies.ts). */
export interface PasswordCredentials {
  username: string;
  password: string;
  /** The device cookie as presented: a valid one of this account counts the attempt against that browser's own allowance. */
  deviceCookie?: string;
}

/** The sign-in operations; see {@link createLogin}. */
export type Login = ReturnType<typeof createLogin>;

/**
 * Everything that checks a password or a code: sign-in, its second factor,
 * HTTP Basic for users, and re-authentication before a sensitive change.
 *
 * Every check is counted by the throttle before it is made (so a burst of
 * concurrent guesses checks at most the policy's number), against the
 * counters {@link attemptKeys} picks: passwords against the account and the
 * address (or a known browser's own allowance), codes and passkeys apart
 * from passwords. Every failure of a
 * sign-in (unknown user, wrong password, disabled user, a name that could
 * never exist) is the same `refused` and costs the same Argon2id
 * verification: an unknown user is checked against a dummy hash made with
 * the live parameters (OWASP Authentication Cheat Sheet).
 */
export function createLogin({
  store,
  hasher,
  clock,
  sessions,
  throttle,
  audit,
  twoFactor,
  ipv6PrefixLength,
  requirePasskeyForRoles = [],
  deviceCookies = null,
}: {
  store: Pick<UserStore, 'findUserByKey' | 'findUserById' | 'updateUser'> &
    Pick<TwoFactorStore, 'findTwoFactor' | 'createLoginChallenge' | 'findLoginChallenge' | 'deleteLoginChallenge'> &
    Pick<PasskeyStore, 'listPasskeys'>;
  hasher: PasswordHasher;
  clock: Clock;
  sessions: SessionService;
  throttle: LoginThrottle;
  audit: AuditLog;
  /** Absent when no master key was given: then a user with two-factor sign-in cannot sign in at all. */
  twoFactor: TwoFactor | null;
  /** How per-address limits group IPv6 clients. */
  ipv6PrefixLength?: number;
  /** Roles whose holders, once they have a passkey, must answer a password with it (not with a code). Default none. */
  requirePasskeyForRoles?: readonly string[];
  /** Known browsers keep their own allowance of wrong passwords. Default none: every failure counts account-wide. */
  deviceCookies?: DeviceCookies | null;
}) {
  // Made lazily once, from a random password nobody knows, with the current parameters.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hasher.hash(createSecret()));
  const where = (origin: SessionOrigin) => ({ ip: origin.ip ?? null, userAgent: origin.userAgent ?? null });
  const throttleKeys = (
    account: string,
    origin: SessionOrigin,
    options: { kind?: AttemptKind; device?: string | null } = {},
  ) => attemptKeys(account, origin.ip, { ...options, ipv6PrefixLength });

  /**
   * Runs one throttled check: refused before any work when the hasher is
   * full, or when the throttle does not admit it; otherwise counted first,
   * slowed down when due, then settled by what `check` found.
   */
  async function throttled<T>(
    keys: ThrottleKeys,
    origin: SessionOrigin & { userId?: string },
    check: () => Promise<{ outcome: 'right' | 'wrong'; value: T }>,
  ): Promise<{ status: 'checked'; right: boolean; value: T } | CheckFailure> {
    const ticket = await throttle.begin(keys);
    if (!ticket.admitted) {
      await audit.record({
        type: 'login.throttled',
        ...(origin.userId && { userId: origin.userId }),
        ...where(origin),
        detail: { retryAfterSeconds: ticket.retryAfterSeconds },
      });
      return { status: 'throttled', retryAfterSeconds: ticket.retryAfterSeconds };
    }
    let result: { outcome: 'right' | 'wrong'; value: T };
    try {
      if (ticket.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, ticket.delayMs));
      result = await check();
    } catch (error) {
      // The check itself failed (the database, the hasher): it proved nothing either way.
      await ticket.abstain().catch(() => undefined);
      if (error instanceof GatehouseError && error.code === 'ERR_BUSY') return { status: 'busy', retryAfterSeconds: 1 };
      throw error;
    }
    if (result.outcome === 'right') await ticket.succeed();
    else {
      const blockedFor = await ticket.fail();
      if (blockedFor > 0) return { status: 'throttled', retryAfterSeconds: blockedFor };
    }
    return { status: 'checked', right: result.outcome === 'right', value: result.value };
  }

  /**
   * The password check every sign-in shares: the user record when the
   * credentials are right (and whether a second factor must follow), else
   * one failure for every kind of wrong, audited with its reason.
   */
  async function checkPassword(
    credentials: PasswordCredentials,
    origin: SessionOrigin,
  ): Promise<{ status: 'right'; record: UserRecord; methods: SecondFactorMethod[] } | CheckFailure> {
    checkPasswordSize(credentials.password);
    // Refuse a sign-in the hasher could not take before any other work
    // (throttle, database), so that a flood costs as little as possible;
    // the same for every user, so it says nothing about who exists.
    if (hasher.saturated?.()) return { status: 'busy', retryAfterSeconds: 1 };
    const key = tryUsernameKey(credentials.username);
    // A name that can never exist is counted under a stand-in key, so that it
    // is throttled exactly like a real or unknown account.
    const account = key ?? `invalid:${credentials.username.slice(0, 256).toLowerCase()}`;
    // A valid device cookie of this account: the attempt counts against that browser's own allowance.
    const device = key === null ? null : await knownDevice(key, credentials.deviceCookie);
    const checked = await throttled(throttleKeys(account, origin, { device }), origin, async () => {
      const record = key === null ? null : await store.findUserByKey(key);
      const passwordMatches = await hasher.verify(record?.passwordHash ?? (await getDummyHash()), credentials.password);
      if (!record || !passwordMatches || record.disabled) {
        // The reason stays in the audit log; the caller gets one answer for all of them.
        const reason =
          key === null ? 'invalid_name' : !record ? 'unknown_user' : !passwordMatches ? 'wrong_password' : 'disabled';
        // Only an existing account's name is recorded: an unknown "name" is often a password typed in the wrong field.
        await audit.record({
          type: 'login.failure',
          userId: record?.id ?? null,
          ...where(origin),
          detail: { reason, ...(record && { username: record.username }) },
        });
        return { outcome: 'wrong', value: null };
      }
      // A right password resets the password count even when a second factor must follow:
      // codes have counters of their own (attempt-keys.ts), which only a right code resets.
      const methods = await secondFactorMethods(record);
      return { outcome: 'right', value: { record, methods } };
    });
    if (checked.status !== 'checked') return checked;
    if (!checked.right || checked.value === null) return { status: 'refused' };
    return { status: 'right', ...checked.value };
  }

  /** The device id of a valid device cookie of the account named `key` (see device-cookies.ts), else `null`. */
  async function knownDevice(key: string, cookie: string | undefined): Promise<string | null> {
    if (!deviceCookies || cookie === undefined) return null;
    const record = await store.findUserByKey(key);
    return record ? deviceCookies.read(cookie, deviceBinding(record)) : null;
  }

  async function hasTotp(userId: string): Promise<boolean> {
    if (twoFactor) return twoFactor.isRequired(userId);
    // No key to check codes with: refuse rather than let a password alone in.
    if ((await store.findTwoFactor(userId))?.confirmedAt != null) {
      throw new GatehouseError('ERR_CONFIG', {
        message: 'invalid configuration: this user has two-factor sign-in, and no master key was given to check codes',
      });
    }
    return false;
  }

  /**
   * What may follow this user's right password; none: the password suffices.
   * A passkey makes the password alone insufficient (it is the factor that
   * cannot be phished); a role that requires passkeys accepts only a passkey.
   */
  async function secondFactorMethods(record: UserRecord): Promise<SecondFactorMethod[]> {
    const passkey = (await store.listPasskeys(record.id)).length > 0;
    if (passkey && record.roles.some((role) => requirePasskeyForRoles.includes(role))) return ['passkey'];
    const codes: SecondFactorMethod[] = (await hasTotp(record.id)) ? ['totp', 'recovery_code'] : [];
    return passkey ? [...codes, 'passkey'] : codes;
  }

  /** RFC 8176 `amr` of a sign-in: a second factor makes it multi-factor; a passkey is a hardware key checked with the user. */
  function authMethodsOf(how: { secondFactor?: SecondFactorMethod; passwordless?: boolean }): AuthMethod[] {
    if (how.passwordless) return ['hwk', 'user'];
    if (how.secondFactor === 'passkey') return ['pwd', 'hwk', 'user', 'mfa'];
    return how.secondFactor ? ['pwd', 'otp', 'mfa'] : ['pwd'];
  }

  /** Starts the session of a user whose credentials were just checked, or continues the browser's own. */
  async function startSession(
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

  /**
   * Completes a sign-in that asked for a second factor with `check`, which
   * verifies (and uses up) the answer of one of the allowed `method`s;
   * throttled apart from passwords (see {@link attemptKeys}), counted before it is made.
   */
  async function completeSecondFactor(
    challenge: string,
    method: SecondFactorMethod,
    origin: SessionOrigin,
    check: (record: UserRecord) => Promise<SecondFactorMethod | null>,
  ): Promise<SecondFactorResult> {
    const tokenHash = hashSecret(challenge);
    const pending = await store.findLoginChallenge(tokenHash, clock.now());
    const record = pending && (await store.findUserById(pending.userId));
    if (!pending || !record || record.disabled) return { status: 'expired' };
    const allowed = (await secondFactorMethods(record)).includes(method);
    const checked = await throttled(
      throttleKeys(record.usernameKey, origin, { kind: method === 'passkey' ? 'passkey' : 'code' }),
      { ...origin, userId: record.id },
      async () => {
        const used = allowed ? await check(record) : null;
        if (!used) {
          await audit.record({
            type: 'login.failure',
            userId: record.id,
            ...where(origin),
            detail: {
              reason: !allowed ? 'method_not_allowed' : method === 'passkey' ? 'wrong_passkey' : 'wrong_code',
              username: record.username,
              ...(method === 'passkey' && { method: 'passkey' }),
            },
          });
        }
        return { outcome: used ? 'right' : 'wrong', value: used };
      },
    );
    if (checked.status !== 'checked') return checked;
    if (!checked.value) return { status: 'refused' };
    // One session per challenge, even when two right answers race.
    if (!(await store.deleteLoginChallenge(tokenHash))) return { status: 'expired' };
    return startSession(record, origin, { secondFactor: checked.value });
  }

  return {
    /** Makes the dummy hash now, so the first failed login is not cheaper or dearer than the rest. */
    async warmUp(): Promise<void> {
      await getDummyHash();
    },

    /**
     * Checks a username and password and, when they are right, starts a new
     * session, or asks for the second factor (see {@link LoginResult}).
     * @throws {GatehouseError} `ERR_VALIDATION` for a password over the size limit (a malformed request).
     */
    async login(credentials: PasswordCredentials, origin: SessionOrigin = {}): Promise<LoginResult> {
      const checked = await checkPassword(credentials, origin);
      if (checked.status !== 'right') return checked;
      let { record } = checked;
      if (hasher.needsRehash(record.passwordHash)) {
        // The parameters were raised since this hash was made: upgrade it now
        // that the password is known (OWASP Password Storage Cheat Sheet).
        const passwordHash = await hasher.hash(credentials.password);
        await store.updateUser(record.id, { passwordHash, updatedAt: clock.now() });
        record = { ...record, passwordHash };
      }
      if (checked.methods.length > 0) {
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
          ...where(origin),
        });
        return { status: 'two-factor', challenge, expiresAt, user: toUser(record), methods: checked.methods };
      }
      return startSession(record, origin);
    },

    /**
     * A username and password checked exactly as {@link login} checks them
     * (throttle, one answer for every kind of wrong, audit), for credentials
     * sent with every request (HTTP Basic); no session. A user with
     * two-factor sign-in is `refused`: a password alone never suffices.
     */
    async verifyPassword(
      credentials: { username: string; password: string },
      origin: SessionOrigin = {},
    ): Promise<{ status: 'right'; record: UserRecord } | CheckFailure> {
      const checked = await checkPassword(credentials, origin);
      if (checked.status !== 'right') return checked;
      return checked.methods.length > 0 ? { status: 'refused' } : { status: 'right', record: checked.record };
    },

    /**
     * Completes a sign-in that asked for a second factor: the challenge from
     * {@link login} and a TOTP or recovery code. Codes have their own limit
     * per account, counted before they are checked; wrong passwords do not block them.
     */
    async completeTwoFactor(challenge: string, code: string, origin: SessionOrigin = {}): Promise<SecondFactorResult> {
      return completeSecondFactor(challenge, 'totp', origin, async (record) =>
        twoFactor ? twoFactor.useCode(record.id, code) : null,
      );
    },

    /**
     * Completes a sign-in that asked for a second factor with a passkey:
     * `check` verifies the assertion for the user (see core/passkeys.ts).
     */
    async completeWithPasskey(
      challenge: string,
      origin: SessionOrigin,
      check: (record: UserRecord) => Promise<boolean>,
    ): Promise<SecondFactorResult> {
      return completeSecondFactor(challenge, 'passkey', origin, async (record) =>
        (await check(record)) ? 'passkey' : null,
      );
    },

    /**
     * Signs in without a password: `check` verifies a passkey assertion of
     * `record`'s user, throttled like a password (counted before it is
     * checked) but on counters of its own: password failures never block it.
     */
    async signInWithPasskey(
      record: UserRecord,
      origin: SessionOrigin,
      check: () => Promise<{ right: boolean; reason?: string }>,
    ): Promise<(LoginResult & { status: 'signed-in' }) | CheckFailure> {
      if (record.disabled) return { status: 'refused' };
      const checked = await throttled(
        throttleKeys(record.usernameKey, origin, { kind: 'passkey' }),
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
      return startSession(record, origin, { passwordless: true });
    },

    /**
     * Asks a signed-in user for their password again before a sensitive
     * change (a new password, two-factor sign-in on or off): checked and
     * throttled like a sign-in, so a stolen session cannot guess its way to
     * the password. With `sessionId`, against that session's own allowance;
     * the wrong password that uses it up ends the session (audited), so a
     * session gets the policy's number of guesses once, not after every block.
     */
    async reauthenticate(
      userId: string,
      password: string,
      origin: SessionOrigin = {},
      /** The session asking: its guesses count against its own allowance, so a lockout of the account by others does not stop it. */
      sessionId?: string,
    ): Promise<ReauthenticationResult> {
      checkPasswordSize(password);
      if (hasher.saturated?.()) return { status: 'busy', retryAfterSeconds: 1 };
      const record = await store.findUserById(userId);
      if (!record || record.disabled) return { status: 'refused' };
      const device = sessionId === undefined ? null : `session:${sessionId}`;
      const keys = throttleKeys(record.usernameKey, origin, { device });
      let checkedWrong = false;
      const checked = await throttled(keys, { ...origin, userId }, async () => {
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
    },
  };
}
