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
  /** How many sessions have an `expiresAt` after `now` (live, or idle-expired but not yet touched since). */
  countSessions(now: number): Promise<number>;
}

/** A JWT signing key. The private half is stored only encrypted under the master key. */
export interface SigningKeyRecord {
  kid: string;
  alg: 'EdDSA' | 'ES256';
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

/** A service client of the OAuth token endpoint. */
export interface ClientRecord {
  /** The public `client_id`. */
  id: string;
  name: string;
  /** SHA-256 of the client secret, or `null` for a client that authenticates with a key pair only. */
  secretHash: string | null;
  /** The client's public JWK for `private_key_jwt`, as JSON, or `null`. */
  publicJwk: string | null;
  /** RFC 8705 `tls_client_auth`: the subject DN of its CA-issued certificate, or `null`. */
  tlsSubject: string | null;
  /** RFC 8705 `self_signed_tls_client_auth`: the SHA-256 thumbprint of its certificate (base64url), or `null`. */
  tlsThumbprint: string | null;
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

/** One refresh token of a rotation family (RFC 9700 §4.14). */
export interface RefreshTokenRecord {
  id: string;
  tokenHash: string;
  familyId: string;
  /** The session it belongs to; ending the session ends its refresh tokens. */
  sessionId: string;
  userId: string;
  scope: string | null;
  createdAt: number;
  expiresAt: number;
  /** When it was exchanged; a second use is reuse. */
  usedAt: number | null;
}

/** A personal API key. Only the SHA-256 of the key is stored. */
export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  secretHash: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

/** Signing keys. */
export interface SigningKeyStore {
  /** Every key not yet dropped, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Makes `key` the active key and retires every other active key at
   * `retiredAt`, publishable until `expiresAt`; in one transaction.
   */
  rotateSigningKey(key: SigningKeyRecord, retiredAt: number, expiresAt: number): Promise<void>;
  /** Drops retired keys whose `expiresAt` is at or before `now`; returns how many. */
  purgeExpiredSigningKeys(now: number): Promise<number>;
}

/** Service clients. */
export interface ClientStore {
  /** Returns `false` when the name is taken. */
  createClient(client: ClientRecord): Promise<boolean>;
  findClientById(id: string): Promise<ClientRecord | null>;
  findClientByName(name: string): Promise<ClientRecord | null>;
  listClients(): Promise<ClientRecord[]>;
  /** Returns `false` when no such client exists. */
  updateClientSecret(id: string, secretHash: string, updatedAt: number): Promise<boolean>;
  deleteClient(id: string): Promise<boolean>;
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
}

/** Personal API keys. */
export interface ApiKeyStore {
  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(userId: string): Promise<ApiKeyRecord[]>;
  /** Deletes a key of this user; returns `false` when the user has no such key. */
  deleteApiKey(id: string, userId: string): Promise<boolean>;
  touchApiKey(id: string, lastUsedAt: number): Promise<void>;
  /** Deletes every key of a user (an administrator's password reset); returns how many went. */
  deleteUserApiKeys(userId: string): Promise<number>;
}

/** A scope an operator added to the registry (the reserved ones are not stored). */
export interface ScopeRecord {
  name: string;
  description: string;
  /** Users with one of these roles may hold it; empty: every user (and service clients). */
  roles: string[];
  createdAt: number;
}

/** The scope registry. */
export interface ScopeStore {
  /** Returns `false` when the name is taken. */
  createScope(scope: ScopeRecord): Promise<boolean>;
  /** Every stored scope, by name. */
  listScopes(): Promise<ScopeRecord[]>;
  /** Returns `false` when there was no such scope. */
  deleteScope(name: string): Promise<boolean>;
}

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

/** One audit event as stored. */
export interface AuditRecord {
  id: string;
  at: number;
  type: string;
  actor: string | null;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Event-specific fields; never a secret. */
  detail: Record<string, unknown>;
}

/** The audit log: append and read, never change. */
export interface AuditStore {
  appendAuditEvent(event: AuditRecord): Promise<void>;
  /** Events newest first, filtered, at most `limit`. */
  listAuditEvents(filter: { userId?: string; type?: string; since?: number; limit: number }): Promise<AuditRecord[]>;
}

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

/** Everything the core stores, plus lifecycle. */
export interface Store
  extends
    UserStore,
    SessionStore,
    SigningKeyStore,
    ClientStore,
    RefreshTokenStore,
    ApiKeyStore,
    RevocationStore,
    AuditStore,
    TwoFactorStore,
    ScopeStore {
  /** Whether the database answers; for readiness probes. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
