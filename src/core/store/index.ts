/**
 * The storage contract the core depends on, one narrow interface per area
 * (users, sessions, tokens, keys, clients, passkeys, audit…), each in a file of its
 * own. `src/store` implements them for SQLite and PostgreSQL;
 * `test/store/conformance.ts` is the suite every implementation must pass.
 * Each core service takes only the slice it uses. Values in and out are
 * plain domain records; timestamps are milliseconds since the Unix epoch.
 */
import type { ApiKeyStore } from './api-keys.js';
import type { AuditStore } from './audit.js';
import type { AuthorizationCodeStore } from './authorization-codes.js';
import type { ClientStore } from './clients.js';
import type { ConsentStore } from './consents.js';
import type { PasskeyStore } from './passkeys.js';
import type { RefreshTokenStore } from './refresh-tokens.js';
import type { RevocationStore } from './revocations.js';
import type { ScopeStore } from './scopes.js';
import type { SessionStore } from './sessions.js';
import type { SigningKeyStore } from './signing-keys.js';
import type { TwoFactorStore } from './two-factor.js';
import type { UserStore } from './users.js';

export type * from './api-keys.js';
export type * from './audit.js';
export type * from './authorization-codes.js';
export type * from './clients.js';
export type * from './consents.js';
export type * from './passkeys.js';
export type * from './refresh-tokens.js';
export type * from './revocations.js';
export type * from './scopes.js';
export type * from './sessions.js';
export type * from './signing-keys.js';
export type * from './two-factor.js';
export type * from './users.js';

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
    ScopeStore,
    ConsentStore,
    AuthorizationCodeStore,
    PasskeyStore {
  /** Whether the database answers; for readiness probes. */
  ping(): Promise<boolean>;
  /**
   * The random id the database was created with: the same for every instance
   * and the CLI on this database, different for any other. It namespaces
   * state kept outside the database (Redis keys and channels).
   */
  readDeploymentId(): Promise<string>;
  close(): Promise<void>;
}
