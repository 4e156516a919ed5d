import type { Kysely } from 'kysely';
import type { Store } from '../core/store/index.js';
import { createApiKeyQueries } from './queries/api-keys.js';
import { createAuditQueries } from './queries/audit.js';
import { createAuthorizationCodeQueries } from './queries/authorization-codes.js';
import { createClientQueries } from './queries/clients.js';
import { createConsentQueries } from './queries/consents.js';
import { createPasskeyQueries } from './queries/passkeys.js';
import { createRefreshTokenQueries } from './queries/refresh-tokens.js';
import { createRevocationQueries } from './queries/revocations.js';
import { createScopeQueries } from './queries/scopes.js';
import { createSessionQueries } from './queries/sessions.js';
import { createSigningKeyQueries } from './queries/signing-keys.js';
import { createTwoFactorQueries } from './queries/two-factor.js';
import { createUserQueries } from './queries/users.js';
import type { Database } from './schema.js';

/**
 * The {@link Store} on Kysely. The queries are the same for every dialect;
 * what differs between SQLite and PostgreSQL (opening, unique-violation
 * codes, integer parsing) is handled in this folder only.
 */
export function createKyselyStore(db: Kysely<Database>, options: { close: () => Promise<void> }): Store {
  return {
    ...createUserQueries(db),
    ...createSessionQueries(db),
    ...createSigningKeyQueries(db),
    ...createClientQueries(db),
    ...createRefreshTokenQueries(db),
    ...createApiKeyQueries(db),
    ...createRevocationQueries(db),
    ...createAuditQueries(db),
    ...createTwoFactorQueries(db),
    ...createScopeQueries(db),
    ...createConsentQueries(db),
    ...createAuthorizationCodeQueries(db),
    ...createPasskeyQueries(db),

    async ping() {
      try {
        await db.selectFrom('users').select('id').limit(1).execute();
        return true;
      } catch {
        return false;
      }
    },

    async readDeploymentId() {
      const row = await db.selectFrom('deployment').select('id').executeTakeFirst();
      if (!row) throw new Error('the deployment table is empty');
      return row.id;
    },

    close: options.close,
  };
}
