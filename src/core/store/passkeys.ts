/**
 * A WebAuthn credential (passkey) as stored. `publicKey` is the credential's
 * COSE public key (base64url), as the authenticator gave it at registration;
 * nothing here is a secret.
 */
export interface PasskeyRecord {
  /** Public id, used to list, rename and remove; not the credential id. */
  id: string;
  userId: string;
  /** The credential id the authenticator chose (base64url); unique. */
  credentialId: string;
  publicKey: string;
  /** The signature counter last seen; 0 for authenticators that keep none. */
  counter: number;
  /** Transports the browser reported (`internal`, `hybrid`, `usb`…). */
  transports: string[];
  /** `singleDevice` or `multiDevice` (the BE flag): a synced passkey is multi-device. */
  deviceType: string;
  /** Whether it is backed up now (the BS flag). */
  backedUp: boolean;
  /** The authenticator model's AAGUID; all zeros when the authenticator does not say. */
  aaguid: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** What a ceremony's challenge is for. */
export type PasskeyChallengeKind = 'registration' | 'authentication';

/** A WebAuthn challenge waiting for its ceremony to finish, by the SHA-256 of the challenge. */
export interface PasskeyChallengeRecord {
  challengeHash: string;
  kind: PasskeyChallengeKind;
  /** The user it was made for; `null` for a passwordless sign-in (any discoverable credential). */
  userId: string | null;
  /** For the second step of a password sign-in: the SHA-256 of that sign-in's challenge. */
  loginChallengeHash: string | null;
  createdAt: number;
  expiresAt: number;
}

/** Passkeys and their ceremonies' challenges. Every write is atomic. */
export interface PasskeyStore {
  /** Inserts a passkey; `false` when its credential id is already registered (to anyone). */
  createPasskey(passkey: PasskeyRecord): Promise<boolean>;
  findPasskeyByCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /** A user's passkeys, oldest first. */
  listPasskeys(userId: string): Promise<PasskeyRecord[]>;
  /**
   * Records a use: the new counter, backup state and time, only while the
   * stored counter is still `expectedCounter` (so that two uses racing with
   * one counter value cannot both pass); `false` otherwise.
   */
  recordPasskeyUse(
    id: string,
    use: { expectedCounter: number; counter: number; backedUp: boolean; usedAt: number },
  ): Promise<boolean>;
  /** Renames one of the user's passkeys; `false` when the user has no passkey with that id. */
  renamePasskey(userId: string, id: string, name: string): Promise<boolean>;
  /** Deletes one of the user's passkeys; `false` when the user has no passkey with that id. */
  deletePasskey(userId: string, id: string): Promise<boolean>;
  /** Deletes every passkey of a user; returns how many went. */
  deleteUserPasskeys(userId: string): Promise<number>;
  createPasskeyChallenge(challenge: PasskeyChallengeRecord): Promise<void>;
  /**
   * Deletes and returns the challenge when it expires after `now`: a
   * challenge is used once, and of two racing uses only one gets it.
   */
  takePasskeyChallenge(challengeHash: string, now: number): Promise<PasskeyChallengeRecord | null>;
  /** Deletes challenges that expired at or before `now`; returns how many went. */
  purgeExpiredPasskeyChallenges(now: number): Promise<number>;
}
