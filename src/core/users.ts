import type { Clock } from './clock.js';
import { GatehouseError } from './errors.js';
import { checkPasswordPolicy, type PasswordHasher, type PasswordPolicy } from './passwords.js';
import { parseRoles } from './roles.js';
import { createId } from './secrets.js';
import type { Store, UserRecord } from './store.js';
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
  store: Store;
  hasher: PasswordHasher;
  clock: Clock;
  passwordPolicy: PasswordPolicy;
}

/**
 * Account management: the operations an administrator (CLI, admin API) and
 * the user (own password) perform. Every change that weakens an existing
 * credential (new password, disable) ends the sessions it should.
 */
export function createUserService({ store, hasher, clock, passwordPolicy }: Dependencies) {
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

  /**
   * Sets a new password (administrator reset, or after {@link changePassword}
   * checked the old one) and ends every session of the user except `keepSessionId`.
   * @throws {GatehouseError} `ERR_WEAK_PASSWORD`, `ERR_USER_NOT_FOUND`.
   */
  async function setPassword(
    userId: string,
    password: string,
    options: { keepSessionId?: string } = {},
  ): Promise<User> {
    const record = await requireUser(userId);
    checkPasswordPolicy(password, { ...passwordPolicy, username: record.username });
    const user = await update(userId, { passwordHash: await hasher.hash(password) });
    await store.deleteUserSessions(userId, { keepId: options.keepSessionId });
    return user;
  }

  return {
    /**
     * Creates a user.
     * @throws {GatehouseError} `ERR_INVALID_USERNAME`, `ERR_WEAK_PASSWORD`, `ERR_INVALID_ROLE`, `ERR_USER_EXISTS`.
     */
    async createUser(input: { username: string; password: string; roles?: readonly string[] }): Promise<User> {
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

    setPassword,

    /**
     * A signed-in user changes their own password: the current one must be
     * right. Other sessions end; the one making the change stays.
     * @throws {GatehouseError} `ERR_CURRENT_PASSWORD`, `ERR_WEAK_PASSWORD`, `ERR_USER_NOT_FOUND`.
     */
    async changePassword(
      userId: string,
      passwords: { current: string; next: string },
      options: { keepSessionId?: string } = {},
    ): Promise<User> {
      const record = await requireUser(userId);
      checkPasswordPolicy(passwords.next, { ...passwordPolicy, username: record.username });
      if (!(await hasher.verify(record.passwordHash, passwords.current))) {
        throw new GatehouseError('ERR_CURRENT_PASSWORD');
      }
      return setPassword(userId, passwords.next, options);
    },

    /**
     * Asks for the password again before a sensitive change (turning
     * two-factor sign-in off). @throws {GatehouseError} `ERR_CURRENT_PASSWORD`, `ERR_USER_NOT_FOUND`.
     */
    async confirmPassword(userId: string, password: string): Promise<void> {
      const record = await requireUser(userId);
      if (!(await hasher.verify(record.passwordHash, password))) throw new GatehouseError('ERR_CURRENT_PASSWORD');
    },

    /** Disables (ending every session) or re-enables a user. @throws {GatehouseError} `ERR_USER_NOT_FOUND`. */
    async setDisabled(userId: string, disabled: boolean): Promise<User> {
      const user = await update(userId, { disabled });
      if (disabled) await store.deleteUserSessions(userId);
      return user;
    },

    /** Replaces the user's roles. @throws {GatehouseError} `ERR_INVALID_ROLE`, `ERR_USER_NOT_FOUND`. */
    async setRoles(userId: string, roles: readonly string[]): Promise<User> {
      return update(userId, { roles: parseRoles(roles) });
    },

    /** Deletes the user and every session it has. @throws {GatehouseError} `ERR_USER_NOT_FOUND`. */
    async deleteUser(userId: string): Promise<void> {
      if (!(await store.deleteUser(userId))) throw new GatehouseError('ERR_USER_NOT_FOUND');
    },

    /** How many users exist. */
    countUsers: () => store.countUsers(),
  };
}

/** The account operations; see {@link createUserService}. */
export type UserService = ReturnType<typeof createUserService>;
