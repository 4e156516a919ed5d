import type { Actor, AuditLog } from '../audit/index.js';
import type { Consents } from '../consents/index.js';
import { GatehouseError } from '../errors/index.js';
import { checkFailureError, type CheckFailure, type Login, type TwoFactor } from '../sign-in/index.js';
import type { SessionOrigin, SessionService } from '../sessions/index.js';
import type { User, UserService } from '../users/index.js';

/** The signed-in user making a change to their own account, and where from. */
export interface AccountActor {
  user: User;
  /** The session making the change: it stays when the others end. */
  sessionId: string;
  origin: SessionOrigin;
}

/** The error a failed re-authentication answers with: a wrong password is `ERR_CURRENT_PASSWORD` (403). */
export function reauthenticationError(failure: CheckFailure): GatehouseError {
  return failure.status === 'refused' ? new GatehouseError('ERR_CURRENT_PASSWORD') : checkFailureError(failure);
}

/** The account operations; see {@link createAccountService}. */
export type AccountService = ReturnType<typeof createAccountService>;

/**
 * What a signed-in user does to their own account. Every change that could
 * lock the owner out asks for the current password again, checked and
 * throttled exactly like a sign-in of that account (a stolen session cannot
 * guess it), and records its audit event. A failed re-authentication is a
 * {@link CheckFailure} value: `refused` means the password was wrong.
 */
export function createAccountService({
  login,
  users,
  sessions,
  twoFactor,
  audit,
  consents,
}: {
  login: Login;
  users: UserService;
  /** Ends the account's app grants when its credentials change. */
  consents: Pick<Consents, 'endUserGrants'>;
  sessions: SessionService;
  twoFactor: TwoFactor | null;
  audit: AuditLog;
}) {
  const actorOf = ({ user, origin }: AccountActor): Actor => ({
    id: user.id,
    kind: 'user',
    ip: origin.ip ?? null,
    userAgent: origin.userAgent ?? null,
  });

  function requireTwoFactor(): TwoFactor {
    if (!twoFactor) throw new Error('two-factor sign-in needs a master key');
    return twoFactor;
  }

  return {
    /**
     * Changes the password: the current one must be right. The user's other
     * sessions end, and any sign-in waiting for its second factor, and every
     * grant to an app (`offline_access` included).
     * @throws {GatehouseError} `ERR_WEAK_PASSWORD` (checked first: no attempt is spent on a password the policy refuses).
     */
    async changePassword(
      actor: AccountActor,
      passwords: { current: string; next: string },
    ): Promise<{ status: 'changed'; user: User } | CheckFailure> {
      users.checkNewPassword(actor.user, passwords.next);
      const confirmed = await login.reauthenticate(actor.user.id, passwords.current, actor.origin, actor.sessionId);
      if (confirmed.status !== 'confirmed') return confirmed;
      const user = await users.storePassword(actor.user.id, passwords.next, actor.sessionId);
      await audit.record({
        type: 'password.change',
        ...audit.from(actorOf(actor)),
        userId: user.id,
        detail: { by: 'self' },
      });
      await consents.endUserGrants(user.id, { actor: actorOf(actor), reason: 'password_change' });
      return { status: 'changed', user };
    },

    /**
     * Starts enrolling in two-factor sign-in, after the current password:
     * a new secret and the `otpauth://` URI an authenticator app scans.
     * @throws {GatehouseError} `ERR_TWO_FACTOR_ENABLED`.
     */
    async beginTwoFactor(
      actor: AccountActor,
      password: string,
    ): Promise<{ status: 'started'; secret: string; uri: string } | CheckFailure> {
      const confirmed = await login.reauthenticate(actor.user.id, password, actor.origin, actor.sessionId);
      if (confirmed.status !== 'confirmed') return confirmed;
      return { status: 'started', ...(await requireTwoFactor().beginEnrollment(actor.user)) };
    },

    /**
     * Confirms the enrolment with a code from the app and turns two-factor
     * sign-in on: the user's other sessions end (a session opened with the
     * password alone is not one the owner vouches for), so do the grants to
     * apps, and remembered Basic successes are forgotten. Returns the recovery codes, shown this once.
     * @throws {GatehouseError} `ERR_TWO_FACTOR_NOT_PENDING`, `ERR_INVALID_CODE`.
     */
    async confirmTwoFactor(
      actor: AccountActor,
      code: string,
    ): Promise<{ recoveryCodes: string[]; sessionsEnded: number }> {
      const { recoveryCodes } = await requireTwoFactor().confirmEnrollment(actor.user.id, code);
      const sessionsEnded = await sessions.revokeUserSessions(actor.user.id, { keepSessionId: actor.sessionId });
      await consents.endUserGrants(actor.user.id, { actor: actorOf(actor), reason: 'two_factor_enabled' });
      await users.touch(actor.user.id);
      await audit.record({
        type: 'two_factor.enable',
        ...audit.from(actorOf(actor)),
        userId: actor.user.id,
        detail: { sessionsEnded },
      });
      return { recoveryCodes, sessionsEnded };
    },

    /** Turns two-factor sign-in off (or cancels an enrolment), after the current password. */
    async disableTwoFactor(actor: AccountActor, password: string): Promise<{ status: 'disabled' } | CheckFailure> {
      const confirmed = await login.reauthenticate(actor.user.id, password, actor.origin, actor.sessionId);
      if (confirmed.status !== 'confirmed') return confirmed;
      if (await requireTwoFactor().disable(actor.user.id)) {
        await users.touch(actor.user.id);
        await audit.record({
          type: 'two_factor.disable',
          ...audit.from(actorOf(actor)),
          userId: actor.user.id,
          detail: { by: 'self' },
        });
      }
      return { status: 'disabled' };
    },
  };
}
