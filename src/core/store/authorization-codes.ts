/** An authorization code (RFC 6749 §4.1), stored by its hash. */
export interface AuthorizationCodeRecord {
  codeHash: string;
  clientId: string;
  userId: string;
  /** The browser session it was issued in: it must still stand when the code is redeemed. */
  sessionId: string;
  /** Exactly the `redirect_uri` of the request; the token request must repeat it. */
  redirectUri: string;
  scopes: string[];
  /** RFC 7636 `S256` challenge: base64url SHA-256 of the verifier. */
  codeChallenge: string;
  nonce: string | null;
  /** When the user signed in (the session's start), ms. */
  authTime: number;
  /** RFC 8176 `amr` values of that sign-in. */
  authMethods: string[];
  createdAt: number;
  expiresAt: number;
  /** When it was redeemed; a second redemption is a replay. */
  usedAt: number | null;
  /** When a second redemption was tried: what the first issued is revoked, and stays so. */
  replayedAt: number | null;
  /** What the redemption issued, so that a replay can revoke it. */
  accessTokenId: string | null;
  refreshFamilyId: string | null;
  /** The grant (the consent's grant id) the redemption issued under: a replay ends that grant, not a later one. */
  grantId: string | null;
}

/** An authorization request waiting for the user to sign in or consent. */
export interface AuthorizationRequestRecord {
  /** SHA-256 of the interaction id the browser carries. */
  idHash: string;
  clientId: string;
  /** The validated request parameters, as JSON. */
  parameters: string;
  /** A session started before this time does not satisfy it (`prompt=login`, `max_age`), ms. */
  loginAfter: number | null;
  createdAt: number;
  expiresAt: number;
}

/** Authorization codes and pending authorization requests. */
export interface AuthorizationCodeStore {
  createAuthorizationCode(code: AuthorizationCodeRecord): Promise<void>;
  findAuthorizationCode(codeHash: string): Promise<AuthorizationCodeRecord | null>;
  /** Marks the code used at `now` if, and only if, it was unused: of two concurrent redemptions exactly one wins. */
  markAuthorizationCodeUsed(codeHash: string, now: number): Promise<boolean>;
  /** Records that a used code was presented again. */
  markAuthorizationCodeReplayed(codeHash: string, now: number): Promise<void>;
  /** Records what a redemption issued, and under which grant. */
  setAuthorizationCodeTokens(
    codeHash: string,
    accessTokenId: string,
    refreshFamilyId: string | null,
    grantId: string,
  ): Promise<void>;
  purgeExpiredAuthorizationCodes(now: number): Promise<number>;
  createAuthorizationRequest(request: AuthorizationRequestRecord): Promise<void>;
  findAuthorizationRequest(idHash: string): Promise<AuthorizationRequestRecord | null>;
  /** Returns `false` when it was already gone (completed by another request). */
  deleteAuthorizationRequest(idHash: string): Promise<boolean>;
  purgeExpiredAuthorizationRequests(now: number): Promise<number>;
}
