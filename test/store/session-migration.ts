import assert from 'node:assert/strict';
import { Migrator } from 'kysely';
import { migrationProvider } from '../../src/store/migrations.js';
import { applyMigrations, openDatabase, openStore } from '../../src/store/index.js';

/**
 * Migration 0013 (#22) on a database of the version before it: an existing
 * session keeps working, and its `authenticatedAt` is its `createdAt`.
 * `url` names an empty database.
 */
export async function checkSessionAuthenticatedAtMigration(url: string): Promise<void> {
  const db = openDatabase(url);
  try {
    const migrated = await new Migrator({ db, provider: migrationProvider }).migrateTo('0012_passkeys');
    if (migrated.error) throw migrated.error;
    await db
      .insertInto('users')
      .values({
        id: 'u-old',
        username: 'old',
        username_key: 'old',
        password_hash: 'h',
        disabled: 0,
        roles: '',
        created_at: 1,
        updated_at: 1,
      } as never)
      .execute();
    await db
      .insertInto('sessions')
      .values({
        id: 's-old',
        token_hash: 'hash-old',
        user_id: 'u-old',
        created_at: 1_000,
        last_seen_at: 2_000,
        expires_at: 3_000,
        ip: null,
        user_agent: null,
        auth_methods: 'pwd',
      } as never)
      .execute();
    assert.deepEqual((await applyMigrations(db)).slice(0, 1), ['0013_session_authenticated_at'], 'applied first');
  } finally {
    await db.destroy();
  }
  const store = await openStore({ url, migrations: 'verify' });
  try {
    const record = await store.findSessionByTokenHash('hash-old');
    assert.equal(record?.createdAt, 1_000);
    assert.equal(record?.authenticatedAt, 1_000, 'signed in when it began');
  } finally {
    await store.close();
  }
}
