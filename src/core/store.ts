/**
 * The storage contract the core depends on. `src/store` implements it for
 * SQLite (and, later, PostgreSQL); `test/store/conformance.ts` is the suite
 * every implementation must pass. Values in and out are plain domain
 * records; timestamps are milliseconds since the Unix epoch.
 */

/** A user account as stored. `passwordHash` never leaves the core. */
export interface UserRecord {
  id: string;
  /** The name as shown, NFKC-normalised. */
  username: string;
  /** The unique key: NFKC + case-folded. */
  usernameKey: string;
  passwordHash: string;
  disabled: boolean;
  roles: string[];
  createdAt: number;
  updatedAt: number;
}

/** A server-side session. The bearer token itself is never stored, only its SHA-256. */
export interface SessionRecord {
  /** Public id, used to list and revoke; not a credential. */
  id: string;
  tokenHash: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** When the row may be purged: the earlier of idle and absolute expiry at the time of the last write. */
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

/** Users: a handful of operations, each one atomic. */
export interface UserStore {
  /** Inserts a user with its roles; returns `false` when the username key is taken. */
  createUser(user: UserRecord): Promise<boolean>;
  findUserById(id: string): Promise<UserRecord | null>;
  findUserByKey(usernameKey: string): Promise<UserRecord | null>;
  /** All users, ordered by username key. */
  listUsers(): Promise<UserRecord[]>;
  /** Applies the given changes; returns `false` when no such user exists. */
  updateUser(
    id: string,
    changes: { passwordHash?: string; disabled?: boolean; roles?: string[]; updatedAt: number },
  ): Promise<boolean>;
  /** Deletes the user and, with it, every session it has; returns `false` when no such user exists. */
  deleteUser(id: string): Promise<boolean>;
  countUsers(): Promise<number>;
}

/** Sessions: a handful of operations, each one atomic. */
export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  findSessionById(id: string): Promise<SessionRecord | null>;
  /** Sessions of one user (or of everyone when `userId` is omitted), newest first. */
  listSessions(filter: { userId?: string }): Promise<SessionRecord[]>;
  /** Records activity; the caller throttles how often. */
  touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  /** Deletes one session; returns `false` when it did not exist. */
  deleteSession(id: string): Promise<boolean>;
  /** Deletes every session of a user except `keepId`; returns how many went. */
  deleteUserSessions(userId: string, options?: { keepId?: string }): Promise<number>;
  /** Deletes sessions whose `expiresAt` is at or before `now`; returns how many went. */
  purgeExpiredSessions(now: number): Promise<number>;
}

/** Everything the core stores, plus lifecycle. */
export interface Store extends UserStore, SessionStore {
  /** Whether the database answers; for readiness probes. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
