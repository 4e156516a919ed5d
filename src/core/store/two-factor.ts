/** A user's TOTP enrolment. `secretJwe` is the secret encrypted under the master key. */
export interface TwoFactorRecord {
  userId: string;
  secretJwe: string;
  /** `null` while enrolling: not asked for at sign-in until confirmed. */
  confirmedAt: number | null;
  /** The last time step accepted. */
  lastStep: number;
  createdAt: number;
}

/** Two-factor sign-in: TOTP enrolments, recovery codes, and sign-ins waiting for a code. */
export interface TwoFactorStore {
  findTwoFactor(userId: string): Promise<TwoFactorRecord | null>;
  /** Starts (or restarts) an enrolment: replaces an unconfirmed one; returns `false` when a confirmed one exists. */
  putPendingTwoFactor(record: TwoFactorRecord): Promise<boolean>;
  /** Confirms a pending enrolment and replaces the recovery codes, in one transaction; `false` when none is pending. */
  confirmTwoFactor(userId: string, confirmedAt: number, step: number, recoveryCodeHashes: string[]): Promise<boolean>;
  /**
   * Records `step` as used when it is later than the last one; `false`
   * otherwise (a replayed or older code). Atomic across instances.
   */
  advanceTwoFactorStep(userId: string, step: number): Promise<boolean>;
  /** Removes the enrolment and the recovery codes; `false` when there was none. */
  deleteTwoFactor(userId: string): Promise<boolean>;
  /** Marks an unused recovery code used; `false` when it is unknown or used. Atomic. */
  useRecoveryCode(userId: string, codeHash: string, usedAt: number): Promise<boolean>;
  countUnusedRecoveryCodes(userId: string): Promise<number>;
  createLoginChallenge(challenge: {
    tokenHash: string;
    userId: string;
    createdAt: number;
    expiresAt: number;
  }): Promise<void>;
  /** The user of a challenge that expires after `now`, or `null`. */
  findLoginChallenge(tokenHash: string, now: number): Promise<{ userId: string } | null>;
  /** Deletes a challenge; `false` when it was already gone (used by a concurrent request). */
  deleteLoginChallenge(tokenHash: string): Promise<boolean>;
  /** Deletes every pending challenge of a user (their password changed); returns how many went. */
  deleteUserLoginChallenges(userId: string): Promise<number>;
  purgeExpiredLoginChallenges(now: number): Promise<number>;
}
