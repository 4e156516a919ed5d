import { randomBytes } from 'node:crypto';
import { PostgresAdapter, type Kysely, type Migration, type MigrationProvider } from 'kysely';

// Migrations are code, not files, so they ship inside the build and run the
// same from `dist/` and from `src/`. Never edit one that has shipped: add the next.
const migrations: Record<string, Migration> = {
  '0001_users_and_sessions': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(256)', (c) => c.notNull())
        .addColumn('username_key', 'varchar(256)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'varchar(512)', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('roles', 'varchar(2048)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('ip', 'varchar(64)')
        .addColumn('user_agent', 'varchar(512)')
        .execute();
      await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
    },
  },
  '0002_tokens': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('alg', 'varchar(16)', (c) => c.notNull())
        .addColumn('public_jwk', 'varchar(1024)', (c) => c.notNull())
        .addColumn('private_jwe', 'varchar(2048)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema
        .createTable('clients')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'varchar(64)')
        .addColumn('public_jwk', 'varchar(2048)')
        .addColumn('scopes', 'varchar(2048)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('family_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('session_id', 'varchar(64)', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('scope', 'varchar(2048)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('refresh_tokens_family_id').on('refresh_tokens').column('family_id').execute();
      await db.schema.createIndex('refresh_tokens_expires_at').on('refresh_tokens').column('expires_at').execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('scopes', 'varchar(2048)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_user_id').on('api_keys').column('user_id').execute();
      await db.schema
        .createTable('revoked_tokens')
        .addColumn('jti', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0003_audit': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('actor', 'varchar(256)')
        .addColumn('user_id', 'varchar(64)')
        .addColumn('ip', 'varchar(64)')
        .addColumn('user_agent', 'varchar(512)')
        .addColumn('detail', 'varchar(4096)', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
      await db.schema.createIndex('audit_events_user_id').on('audit_events').columns(['user_id', 'at']).execute();
    },
  },
  '0004_two_factor': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('two_factor')
        .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('secret_jwe', 'varchar(1024)', (c) => c.notNull())
        .addColumn('confirmed_at', 'bigint')
        .addColumn('last_step', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('recovery_codes')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'code_hash'])
        .execute();
      await db.schema
        .createTable('login_challenges')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_challenges_expires_at').on('login_challenges').column('expires_at').execute();
    },
  },
  '0005_client_certificates': {
    async up(db: Kysely<any>) {
      // RFC 8705: a client authenticates with a CA-issued certificate (its subject DN) or a self-signed one (its SHA-256 thumbprint).
      await db.schema.alterTable('clients').addColumn('tls_subject', 'varchar(1024)').execute();
      await db.schema.alterTable('clients').addColumn('tls_thumbprint', 'varchar(64)').execute();
    },
  },
  '0007_scopes': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('scopes')
        .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('description', 'varchar(1024)', (c) => c.notNull())
        .addColumn('roles', 'varchar(2048)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0008_session_auth_methods': {
    async up(db: Kysely<any>) {
      // How each session was signed in (RFC 8176 amr): what ID tokens and step-up decisions need. Older sessions used a password.
      await db.schema
        .alterTable('sessions')
        .addColumn('auth_methods', 'varchar(256)', (c) => c.notNull().defaultTo('pwd'))
        .execute();
    },
  },
  '0010_openid_connect': {
    async up(db: Kysely<any>) {
      // Clients of the authorization code flow: type, exact redirect URIs, grants, first-party, ID-token alg.
      await db.schema
        .alterTable('clients')
        .addColumn('type', 'varchar(16)', (c) => c.notNull().defaultTo('confidential'))
        .execute();
      await db.schema
        .alterTable('clients')
        .addColumn('redirect_uris', 'varchar(8192)', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .alterTable('clients')
        .addColumn('post_logout_redirect_uris', 'varchar(8192)', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .alterTable('clients')
        .addColumn('grant_types', 'varchar(256)', (c) => c.notNull().defaultTo('client_credentials'))
        .execute();
      await db.schema
        .alterTable('clients')
        .addColumn('first_party', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('clients').addColumn('id_token_alg', 'varchar(16)').execute();
      // A user's consent to a client, by scopes: remembered, listed and revocable.
      await db.schema
        .createTable('consents')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('scopes', 'varchar(2048)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('consents_pk', ['user_id', 'client_id'])
        .execute();
      // Authorization codes (hashed), single use; kept a while after use so that a replay is recognised.
      await db.schema
        .createTable('authorization_codes')
        .addColumn('code_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('session_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('redirect_uri', 'varchar(2048)', (c) => c.notNull())
        .addColumn('scopes', 'varchar(2048)', (c) => c.notNull())
        .addColumn('code_challenge', 'varchar(128)', (c) => c.notNull())
        .addColumn('nonce', 'varchar(512)')
        .addColumn('auth_time', 'bigint', (c) => c.notNull())
        .addColumn('auth_methods', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('replayed_at', 'bigint')
        .addColumn('access_token_id', 'varchar(64)')
        .addColumn('refresh_family_id', 'varchar(64)')
        .execute();
      await db.schema
        .createIndex('authorization_codes_expires_at')
        .on('authorization_codes')
        .column('expires_at')
        .execute();
      // Authorization requests waiting for a sign-in or a consent, so any instance can resume them.
      await db.schema
        .createTable('authorization_requests')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('parameters', 'varchar(8192)', (c) => c.notNull())
        .addColumn('login_after', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('authorization_requests_expires_at')
        .on('authorization_requests')
        .column('expires_at')
        .execute();
      // Refresh tokens of apps: whose client they are, and (offline_access) no session. SQLite cannot relax a
      // NOT NULL in place, so the table is rebuilt, the same way on both databases.
      await db.schema
        .createTable('refresh_tokens_v2')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('family_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('session_id', 'varchar(64)', (c) => c.references('sessions.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull().defaultTo('gatehouse'))
        .addColumn('scope', 'varchar(2048)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      const columns = [
        'id',
        'token_hash',
        'family_id',
        'session_id',
        'user_id',
        'scope',
        'created_at',
        'expires_at',
        'used_at',
      ];
      await db
        .insertInto('refresh_tokens_v2')
        .columns(columns)
        .expression(db.selectFrom('refresh_tokens').select(columns))
        .execute();
      await db.schema.dropTable('refresh_tokens').execute();
      await db.schema.alterTable('refresh_tokens_v2').renameTo('refresh_tokens').execute();
      await db.schema.createIndex('refresh_tokens_family_id').on('refresh_tokens').column('family_id').execute();
      await db.schema.createIndex('refresh_tokens_expires_at').on('refresh_tokens').column('expires_at').execute();
      await db.schema
        .createIndex('refresh_tokens_user_client')
        .on('refresh_tokens')
        .columns(['user_id', 'client_id'])
        .execute();
    },
  },
  // One row: the id this database was created with. Shared state outside the
  // database (Redis keys and channels) is namespaced by it, so two deployments
  // on one Redis never share counters or revocations (issue #15).
  '0011_deployment': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('deployment')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db
        .insertInto('deployment')
        .values({ id: randomBytes(8).toString('hex'), created_at: Date.now() })
        .execute();
    },
  },
  '0012_passkeys': {
    async up(db: Kysely<any>) {
      // WebAuthn credentials: public keys and counters only; the credential id is unique across users.
      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('credential_id', 'varchar(1024)', (c) => c.notNull().unique())
        .addColumn('public_key', 'varchar(2048)', (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('transports', 'varchar(256)', (c) => c.notNull().defaultTo(''))
        .addColumn('device_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('backed_up', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('aaguid', 'varchar(36)', (c) => c.notNull())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('passkeys_user_id').on('passkeys').column('user_id').execute();
      // Ceremonies' challenges, server-side so that any instance can finish what another began.
      await db.schema
        .createTable('passkey_challenges')
        .addColumn('challenge_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(64)', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('login_challenge_hash', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('passkey_challenges_expires_at')
        .on('passkey_challenges')
        .column('expires_at')
        .execute();
    },
  },
  '0013_session_authenticated_at': {
    async up(db: Kysely<any>) {
      // A sign-in of the same user continues the browser's session with a new
      // token (issue #22): when the user last signed in is no longer when the
      // session began. Every existing session was signed in when it began.
      await db.schema
        .alterTable('sessions')
        .addColumn('authenticated_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db
        .updateTable('sessions')
        .set((eb) => ({ authenticated_at: eb.ref('created_at') }))
        .execute();
    },
  },
  // Issue #22: a consent is a grant with an id that every app token carries (`gid`), renewed when the grant
  // ends (code replay, credential change), so that ending it refuses every token of it at once. (0014:
  // 0013 is the sessions' authenticated_at, from another branch of #22.)
  '0014_consent_grants': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('consents').addColumn('grant_id', 'varchar(64)').execute();
      const rows = await db.selectFrom('consents').select(['user_id', 'client_id']).execute();
      for (const row of rows) {
        await db
          .updateTable('consents')
          .set({ grant_id: randomBytes(16).toString('base64url') })
          .where('user_id', '=', row.user_id)
          .where('client_id', '=', row.client_id)
          .execute();
      }
      // An app's refresh tokens name their grant too, so that none outlives it (nor serves the next one).
      await db.schema.alterTable('refresh_tokens').addColumn('grant_id', 'varchar(64)').execute();
      await db
        .updateTable('refresh_tokens')
        .set((eb) => ({
          grant_id: eb
            .selectFrom('consents')
            .select('consents.grant_id')
            .whereRef('consents.user_id', '=', 'refresh_tokens.user_id')
            .whereRef('consents.client_id', '=', 'refresh_tokens.client_id'),
        }))
        .execute();
      // An RS256 private key (ID tokens), encrypted, is about 2,300 characters: PostgreSQL refused it in
      // varchar(2048) (SQLite does not enforce the length). ALTER COLUMN is PostgreSQL's alone.
      if (db.getExecutor().adapter instanceof PostgresAdapter) {
        await db.schema
          .alterTable('signing_keys')
          .alterColumn('private_jwe', (column) => column.setDataType('varchar(8192)'))
          .execute();
      }
    },
  },
  // A replayed code ends the grant it was redeemed under, not one the user made since (issue #22).
  '0015_code_grant_ids': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('authorization_codes').addColumn('grant_id', 'varchar(64)').execute();
    },
  },
};

/** The names of the migrations Gatehouse knows, in the order they are applied. */
export const MIGRATION_NAMES: readonly string[] = Object.freeze(Object.keys(migrations).sort());

/** The migrations Gatehouse knows, in order. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
