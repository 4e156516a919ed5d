import type { CheckFailure, LoginResult, PasswordCredentials, SecondFactorMethod } from './login-results.js';
import { secondFactorMethods } from './login-second-step.js';
import { startSession } from './login-session.js';
import { throttled, throttleKeys, where, type LoginContext } from './login-throttled-check.js';
import { deviceBinding } from './device-cookies.js';
import { checkPasswordSize } from '../passwords/index.js';
import { createSecret, hashSecret } from '../shared/index.js';
import type { SessionOrigin } from '../sessions/index.js';
import type { UserRecord } from '../store/index.js';
import { tryUsernameKey, toUser } from '../users/index.js';

/** How long a sign-in waits for its second factor. */
export const TWO_FACTOR_CHALLENGE_SECONDS = 300;

/**
 * The device id of a valid device cookie of the account named `key` (see
 * device-cookies.ts), else `null`; and the account's record when reading the
 * cookie needed it, so that the password check does not read it again.
 */
async function knownDevice(
  { store, deviceCookies }: LoginContext,
  key: string,
  cookie: string | undefined,
): Promise<{ device: string | null; record?: UserRecord | null }> {
  if (!deviceCookies || cookie === undefined) return { device: null };
  const record = await store.findUserByKey(key);
  return { device: record ? deviceCookies.read(cookie, deviceBinding(record)) : null, record };
}

/**
 * The password check every sign-in shares: the user record when the
 * credentials are right (and whether a second factor must follow), else
 * one failure for every kind of wrong, audited with its reason.
 */
async function checkPassword(
  context: LoginContext,
  credentials: PasswordCredentials,
  origin: SessionOrigin,
): Promise<{ status: 'right'; record: UserRecord; methods: SecondFactorMethod[] } | CheckFailure> {
  const { hasher, store, audit } = context;
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
  const known = key === null ? { device: null } : await knownDevice(context, key, credentials.deviceCookie);
  const keys = throttleKeys(context, account, origin, { device: known.device });
  const checked = await throttled(context, keys, origin, async () => {
    const record = key === null ? null : known.record !== undefined ? known.record : await store.findUserByKey(key);
    const passwordMatches = await hasher.verify(
      record?.passwordHash ?? (await context.dummyHash()),
      credentials.password,
    );
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
    const methods = await secondFactorMethods(context, record);
    return { outcome: 'right', value: { record, methods } };
  });
  if (checked.status !== 'checked') return checked;
  if (!checked.right || checked.value === null) return { status: 'refused' };
  return { status: 'right', ...checked.value };
}

/**
 * Checks a username and password and, when they are right, starts a new
 * session, or asks for the second factor (see {@link LoginResult}).
 * @throws {GatehouseError} `ERR_VALIDATION` for a password over the size limit (a malformed request).
 */
export async function signInWithPassword(
  context: LoginContext,
  credentials: PasswordCredentials,
  origin: SessionOrigin,
): Promise<LoginResult> {
  const { hasher, store, clock, audit } = context;
  const checked = await checkPassword(context, credentials, origin);
  if (checked.status !== 'right') return checked;
  let { record } = checked;
  if (hasher.needsRehash(record.passwordHash)) {
    // The parameters were raised since this hash was made: upgrade it now
    // that the password is known (OWASP Password Storage Cheat Sheet).
    const passwordHash = await hasher.hash(credentials.password);
    await store.updateUser(record.id, { passwordHash, updatedAt: clock.now() });
    // The device cookie of this sign-in is bound to the new hash.
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
  return startSession(context, record, origin);
}

/**
 * A username and password checked exactly as {@link signInWithPassword} checks them
 * (throttle, one answer for every kind of wrong, audit), for credentials
 * sent with every request (HTTP Basic); no session. A user with
 * two-factor sign-in is `refused`: a password alone never suffices.
 */
export async function verifyPassword(
  context: LoginContext,
  credentials: { username: string; password: string },
  origin: SessionOrigin,
): Promise<{ status: 'right'; record: UserRecord } | CheckFailure> {
  const checked = await checkPassword(context, credentials, origin);
  if (checked.status !== 'right') return checked;
  return checked.methods.length > 0 ? { status: 'refused' } : { status: 'right', record: checked.record };
}
