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
