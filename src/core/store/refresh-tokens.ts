/** One refresh token of a rotation family (RFC 9700 §4.14). */
export interface RefreshTokenRecord {
  id: string;
  tokenHash: string;
  familyId: string;
  /**
   * The session it belongs to; ending the session ends its refresh tokens.
   * `null` for an app's `offline_access` token, which outlives the session
   * and lasts while the user's consent to the app stands.
   */
  sessionId: string | null;
  userId: string;
  /** The client it was issued to: `gatehouse` (the user's own, from `POST /token`) or an app's id. */
  clientId: string;
  scope: string | null;
  /**
   * An app's token: the grant id of the consent it was issued under; it is
   * good only while that is the consent's grant. `null` for the user client's own.
   */
  grantId: string | null;
  createdAt: number;
  expiresAt: number;
  /** When it was exchanged; a second use is reuse. */
  usedAt: number | null;
}

/** Refresh tokens. */
export interface RefreshTokenStore {
  createRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshTokenByHash(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Marks the token used at `now` if, and only if, it was unused: the atomic
   * step that lets exactly one of two concurrent refreshes win.
   */
  markRefreshTokenUsed(id: string, now: number): Promise<boolean>;
  /** Deletes every token of a family (on reuse); returns how many. */
  deleteRefreshTokenFamily(familyId: string): Promise<number>;
  purgeExpiredRefreshTokens(now: number): Promise<number>;
  /** Deletes every refresh token of a user issued to a client (consent revoked); returns how many. */
  deleteUserClientRefreshTokens(userId: string, clientId: string): Promise<number>;
}
