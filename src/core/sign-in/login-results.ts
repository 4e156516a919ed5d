import { GatehouseError } from '../errors/index.js';
import type { Session } from '../sessions/index.js';
import type { UserRecord } from '../store/index.js';
import type { SecondFactor } from './two-factor.js';
import type { User } from '../users/index.js';

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
