import { APPLICATION, type Actor, type AuditLog } from '../audit/index.js';
import { type Clock, createId } from '../shared/index.js';
import type { Consents } from '../consents/index.js';
import { GatehouseError } from '../errors/index.js';
import { checkPasswordPolicy, type PasswordHasher, type PasswordPolicy } from '../passwords/index.js';
import { parseRoles } from '../scopes/index.js';
import type { ApiKeyStore, SessionStore, TwoFactorStore, UserRecord, UserStore } from '../store/index.js';
import { parseUsername, tryUsernameKey } from './usernames.js';

/** A user as the outside world sees it: never the password hash. */
export interface User {
  id: string;
  username: string;
  roles: string[];
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Strips what must not leave the core from a stored user. */
export function toUser(record: UserRecord): User {
  return {
    id: record.id,
    username: record.username,
    roles: [...record.roles],
    disabled: record.disabled,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

interface Dependencies {
  store: UserStore &
    Pick<SessionStore, 'deleteUserSessions'> &
    Pick<TwoFactorStore, 'deleteUserLoginChallenges'> &
    Pick<ApiKeyStore, 'deleteUserApiKeys'>;
  hasher: PasswordHasher;
  clock: Clock;
  passwordPolicy: PasswordPolicy;
  audit: AuditLog;
  /** Told when a user's credentials change, so this instance forgets remembered Basic successes of that user. */
  onCredentialsChanged?: (userId: string) => void;
  /** Ends every grant of an account to apps (offline ones included) when its credentials change or it goes. */
  consents?: Pick<Consents, 'endUserGrants'>;
  /** Two-factor sign-in, when the deployment has it: an administrator may reset it. */
  twoFactor?: { disable(userId: string): Promise<boolean> } | null;
}

/** How an audit event names who changed an account. */
function changedBy(actor: Actor, userId: string): 'self' | 'admin' | 'operator' {
  if (actor.kind === 'operator') return 'operator';
  return actor.id === userId ? 'self' : 'admin';
}

/**
 * Account management as an administrator (admin API and pages) or the
 * operator (CLI) does it: create users, reset passwords, roles, disable,
 * delete. Each operation records its own audit event with the actor given.
 * An administrator never changes their own password, roles, status or
 * existence here (that is the account's job, with the current password):
 * a credential that reaches the admin routes cannot take the account over.
 */
export function createUserService({
  store,
  hasher,
  clock,
  passwordPolicy,
  audit,
  onCredentialsChanged,
  twoFactor,
  consents,
}: Dependencies) {
  async function requireUser(id: string): Promise<UserRecord> {
    const record = await store.findUserById(id);
    if (!record) throw new GatehouseError('ERR_USER_NOT_FOUND');
    return record;
  }

  async function update(id: string, changes: { passwordHash?: string; disabled?: boolean; roles?: string[] }) {
    if (!(await store.updateUser(id, { ...changes, updatedAt: clock.now() }))) {
      throw new GatehouseError('ERR_USER_NOT_FOUND');
    }
    return toUser(await requireUser(id));
  }

  /** Refuses an administrator's change to their own account. */
  function refuseSelf(actor: Actor, userId: string): void {
    if (actor.kind === 'user' && actor.id === userId) {
      throw new GatehouseError('ERR_FORBIDDEN', {
        message:
          'Administrators change their own password, two-factor sign-in, roles and account from the account page, not the admin routes.',
      });
    }
  }

  /**
   * Stores a new password (already checked against the policy), ends the
   * sessions (and so the refresh tokens) of the user but `keepSessionId`,
   * and the sign-ins waiting for a second factor.
   */
  async function storePassword(userId: string, password: string, keepSessionId?: string): Promise<User> {
    const user = await update(userId, { passwordHash: await hasher.hash(password) });
    await store.deleteUserSessions(userId, { keepId: keepSessionId });
    await store.deleteUserLoginChallenges(userId);
    onCredentialsChanged?.(userId);
    return user;
  }

  return {
    /**
     * Creates a user.
     * @throws {GatehouseError} `ERR_INVALID_USERNAME`, `ERR_WEAK_PASSWORD`, `ERR_INVALID_ROLE`, `ERR_USER_EXISTS`.
     */
    async createUser(
      input: { username: string; password: string; roles?: readonly string[] },
      actor: Actor = APPLICATION,
    ): Promise<User> {
      const name = parseUsername(input.username);
      const roles = parseRoles(input.roles ?? []);
      checkPasswordPolicy(input.password, { ...passwordPolicy, username: name.display });
      if (await store.findUserByKey(name.key)) throw new GatehouseError('ERR_USER_EXISTS');
      const now = clock.now();
      const record: UserRecord = {
        id: createId(),
        username: name.display,
        usernameKey: name.key,
        passwordHash: await hasher.hash(input.password),
        disabled: false,
        roles,
        createdAt: now,
        updatedAt: now,
      };
      // The check above gives a fast, clear answer; the unique index decides races.
      if (!(await store.createUser(record))) throw new GatehouseError('ERR_USER_EXISTS');
      await audit.record({
        type: 'user.create',
        ...audit.from(actor),
        userId: record.id,
        detail: { username: record.username, roles },
      });
      return toUser(record);
    },

    /** The user with this name (any case or Unicode form), or `null`. */
    async findUserByName(username: string): Promise<User | null> {
      const key = tryUsernameKey(username);
      const record = key === null ? null : await store.findUserByKey(key);
      return record ? toUser(record) : null;
    },

    /** The user with this id, or `null`. */
    async findUserById(id: string): Promise<User | null> {
      const record = await store.findUserById(id);
      return record ? toUser(record) : null;
    },

    /** Every user, ordered by name. */
    async listUsers(): Promise<User[]> {
      return (await store.listUsers()).map(toUser);
    },

    /**
     * Resets a user's password (the account-recovery path): every session,
     * refresh token and API key of the user ends, every grant to an app
     * (`offline_access` included), and every sign-in waiting for a second
     * factor, since whoever held them may be the reason for the reset.
     * @throws {GatehouseError} `ERR_FORBIDDEN` (an administrator's own), `ERR_WEAK_PASSWORD`, `ERR_USER_NOT_FOUND`.
     */
    async resetPassword(userId: string, password: string, actor: Actor = APPLICATION): Promise<User> {
      refuseSelf(actor, userId);
      const record = await requireUser(userId);
      checkPasswordPolicy(password, { ...passwordPolicy, username: record.username });
      const user = await storePassword(userId, password);
      const apiKeys = await store.deleteUserApiKeys(userId);
      await audit.record({
        type: 'password.change',
        ...audit.from(actor),
        userId,
        detail: { by: changedBy(actor, userId), apiKeysRevoked: apiKeys },
      });
      await consents?.endUserGrants(userId, { actor, reason: 'password_reset' });
      return user;
    },

    /** For {@link createAccountService}: stores a password the user changed themself. */
    storePassword,

    /**
     * Disables (ending every session) or re-enables a user.
     * @throws {GatehouseError} `ERR_FORBIDDEN` (an administrator's own), `ERR_USER_NOT_FOUND`.
     */
    async setDisabled(userId: string, disabled: boolean, actor: Actor = APPLICATION): Promise<User> {
      refuseSelf(actor, userId);
      const user = await update(userId, { disabled });
      if (disabled) {
        await store.deleteUserSessions(userId);
        onCredentialsChanged?.(userId);
      }
      await audit.record({ type: 'user.update', ...audit.from(actor), userId, detail: { disabled } });
      return user;
    },

    /**
     * Replaces the user's roles.
     * @throws {GatehouseError} `ERR_FORBIDDEN` (an administrator's own), `ERR_INVALID_ROLE`, `ERR_USER_NOT_FOUND`.
     */
    async setRoles(userId: string, roles: readonly string[], actor: Actor = APPLICATION): Promise<User> {
      refuseSelf(actor, userId);
      const user = await update(userId, { roles: parseRoles(roles) });
      await audit.record({ type: 'user.update', ...audit.from(actor), userId, detail: { roles: user.roles } });
      return user;
    },

    /**
     * Deletes the user with every session, token and key it has.
     * @throws {GatehouseError} `ERR_FORBIDDEN` (an administrator's own), `ERR_USER_NOT_FOUND`.
     */
    async deleteUser(userId: string, actor: Actor = APPLICATION): Promise<void> {
      refuseSelf(actor, userId);
      const record = await requireUser(userId);
      // The rows go with the user; ending the grants first records it like every other ending.
      await consents?.endUserGrants(userId, { actor, reason: 'user_deleted' });
      if (!(await store.deleteUser(userId))) throw new GatehouseError('ERR_USER_NOT_FOUND');
      onCredentialsChanged?.(userId);
      await audit.record({ type: 'user.delete', ...audit.from(actor), userId, detail: { username: record.username } });
    },

    /**
     * Turns a user's two-factor sign-in off, for one who lost their phone
     * and their recovery codes; they sign in with the password and may enrol again.
     * @throws {GatehouseError} `ERR_FORBIDDEN` (an administrator's own), `ERR_USER_NOT_FOUND`.
     */
    async resetTwoFactor(userId: string, actor: Actor = APPLICATION): Promise<void> {
      refuseSelf(actor, userId);
      await requireUser(userId);
      if (!twoFactor || !(await twoFactor.disable(userId))) return;
      await audit.record({
        type: 'two_factor.disable',
        ...audit.from(actor),
        userId,
        detail: { by: changedBy(actor, userId) },
      });
    },

    /**
     * An administrator's (or the operator's) "sign out everywhere": every
     * session of the user ends (and its refresh tokens) and every grant to
     * an app, `offline_access` ones included. Returns the sessions ended.
     * @throws {GatehouseError} `ERR_USER_NOT_FOUND`.
     */
    async signOutEverywhere(userId: string, actor: Actor = APPLICATION): Promise<number> {
      await requireUser(userId);
      const count = await store.deleteUserSessions(userId);
      onCredentialsChanged?.(userId);
      await audit.record({ type: 'session.revoke', ...audit.from(actor), userId, detail: { count } });
      await consents?.endUserGrants(userId, { actor, reason: 'sign_out_everywhere' });
      return count;
    },

    /** How many users exist. */
    countUsers: () => store.countUsers(),

    /** Marks the account changed (a new `updatedAt`), so remembered credentials of it are checked afresh everywhere. */
    async touch(userId: string): Promise<void> {
      const record = await requireUser(userId);
      // Strictly later, even under a pinned clock: the version must differ.
      await store.updateUser(userId, { updatedAt: Math.max(clock.now(), record.updatedAt + 1) });
      onCredentialsChanged?.(userId);
    },

    /** Checks a new password against the policy for this user. @throws {GatehouseError} `ERR_WEAK_PASSWORD`. */
    checkNewPassword(record: { username: string }, password: string): void {
      checkPasswordPolicy(password, { ...passwordPolicy, username: record.username });
    },
  };
}

/** The account operations; see {@link createUserService}. */
export type UserService = ReturnType<typeof createUserService>;

export { changedBy };
