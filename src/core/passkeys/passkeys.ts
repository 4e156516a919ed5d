import type { Consents } from '../consents/index.js';
import type { AccountActor } from '../accounts/index.js';
import type { Actor, AuditLog } from '../audit/index.js';
import type { Clock } from '../shared/index.js';
import { GatehouseError } from '../errors/index.js';
import type { Login } from '../sign-in/index.js';
import { parseName, relyingPartyOf, toPasskey, where, type Passkey, type PasskeyOptions } from './passkey-ceremony.js';
import { createPasskeyRegistration } from './passkey-registration.js';
import { createPasskeySignIn } from './passkey-sign-in.js';
import type { SessionService } from '../sessions/index.js';
import type { PasskeyStore, SessionStore, TwoFactorStore, UserStore } from '../store/index.js';
import { changedBy, type UserService } from '../users/index.js';

export type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
export { PASSKEY_CHALLENGE_SECONDS, type Passkey, type PasskeyOptions } from './passkey-ceremony.js';
export { MAX_PASSKEYS_PER_USER, RECENT_SIGN_IN_SECONDS } from './passkey-registration.js';

/** The passkey service; see {@link createPasskeys}. */
export type Passkeys = ReturnType<typeof createPasskeys>;

/**
 * Passkeys (WebAuthn Level 3) through `@simplewebauthn/server`: the
 * registration and authentication ceremonies, and the rules around them.
 *
 * - Challenges are made here (32 random bytes), stored server-side by
 *   their SHA-256, live {@link PASSKEY_CHALLENGE_SECONDS} and are used once
 *   (deleted before the answer is checked): any instance finishes a
 *   ceremony another began, and of concurrent answers to one challenge only
 *   one is checked at all.
 * - User verification is required; attestation is `none`; discoverable
 *   credentials are preferred, so that a passkey signs in without a name.
 * - The signature counter must move forward (WebAuthn §6.1.1): one that
 *   does not is refused and audited as a possibly cloned authenticator. The
 *   stored counter is updated compare-and-set, so two uses cannot share one value.
 * - A sign-in with a passkey is throttled, audited and recorded (`amr`
 *   `hwk user`) like one with a password, through {@link Login}.
 */
export function createPasskeys({
  store,
  clock,
  audit,
  login,
  sessions,
  users,
  consents,
  options,
}: {
  store: PasskeyStore &
    Pick<SessionStore, 'findSessionById'> &
    Pick<UserStore, 'findUserById'> &
    Pick<TwoFactorStore, 'findLoginChallenge'>;
  clock: Clock;
  audit: AuditLog;
  login: Login;
  sessions: SessionService;
  users: UserService;
  consents: Pick<Consents, 'endUserGrants'>;
  options: PasskeyOptions;
}) {
  const relyingParty = relyingPartyOf(options);
  const requireForRoles = options.requireForRoles ?? [];
  const userActor = ({ user, origin }: AccountActor): Actor => ({ id: user.id, kind: 'user', ...where(origin) });

  /** Whether holders of `roles` must sign in with a passkey once they have one. */
  function isRequiredFor(roles: readonly string[]): boolean {
    return roles.some((role) => requireForRoles.includes(role));
  }

  return {
    /** The relying party ID in force (the public URL's host). */
    rpId: relyingParty.id,

    isRequiredFor,

    /** A user's passkeys, oldest first. */
    async list(userId: string): Promise<Passkey[]> {
      return (await store.listPasskeys(userId)).map(toPasskey);
    },

    ...createPasskeyRegistration({ store, clock, audit, login, sessions, users, consents, relyingParty }),
    ...createPasskeySignIn({ store, clock, audit, login, relyingParty }),

    /**
     * Renames one of the user's own passkeys.
     * @throws {GatehouseError} `ERR_VALIDATION`, `ERR_PASSKEY_NOT_FOUND` (also for another user's).
     */
    async rename(actor: AccountActor, id: string, name: string): Promise<Passkey> {
      const clean = parseName(name);
      if (!(await store.renamePasskey(actor.user.id, id, clean))) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      await audit.record({
        type: 'passkey.rename',
        ...audit.from(userActor(actor)),
        userId: actor.user.id,
        detail: { passkeyId: id, name: clean },
      });
      const renamed = (await store.listPasskeys(actor.user.id)).find((passkey) => passkey.id === id);
      if (!renamed) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      return toPasskey(renamed);
    },

    /**
     * Removes one of the user's own passkeys. The last one of an account
     * whose role requires a passkey cannot go: that would leave it a sign-in
     * its role refuses.
     * @throws {GatehouseError} `ERR_PASSKEY_NOT_FOUND` (also for another user's), `ERR_LAST_SIGN_IN_METHOD`.
     */
    async remove(actor: AccountActor, id: string): Promise<void> {
      const own = await store.listPasskeys(actor.user.id);
      if (!own.some((passkey) => passkey.id === id)) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      if (own.length === 1 && isRequiredFor(actor.user.roles)) throw new GatehouseError('ERR_LAST_SIGN_IN_METHOD');
      if (!(await store.deletePasskey(actor.user.id, id))) throw new GatehouseError('ERR_PASSKEY_NOT_FOUND');
      await users.touch(actor.user.id);
      await audit.record({
        type: 'passkey.remove',
        ...audit.from(userActor(actor)),
        userId: actor.user.id,
        detail: { passkeyId: id, by: 'self' },
      });
    },

    /**
     * Removes every passkey of a user, for one who lost them: they sign in
     * with their password (and TOTP, if on) and may add new ones.
     * @throws {GatehouseError} `ERR_FORBIDDEN` (an administrator's own), `ERR_USER_NOT_FOUND`.
     */
    async removeAll(userId: string, actor: Actor): Promise<number> {
      if (actor.kind === 'user' && actor.id === userId) {
        throw new GatehouseError('ERR_FORBIDDEN', {
          message: 'Administrators remove their own passkeys from the account page, not the admin routes.',
        });
      }
      if (!(await store.findUserById(userId))) throw new GatehouseError('ERR_USER_NOT_FOUND');
      const count = await store.deleteUserPasskeys(userId);
      if (count > 0) {
        await users.touch(userId);
        await audit.record({
          type: 'passkey.remove',
          ...audit.from(actor),
          userId,
          detail: { count, by: changedBy(actor, userId) },
        });
      }
      return count;
    },
  };
}
