/** A user as the API shows it (times are ISO 8601). */
export interface UserView {
  id: string;
  username: string;
  roles: string[];
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A session as the API shows it. */
export interface SessionView {
  id: string;
  createdAt: string;
  /** When the user last signed in to it: `createdAt`, or a later sign-in that continued it. */
  authenticatedAt: string;
  lastSeenAt: string;
  expiresAt: string;
  absoluteExpiresAt: string;
  ip: string | null;
  userAgent: string | null;
  /** How the session was last signed in (RFC 8176 `amr`: `pwd`; `mfa otp pwd` with a second factor). */
  authMethods: string[];
  /** Whether this is the session the request came with. */
  current: boolean;
}

/** `POST /login` and `GET /session`. */
export interface SignedIn {
  user: UserView;
  session: SessionView;
}

/** `POST /token` and the refresh grant. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

/** An API key as listed; `key` only in the answer to its creation. */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  key?: string;
}

/** A user's consent to an app (`/admin/users/:id/consents`): the scopes agreed to. */
export interface ConsentView {
  clientId: string;
  /** The app's name, or its id when it was removed meanwhile. */
  name: string;
  scopes: string[];
  /** When the user first agreed, and when last (more scopes). */
  createdAt: string;
  updatedAt: string;
}

/** A scope of the registry (`/admin/scopes`). */
export interface ScopeView {
  name: string;
  description: string;
  /** Users with one of these roles may hold it; empty: every user (and service clients). */
  roles: string[];
  /** Built into Gatehouse: cannot be added or removed. */
  reserved: boolean;
  /** `everyone`, `users` only, `clients` only (an operator grants it), or `apps` (the OpenID Connect scopes, in tokens apps get for users). */
  heldBy: 'everyone' | 'users' | 'clients' | 'apps';
  /** When it was added, milliseconds since the epoch; 0 for a reserved one. Tokens issued before never hold it. */
  createdAt: number;
}

/** A passkey as listed: never its public key or credential id. */
export interface PasskeyView {
  id: string;
  name: string;
  /** The provider or model, from its AAGUID where Gatehouse knows it. */
  authenticator: string | null;
  aaguid: string;
  /** `multiDevice` (synced) or `singleDevice`. */
  deviceType: string;
  backedUp: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

/**
 * WebAuthn JSON as the browser's `PublicKeyCredential` gives and takes it
 * (options from Gatehouse, answers from `navigator.credentials` or
 * `@simplewebauthn/browser`): passed through unchanged.
 */
export type WebAuthnJSON = Record<string, unknown>;
