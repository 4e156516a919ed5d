import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isGatehouseError } from '../../src/core/errors/errors.js';
import { applyMigrations, openDatabase, openStore, readMigrationStatus } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/services.js';
import { MIGRATION_NAMES } from '../../src/store/migrations.js';
import { runStoreConformance } from './conformance.js';
import { checkSessionAuthenticatedAtMigration } from './session-migration.js';

const database = await createTestDatabase();

if (typeof database === 'string') {
  test('PostgreSQL store', { skip: database }, () => undefined);
} else {
  after(() => database.drop());
  runStoreConformance('PostgreSQL', () => openStore({ url: database.url, migrations: 'apply' }));
  describe('PostgreSQL schema policy', () => {
    const fresh: { db?: TestDatabase } = {};
    before(async () => {
      const created = await createTestDatabase();
      if (typeof created !== 'string') fresh.db = created;
    });
    after(() => fresh.db?.drop());

    test('an older (here: empty) schema is refused unless migrations are applied on purpose', async () => {
      await assert.rejects(openStore({ url: fresh.db!.url }), (error) => {
        assert.ok(isGatehouseError(error, 'ERR_CONFIG'));
        assert.match(
          error.message,
          new RegExp(
            `schema is older than this Gatehouse \\(pending: ${MIGRATION_NAMES.join(', ')}\\); run gatehouse migrate up`,
          ),
        );
        return true;
      });
      const db = openDatabase(fresh.db!.url);
      assert.deepEqual(await applyMigrations(db), [...MIGRATION_NAMES]);
      assert.deepEqual(await readMigrationStatus(db), {
        applied: [...MIGRATION_NAMES],
        pending: [],
        unknown: [],
      });
      await db.destroy();
      const store = await openStore({ url: fresh.db!.url });
      assert.equal(await store.ping(), true);
      await store.close();
    });

    test('a schema newer than this Gatehouse is always refused', async () => {
      const db = openDatabase(fresh.db!.url);
      await db
        .insertInto('kysely_migration' as never)
        .values({ name: '9999_from_the_future', timestamp: new Date().toISOString() } as never)
        .execute();
      await db.destroy();
      for (const migrations of ['apply', 'verify'] as const) {
        await assert.rejects(
          openStore({ url: fresh.db!.url, migrations }),
          /schema is newer than this Gatehouse \(unknown migrations: 9999_from_the_future\)/,
        );
      }
    });
  });

  test(
    'defect 1 (#22): migration 0013 gives existing sessions their start as their last sign-in',
    { timeout: 60_000 },
    async () => {
      const empty = await createTestDatabase();
      assert.notEqual(typeof empty, 'string');
      if (typeof empty === 'string') return;
      try {
        await checkSessionAuthenticatedAtMigration(empty.url);
      } finally {
        await empty.drop();
      }
    },
  );
}
