/** A JWT signing key. The private half is stored only encrypted under the master key. */
export interface SigningKeyRecord {
  kid: string;
  alg: 'EdDSA' | 'ES256' | 'RS256';
  /** The public JWK, as JSON. */
  publicJwk: string;
  /** The private JWK, JWE-encrypted under the master key. */
  privateJwe: string;
  createdAt: number;
  /** When it stopped signing; `null` for the active key. */
  retiredAt: number | null;
  /** When its public key may be dropped; `null` for the active key. */
  expiresAt: number | null;
}

/** Signing keys. */
export interface SigningKeyStore {
  /** Every key not yet dropped, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Makes `key` the active key of its algorithm and retires every other
   * active key of that algorithm at `retiredAt`, publishable until
   * `expiresAt`; in one transaction. Keys of other algorithms stay active.
   */
  rotateSigningKey(key: SigningKeyRecord, retiredAt: number, expiresAt: number): Promise<void>;
  /** Drops retired keys whose `expiresAt` is at or before `now`; returns how many. */
  purgeExpiredSigningKeys(now: number): Promise<number>;
}
