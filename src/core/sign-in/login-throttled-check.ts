import { attemptKeys, type AttemptKind } from './attempt-keys.js';
import type { AuditLog } from '../audit/index.js';
import { type Clock, createSecret } from '../shared/index.js';
import type { DeviceCookies } from './device-cookies.js';
import { GatehouseError } from '../errors/index.js';
import type { CheckFailure } from './login-results.js';
import type { PasswordHasher } from '../passwords/index.js';
import type { SessionOrigin, SessionService } from '../sessions/index.js';
import type { PasskeyStore, TwoFactorStore, UserStore } from '../store/index.js';
import type { LoginThrottle, ThrottleKeys } from './throttle.js';
import type { TwoFactor } from './two-factor.js';

/** What {@link createLogin} is given; see its options. */
export interface LoginOptions {
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
}

/** What every sign-in step shares: the options with their defaults, and the dummy hash of unknown users. */
export interface LoginContext extends LoginOptions {
  requirePasskeyForRoles: readonly string[];
  deviceCookies: DeviceCookies | null;
  /** A hash of a random password nobody knows, made once with the live parameters. */
  dummyHash(): Promise<string>;
}

/** The context of {@link createLogin}'s steps: defaults filled in, the dummy hash made lazily once. */
export function createLoginContext(options: LoginOptions): LoginContext {
  let dummyHash: Promise<string> | undefined;
  return {
    ...options,
    requirePasskeyForRoles: options.requirePasskeyForRoles ?? [],
    deviceCookies: options.deviceCookies ?? null,
    dummyHash: () => (dummyHash ??= options.hasher.hash(createSecret())),
  };
}

/** The audit event's `ip` and `userAgent` of a request's origin. */
export const where = (origin: SessionOrigin) => ({ ip: origin.ip ?? null, userAgent: origin.userAgent ?? null });

/** The counters an attempt of `account` goes to (see {@link attemptKeys}). */
export function throttleKeys(
  context: LoginContext,
  account: string,
  origin: SessionOrigin,
  options: { kind?: AttemptKind; device?: string | null } = {},
): ThrottleKeys {
  return attemptKeys(account, origin.ip, { ...options, ipv6PrefixLength: context.ipv6PrefixLength });
}

/**
 * Runs one throttled check: refused before any work when the hasher is
 * full, or when the throttle does not admit it; otherwise counted first,
 * slowed down when due, then settled by what `check` found.
 */
export async function throttled<T>(
  { throttle, audit }: LoginContext,
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
