import { GatehouseError } from '../errors/index.js';
import type { SecondFactorMethod, SecondFactorResult } from './login-results.js';
import { startSession } from './login-session.js';
import { throttled, throttleKeys, where, type LoginContext } from './login-throttled-check.js';
import { hashSecret } from '../shared/index.js';
import type { SessionOrigin } from '../sessions/index.js';
import type { UserRecord } from '../store/index.js';

/** Whether the user must answer with a TOTP or recovery code; without a master key, such a user cannot sign in. */
async function hasTotp({ twoFactor, store }: LoginContext, userId: string): Promise<boolean> {
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
export async function secondFactorMethods(context: LoginContext, record: UserRecord): Promise<SecondFactorMethod[]> {
  const { store, requirePasskeyForRoles } = context;
  const passkey = (await store.listPasskeys(record.id)).length > 0;
  if (passkey && record.roles.some((role) => requirePasskeyForRoles.includes(role))) return ['passkey'];
  const codes: SecondFactorMethod[] = (await hasTotp(context, record.id)) ? ['totp', 'recovery_code'] : [];
  return passkey ? [...codes, 'passkey'] : codes;
}

/**
 * Completes a sign-in that asked for a second factor with `check`, which
 * verifies (and uses up) the answer of one of the allowed `method`s;
 * throttled apart from passwords (see {@link attemptKeys}), counted before it is made.
 */
export async function completeSecondFactor(
  context: LoginContext,
  challenge: string,
  origin: SessionOrigin,
  { method, check }: { method: SecondFactorMethod; check: (record: UserRecord) => Promise<SecondFactorMethod | null> },
): Promise<SecondFactorResult> {
  const { store, clock, audit } = context;
  const tokenHash = hashSecret(challenge);
  const pending = await store.findLoginChallenge(tokenHash, clock.now());
  const record = pending && (await store.findUserById(pending.userId));
  if (!pending || !record || record.disabled) return { status: 'expired' };
  const allowed = (await secondFactorMethods(context, record)).includes(method);
  const checked = await throttled(
    context,
    throttleKeys(context, record.usernameKey, origin, { kind: method === 'passkey' ? 'passkey' : 'code' }),
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
  return startSession(context, record, origin, { secondFactor: checked.value });
}
