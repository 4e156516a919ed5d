/**
 * Row types of the Gatehouse database, as Kysely sees them. Storage rows are
 * kept apart from the domain records in `src/core/store.ts`; the mapping
 * lives in `kysely-store.ts`. Times are integer milliseconds since the epoch;
 * booleans are integers 0/1 so that one schema serves SQLite and PostgreSQL.
 */
export interface UsersTable {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  disabled: number;
  /** Role names separated by single spaces (role names contain no space). */
  roles: string;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  /** When the user last signed in to this session (ms): `created_at` or a later re-authentication. */
  authenticated_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
  /** RFC 8176 `amr` values separated by single spaces. */
  auth_methods: string;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private JWK, encrypted under the master key (JWE compact, dir + A256GCM). */
  private_jwe: string;
  created_at: number;
  /** When it stopped signing; null while it is the active key. */
  retired_at: number | null;
  /** When its public key may be dropped: every token it signed has expired. */
  expires_at: number | null;
}

export interface ClientsTable {
  id: string;
  name: string;
  secret_hash: string | null;
  public_jwk: string | null;
  scopes: string;
  created_at: number;
  updated_at: number;
  /** RFC 8705 `tls_client_auth`: the subject DN its CA-issued certificate must have. */
  tls_subject: string | null;
  /** RFC 8705 `self_signed_tls_client_auth`: the SHA-256 thumbprint (base64url) of its certificate. */
  tls_thumbprint: string | null;
  /** `confidential` or `public`. */
  type: string;
  /** Space-separated lists (URIs contain no space). */
  grant_types: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  first_party: number;
  id_token_alg: string | null;
}

export interface RefreshTokensTable {
  id: string;
  token_hash: string;
  family_id: string;
  session_id: string | null;
  user_id: string;
  client_id: string;
  scope: string | null;
  /** An app's token: the grant (consent) it belongs to; `null` for the user client's own. */
  grant_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

export interface RevokedTokensTable {
  jti: string;
  expires_at: number;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  type: string;
  /** Who acted: a user id, a client id, or `cli`. */
  actor: string | null;
  /** The user the event is about. */
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  /** JSON object with event-specific fields; never a secret. */
  detail: string;
}

/** TOTP (RFC 6238) for one user: the secret encrypted under the master key; `confirmed_at` null while enrolling. */
export interface TwoFactorTable {
  user_id: string;
  secret_jwe: string;
  confirmed_at: number | null;
  /** The last TOTP time step accepted: a code is never accepted twice. */
  last_step: number;
  created_at: number;
}

/** One-time recovery codes, as SHA-256 hashes. */
export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: number | null;
}

/** Sign-ins waiting for their second factor: the challenge token's hash. */
export interface LoginChallengesTable {
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

/** The scope registry: scopes an operator added (the reserved ones live in code). */
export interface ScopesTable {
  name: string;
  description: string;
  /** Role names separated by single spaces; empty: every user and service clients may hold it. */
  roles: string;
  created_at: number;
}

/** A user's consent to an app: the scopes agreed to, space-separated. */
export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scopes: string;
  /** The grant this consent is now (a new one after each revocation or credential change); every app token names it. */
  grant_id: string;
  created_at: number;
  updated_at: number;
}

/** Authorization codes by their hash; kept until they expire so that a replay is recognised. */
export interface AuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  session_id: string;
  redirect_uri: string;
  scopes: string;
  code_challenge: string;
  nonce: string | null;
  auth_time: number;
  auth_methods: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  replayed_at: number | null;
  access_token_id: string | null;
  refresh_family_id: string | null;
  grant_id: string | null;
}

/** Authorization requests waiting for a sign-in or consent, by the interaction id's hash. */
export interface AuthorizationRequestsTable {
  id_hash: string;
  client_id: string;
  /** The validated parameters, JSON. */
  parameters: string;
  login_after: number | null;
  created_at: number;
  expires_at: number;
}

/** One row: the id the database was created with (migration 0011), namespacing shared state in Redis. */
export interface DeploymentTable {
  id: string;
  created_at: number;
}

/** WebAuthn credentials (passkeys): the COSE public key and the counter, nothing secret. */
export interface PasskeysTable {
  id: string;
  user_id: string;
  /** base64url, unique. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  counter: number;
  /** Transports separated by single spaces. */
  transports: string;
  /** `singleDevice` or `multiDevice`. */
  device_type: string;
  backed_up: number;
  aaguid: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

/** WebAuthn challenges waiting for their ceremony, by the challenge's SHA-256; used once. */
export interface PasskeyChallengesTable {
  challenge_hash: string;
  /** `registration` or `authentication`. */
  kind: string;
  user_id: string | null;
  login_challenge_hash: string | null;
  created_at: number;
  expires_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  signing_keys: SigningKeysTable;
  clients: ClientsTable;
  refresh_tokens: RefreshTokensTable;
  api_keys: ApiKeysTable;
  revoked_tokens: RevokedTokensTable;
  audit_events: AuditEventsTable;
  two_factor: TwoFactorTable;
  recovery_codes: RecoveryCodesTable;
  login_challenges: LoginChallengesTable;
  scopes: ScopesTable;
  consents: ConsentsTable;
  authorization_codes: AuthorizationCodesTable;
  authorization_requests: AuthorizationRequestsTable;
  deployment: DeploymentTable;
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
}
