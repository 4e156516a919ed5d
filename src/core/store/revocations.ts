/**
 * Token ids (`jti`) that may not be accepted again: revoked access tokens and
 * spent client assertions, kept until they would have expired anyway.
 */
export interface RevocationStore {
  /** Records the id; returns `false` when it was already recorded (a replay). */
  revokeTokenId(jti: string, expiresAt: number): Promise<boolean>;
  isTokenIdRevoked(jti: string): Promise<boolean>;
  purgeExpiredRevocations(now: number): Promise<number>;
}
