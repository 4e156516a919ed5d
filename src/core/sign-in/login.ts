import { createLoginContext, type LoginOptions } from './login-throttled-check.js';
import { signInWithPasskey } from './login-passkey.js';
import { signInWithPassword, verifyPassword } from './login-password.js';
import { reauthenticate } from './login-reauthentication.js';
import type {
  CheckFailure,
  LoginResult,
  PasswordCredentials,
  ReauthenticationResult,
  SecondFactorResult,
} from './login-results.js';
import { completeSecondFactor } from './login-second-step.js';
import type { SessionOrigin } from '../sessions/index.js';
import type { UserRecord } from '../store/index.js';

export {
  checkFailureError,
  type CheckFailure,
  type LoginResult,
  type PasswordCredentials,
  type ReauthenticationResult,
  type SecondFactorMethod,
  type SecondFactorResult,
} from './login-results.js';
export { TWO_FACTOR_CHALLENGE_SECONDS } from './login-password.js';
export type { LoginOptions } from './login-throttled-check.js';

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
 *
 * The steps live beside it: the password (login-password.ts), the second
 * step (login-second-step.ts), passkeys (login-passkey.ts), re-authentication
 * (login-reauthentication.ts), the session start (login-session.ts) and the
 * throttled-check runner they all go through (login-throttled-check.ts).
 */
export function createLogin(options: LoginOptions) {
  const context = createLoginContext(options);
  return {
    /** Makes the dummy hash now, so the first failed login is not cheaper or dearer than the rest. */
    async warmUp(): Promise<void> {
      await context.dummyHash();
    },

    /**
     * Checks a username and password and, when they are right, starts a new
     * session, or asks for the second factor (see {@link LoginResult}).
     * @throws {GatehouseError} `ERR_VALIDATION` for a password over the size limit (a malformed request).
     */
    login(credentials: PasswordCredentials, origin: SessionOrigin = {}): Promise<LoginResult> {
      return signInWithPassword(context, credentials, origin);
    },

    /**
     * A username and password checked exactly as {@link login} checks them
     * (throttle, one answer for every kind of wrong, audit), for credentials
     * sent with every request (HTTP Basic); no session. A user with
     * two-factor sign-in is `refused`: a password alone never suffices.
     */
    verifyPassword(
      credentials: { username: string; password: string },
      origin: SessionOrigin = {},
    ): Promise<{ status: 'right'; record: UserRecord } | CheckFailure> {
      return verifyPassword(context, credentials, origin);
    },

    /**
     * Completes a sign-in that asked for a second factor: the challenge from
     * {@link login} and a TOTP or recovery code. Codes have their own limit
     * per account, counted before they are checked; wrong passwords do not block them.
     */
    completeTwoFactor(challenge: string, code: string, origin: SessionOrigin = {}): Promise<SecondFactorResult> {
      return completeSecondFactor(context, challenge, origin, {
        method: 'totp',
        check: async (record) => (context.twoFactor ? context.twoFactor.useCode(record.id, code) : null),
      });
    },

    /**
     * Completes a sign-in that asked for a second factor with a passkey:
     * `check` verifies the assertion for the user (see core/passkeys.ts).
     */
    completeWithPasskey(
      challenge: string,
      origin: SessionOrigin,
      check: (record: UserRecord) => Promise<boolean>,
    ): Promise<SecondFactorResult> {
      return completeSecondFactor(context, challenge, origin, {
        method: 'passkey',
        check: async (record) => ((await check(record)) ? 'passkey' : null),
      });
    },

    /**
     * Signs in without a password: `check` verifies a passkey assertion of
     * `record`'s user, throttled like a password (counted before it is
     * checked) but on counters of its own: password failures never block it.
     */
    signInWithPasskey(
      record: UserRecord,
      origin: SessionOrigin,
      check: () => Promise<{ right: boolean; reason?: string }>,
    ): Promise<(LoginResult & { status: 'signed-in' }) | CheckFailure> {
      return signInWithPasskey(context, record, origin, check);
    },

    /**
     * Asks a signed-in user for their password again before a sensitive
     * change (a new password, two-factor sign-in on or off): checked and
     * throttled exactly like a sign-in of that account, so a stolen session
     * cannot guess its way to the password.
     */
    reauthenticate(
      userId: string,
      password: string,
      origin: SessionOrigin = {},
      /** The session asking: its guesses count against its own allowance, so a lockout of the account by others does not stop it. */
      sessionId?: string,
    ): Promise<ReauthenticationResult> {
      return reauthenticate(context, userId, password, { origin, sessionId });
    },
  };
}
